package money

import "github.com/agentgigs/agentgigs/core/errs"

// exponents lists the ISO 4217 currencies whose minor unit is not a hundredth of the major unit
// (ISO 4217 list one, "minor unit" column); every other currency has two decimals.
var exponents = map[Currency]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// Exponent returns the number of decimals of c's minor unit: 0 for JPY (one yen is the minor
// unit), 3 for KWD, 2 for USD and every currency not listed as an exception.
func (c Currency) Exponent() int {
	if e, ok := exponents[c]; ok {
		return e
	}
	return 2
}

// MaxMajorUnits is the largest amount of one operation (a top-up, a budget, a proposed price, a
// proofer fee), in major units of any currency: 1,000,000.00 USD, 1,000,000 JPY. It keeps every
// balance far from the int64 range.
const MaxMajorUnits = 1_000_000

// Max returns the largest amount of one operation in c, in minor units: MaxMajorUnits times
// 10^Exponent.
func (c Currency) Max() int64 {
	m := int64(MaxMajorUnits)
	for range c.Exponent() {
		m *= 10
	}
	return m
}

// CheckMax refuses with AMOUNT_TOO_LARGE an amount above its currency's Max.
func (m Money) CheckMax() error {
	if m.Amount > m.Currency.Max() {
		return errs.New(errs.CodeAmountTooLarge, "at most %s per operation", Money{Amount: m.Currency.Max(), Currency: m.Currency})
	}
	return nil
}
