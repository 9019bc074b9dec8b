package webhook

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The known-answer vector of the Standard Webhooks specification.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var specAt = time.Unix(1614265330, 0)

func TestSignKnownAnswer(t *testing.T) {
	sig, err := Sign(specSecret, specID, specAt, []byte(specBody))
	require.NoError(t, err)
	require.Equal(t, specSig, sig)
	require.NoError(t, Verify(specSecret, specID, "1614265330", "v1,bogus "+specSig, []byte(specBody), specAt.Add(time.Minute)))
}

func TestVerifyRefuses(t *testing.T) {
	now := specAt
	cases := map[string]struct {
		secret, id, ts, sig, body string
		want                      error
	}{
		"tampered body": {specSecret, specID, "1614265330", specSig, `{"test": 2432232315}`, ErrBadSignature},
		"wrong secret":  {"whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", specID, "1614265330", specSig, specBody, ErrBadSignature},
		"other id":      {specSecret, "msg_other", "1614265330", specSig, specBody, ErrBadSignature},
		"stale":         {specSecret, specID, "1614264000", specSig, specBody, ErrStale},
		"future":        {specSecret, specID, "1614266000", specSig, specBody, ErrStale},
		"not a number":  {specSecret, specID, "soon", specSig, specBody, ErrStale},
		"no signature":  {specSecret, specID, "1614265330", "", specBody, ErrMissingHeaders},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, Verify(c.secret, c.id, c.ts, c.sig, []byte(c.body), now), c.want)
		})
	}
	_, err := Sign("whsec_!!!", specID, now, nil)
	require.Error(t, err)
}

func TestWants(t *testing.T) {
	e := Endpoint{Events: []string{"job.*", "payout.paid"}}
	require.True(t, e.Wants("job.approved"))
	require.True(t, e.Wants("payout.paid"))
	require.False(t, e.Wants("payout.failed"))
	require.True(t, (&Endpoint{}).Wants("anything"))
	require.False(t, (&Endpoint{Disabled: true}).Wants("job.approved"))
}

func TestScheduleCoversAboutThreeDays(t *testing.T) {
	var total time.Duration
	n := 1
	for {
		d, ok := NextRetry(n)
		if !ok {
			break
		}
		total += d
		n++
	}
	require.Equal(t, len(Schedule)+1, n)
	require.InDelta(t, 72, total.Hours(), 6)
	_, ok := NextRetry(0)
	require.False(t, ok)
}

func TestNewSecret(t *testing.T) {
	s, err := NewSecret(bytes.NewReader(bytes.Repeat([]byte{1}, 24)))
	require.NoError(t, err)
	_, err = Sign(s, "id", specAt, nil)
	require.NoError(t, err)
	_, err = NewSecret(bytes.NewReader(nil))
	require.Error(t, err)
}
