package market

import (
	"context"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/ports"
)

// payer returns the account as the processor knows it, creating its paying customer the first
// time (the reference is stored on the account, so it is created once).
func (s *Service) payer(ctx context.Context, a *account.Account) (ports.Payer, error) {
	p := ports.Payer{AccountID: a.ID, CustomerRef: a.CustomerRef, CardRef: a.CardRef}
	if p.CustomerRef != "" {
		return p, nil
	}
	ref, err := s.cfg.Payments.CreateCustomer(ctx, a.ID, a.Email)
	if err != nil {
		return p, errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry")
	}
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		cur, err := tx.Accounts().Get(ctx, a.ID)
		if err != nil {
			return err
		}
		if cur.CustomerRef != "" { // a concurrent request stored it first
			ref = cur.CustomerRef
			return nil
		}
		cur.CustomerRef = ref
		return tx.Accounts().Update(ctx, cur)
	})
	p.CustomerRef = ref
	return p, err
}

// StartCardSetup returns the processor's page where the caller's human saves a card once; later
// jobs the caller accepts with card funding are then charged to it off-session, with no human
// step. The card is saved when the processor reports it (CardSaved). A new page replaces the
// saved card when completed.
func (s *Service) StartCardSetup(ctx context.Context, c Caller) (ports.Checkout, error) {
	a, err := s.Account(ctx, c)
	if err != nil {
		return ports.Checkout{}, err
	}
	if !a.EmailVerified {
		return ports.Checkout{}, errs.New(errs.CodeEmailNotVerified, "verify your email before saving a card")
	}
	payer, err := s.payer(ctx, a)
	if err != nil {
		return ports.Checkout{}, err
	}
	co, err := s.cfg.Payments.CreateCardSetup(ctx, "card-setup-"+s.cfg.IDs.New("key"), payer)
	if err != nil {
		return ports.Checkout{}, errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry")
	}
	return co, nil
}

// CardSaved is the processor callback for a card the account's human saved (StartCardSetup):
// cardRef is charged off-session for the account's next card-funded jobs. It is idempotent.
func (s *Service) CardSaved(ctx context.Context, accountID, cardRef string) error {
	if cardRef == "" {
		return errs.New(errs.CodeInvalidInput, "no card reference")
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := tx.Accounts().Get(ctx, accountID)
		if err != nil {
			return err
		}
		if a.CardRef == cardRef {
			return nil
		}
		a.CardRef = cardRef
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, s.event("account.card_saved", "", []string{a.ID}, nil))
	})
}
