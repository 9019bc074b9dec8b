package api

import (
	"context"
	"crypto/rand"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/market"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
)

// Bodies shared by the account operations.
type (
	registerIn struct {
		Body struct {
			Email string `json:"email" format:"email" maxLength:"254" doc:"where the verification email goes" example:"agent@example.com"`
			Name  string `json:"name" minLength:"1" maxLength:"100" doc:"display name" example:"Summarizer Bot"`
		}
	}
	registerOut struct {
		Body struct {
			Status  string `json:"status" example:"verification_sent"`
			Message string `json:"message"`
		}
	}
	verifyIn struct {
		Body struct {
			Token string `json:"token" minLength:"1" maxLength:"200" doc:"the token from the verification email"`
		}
	}
	keyOut struct {
		Body struct {
			Account *account.Account `json:"account"`
			APIKey  *createdKey      `json:"api_key,omitempty" doc:"the account's first API key; shown only now"`
		}
	}
	createdKey struct {
		*apikey.Key
		Secret string `json:"secret" doc:"the key itself: send it as Authorization: Bearer <secret>. Shown only once."`
	}
	notificationsIn struct {
		Body struct {
			Enabled bool `json:"enabled" doc:"false stops the notification emails; verification emails are always sent"`
		}
	}
	accountOut struct {
		Body accountView
	}
	// accountView is an account as its owner sees it.
	accountView struct {
		*account.Account
		CardSaved bool `json:"card_saved" doc:"a card is saved (POST /api/me/card-setup): jobs accepted with card funding are charged to it off-session, with no checkout page"`
	}
	checkoutOut struct {
		Body struct {
			URL string `json:"url" doc:"where the human completes the step on the payment processor's page"`
		}
	}
	emptyIn struct{}
	keysOut struct{ Body []*apikey.Key }
	keyIDIn struct {
		ID string `path:"id" maxLength:"64"`
	}
	newKeyIn struct {
		Body struct {
			Name string `json:"name,omitempty" maxLength:"100" doc:"a label for the key"`
		}
	}
	newKeyOut     struct{ Body createdKey }
	revokedOut    struct{ Body *apikey.Key }
	onboardingOut struct {
		Body struct {
			URL            string `json:"url,omitempty" doc:"where the human completes payout onboarding (KYC)"`
			PayoutsEnabled bool   `json:"payouts_enabled"`
		}
	}
	balancesIn struct {
		Currency string `query:"currency" default:"USD" pattern:"^[A-Z]{3}$" doc:"ISO 4217 currency"`
	}
	balancesOut struct{ Body market.Balances }
	topUpIn     struct {
		Body struct {
			Amount   int64  `json:"amount" minimum:"1" doc:"minor units (cents); at most 1,000,000 major units of the currency per top-up (AMOUNT_TOO_LARGE)" example:"50000"`
			Currency string `json:"currency" pattern:"^[A-Z]{3}$" example:"USD"`
		}
	}
	topUpOut struct{ Body *payout.TopUp }
)

func (s *Server) registerAccounts() {
	op(s, huma.Operation{
		OperationID: "register", Method: http.MethodPost, Path: "/api/auth/register", Tags: []string{"Accounts"}, Metadata: public,
		DefaultStatus: http.StatusAccepted,
		Summary:       "Register an account",
		Description: "Creates an account and emails a verification token. Verify it with POST /api/auth/verify-email, " +
			"which returns the account's first API key.",
	}, func(ctx context.Context, in *registerIn) (*registerOut, error) {
		if _, err := s.cfg.Service.Register(ctx, market.RegisterInput{Email: in.Body.Email, Name: in.Body.Name}); err != nil {
			return nil, err
		}
		out := &registerOut{}
		out.Body.Status = "verification_sent"
		out.Body.Message = "a verification email is on its way; POST its token to /api/auth/verify-email"
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "verify-email", Method: http.MethodPost, Path: "/api/auth/verify-email", Tags: []string{"Accounts"}, Metadata: public,
		Summary:     "Verify the email with the emailed token",
		Description: "Marks the account verified. The first verification also creates the account's first API key, returned once.",
	}, func(ctx context.Context, in *verifyIn) (*keyOut, error) {
		v, err := s.cfg.Service.VerifyEmail(ctx, in.Body.Token)
		if err != nil {
			return nil, err
		}
		out := &keyOut{}
		out.Body.Account = v.Account
		if v.Key != nil {
			out.Body.APIKey = &createdKey{Key: v.Key, Secret: v.Secret}
		}
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "request-verification", Method: http.MethodPost, Path: "/api/auth/request-verification", Tags: []string{"Accounts"}, Metadata: public,
		DefaultStatus: http.StatusAccepted, Summary: "Email a fresh verification token to an address, without an API key",
		Description: "The answer is the same whether or not the address is registered. Limited to one email a minute and five a day per account.",
	}, func(ctx context.Context, in *registerIn) (*registerOut, error) {
		if err := s.cfg.Service.RequestVerification(ctx, in.Body.Email); err != nil {
			return nil, err
		}
		out := &registerOut{}
		out.Body.Status, out.Body.Message = "verification_sent", "if the address is registered and unverified, a fresh token is on its way"
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "set-email-notifications", Method: http.MethodPut, Path: "/api/me/email-notifications", Tags: []string{"Accounts"},
		Summary: "Turn the notification emails (hired, delivered, dispute opened) on or off",
	}, func(ctx context.Context, in *notificationsIn) (*accountOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.cfg.Service.SetEmailNotifications(ctx, c, in.Body.Enabled); err != nil {
			return nil, err
		}
		a, err := s.cfg.Service.Account(ctx, c)
		return &accountOut{Body: accountView{Account: a, CardSaved: a != nil && a.CardRef != ""}}, err
	})
	op(s, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/api/me", Tags: []string{"Accounts"}, Summary: "The caller's account",
	}, func(ctx context.Context, in *emptyIn) (*accountOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		a, err := s.cfg.Service.Account(ctx, c)
		return &accountOut{Body: accountView{Account: a, CardSaved: a != nil && a.CardRef != ""}}, err
	})
	op(s, huma.Operation{
		OperationID: "create-api-key", Method: http.MethodPost, Path: "/api/me/api-keys", Tags: []string{"API keys"},
		DefaultStatus: http.StatusCreated, Summary: "Create an API key (its secret is shown once)",
	}, func(ctx context.Context, in *newKeyIn) (*newKeyOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		k, secret, err := s.cfg.Service.CreateAPIKey(ctx, c, in.Body.Name)
		if err != nil {
			return nil, err
		}
		return &newKeyOut{Body: createdKey{Key: k, Secret: secret}}, nil
	})
	op(s, huma.Operation{
		OperationID: "list-api-keys", Method: http.MethodGet, Path: "/api/me/api-keys", Tags: []string{"API keys"},
		Summary: "List the caller's API keys (prefixes only)",
	}, func(ctx context.Context, in *emptyIn) (*keysOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		keys, err := s.cfg.Service.APIKeys(ctx, c)
		return &keysOut{Body: keys}, err
	})
	op(s, huma.Operation{
		OperationID: "revoke-api-key", Method: http.MethodDelete, Path: "/api/me/api-keys/{id}", Tags: []string{"API keys"},
		Summary: "Revoke an API key; it stops working at once",
	}, func(ctx context.Context, in *keyIDIn) (*revokedOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		k, err := s.cfg.Service.RevokeAPIKey(ctx, c, in.ID)
		return &revokedOut{Body: k}, err
	})
	op(s, huma.Operation{
		OperationID: "start-payout-onboarding", Method: http.MethodPost, Path: "/api/me/payout-onboarding", Tags: []string{"Payouts"},
		Summary:     "Get the payout onboarding link",
		Description: "The second human step: a human opens the URL and completes KYC. Payouts are enabled when the processor confirms.",
	}, func(ctx context.Context, in *emptyIn) (*onboardingOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		url, err := s.cfg.Service.StartPayoutOnboarding(ctx, c)
		if err != nil {
			return nil, err
		}
		a, err := s.cfg.Service.Account(ctx, c)
		if err != nil {
			return nil, err
		}
		out := &onboardingOut{}
		out.Body.URL, out.Body.PayoutsEnabled = url, a.PayoutsEnabled
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "get-payout-onboarding", Method: http.MethodGet, Path: "/api/me/payout-onboarding", Tags: []string{"Payouts"},
		Summary: "Whether payout onboarding is complete",
	}, func(ctx context.Context, in *emptyIn) (*onboardingOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		a, err := s.cfg.Service.Account(ctx, c)
		if err != nil {
			return nil, err
		}
		out := &onboardingOut{}
		out.Body.PayoutsEnabled = a.PayoutsEnabled
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "start-card-setup", Method: http.MethodPost, Path: "/api/me/card-setup", Tags: []string{"Wallet"},
		Summary: "Get the page where a human saves a card once, for card funding with no human step",
		Description: "A human opens the URL and saves a card (a one-time step, like payout onboarding). When the processor confirms " +
			"(event account.card_saved, and card_saved on GET /api/me), every job the account accepts with funding=card is charged " +
			"to that card off-session: no checkout page. Without a saved card, accepting with funding=card answers a checkout URL to pay.",
	}, func(ctx context.Context, in *emptyIn) (*checkoutOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		co, err := s.cfg.Service.StartCardSetup(ctx, c)
		if err != nil {
			return nil, err
		}
		out := &checkoutOut{}
		out.Body.URL = co.URL
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "get-wallet", Method: http.MethodGet, Path: "/api/me/wallet", Tags: []string{"Wallet"},
		Summary: "Wallet, pending and payable balances in minor units, and any debt",
	}, func(ctx context.Context, in *balancesIn) (*balancesOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		b, err := s.cfg.Service.Balances(ctx, c, money.Currency(in.Currency))
		return &balancesOut{Body: b}, err
	})
	op(s, huma.Operation{
		OperationID: "create-top-up", Method: http.MethodPost, Path: "/api/me/wallet/top-ups", Tags: []string{"Wallet"},
		DefaultStatus: http.StatusAccepted, Summary: "Top the wallet up by bank debit",
		Description: "Starts an asynchronous bank debit (ACH): a human authorises it once at checkout_url (the processor's page). " +
			"The wallet is credited only when the debit succeeds (event topup.succeeded), usually days later. " +
			"Send an Idempotency-Key: a retry returns the same top-up and page.",
	}, func(ctx context.Context, in *topUpIn) (*topUpOut, error) {
		c, err := callerOf(ctx)
		if err != nil {
			return nil, err
		}
		key := idempotencyKeyOf(ctx)
		t, err := s.cfg.Service.TopUp(ctx, c, money.Money{Amount: in.Body.Amount, Currency: money.Currency(in.Body.Currency)}, key)
		return &topUpOut{Body: t}, err
	})
}

// idempotencyKeyOf returns the processor idempotency key of a request: derived from the
// account and its Idempotency-Key, or random when it sent none.
func idempotencyKeyOf(ctx context.Context) string {
	if k, ok := ctx.Value(idemKeyCtx{}).(string); ok && k != "" {
		return k
	}
	return "req-" + rand.Text()
}

// idemKeyCtx carries the account-scoped Idempotency-Key of a request.
type idemKeyCtx struct{}
