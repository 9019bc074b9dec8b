package market

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/text"
)

// PostInput describes a new job. Zero windows and revision counts take the job package defaults.
type PostInput struct {
	Title          string
	Description    string
	Category       string
	Tags           []string
	Budget         money.Money
	Criteria       string            // acceptance criteria, frozen when the poster hires
	Verification   *job.Verification // optional proofers
	ReviewWindow   time.Duration
	DeliveryWindow time.Duration
	MaxRevisions   int
}

func (in PostInput) validate() error {
	if err := cmp.Or(text.Line("title", in.Title), text.Block("description", in.Description), text.Line("category", in.Category),
		text.Lines("tags", in.Tags), text.Block("criteria", in.Criteria)); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(in.Title) == "" || len(in.Title) > 200:
		return errs.New(errs.CodeInvalidInput, "title must be 1 to 200 characters")
	case len(in.Description) > 20000 || len(in.Criteria) > 20000:
		return errs.New(errs.CodeInvalidInput, "description and criteria must be at most 20000 bytes")
	case len(in.Category) > 50 || len(in.Tags) > 20:
		return errs.New(errs.CodeInvalidInput, "at most 50 bytes of category and 20 tags")
	case in.Budget.Amount <= 0 || !in.Budget.Currency.Valid():
		return errs.New(errs.CodeInvalidInput, "budget must be a positive amount in an ISO currency")
	case in.ReviewWindow < 0 || in.DeliveryWindow < 0 || in.MaxRevisions < 0 || in.MaxRevisions > 10:
		return errs.New(errs.CodeInvalidInput, "windows must be positive and revisions within 0..10")
	case in.ReviewWindow > 90*24*time.Hour || in.DeliveryWindow > 365*24*time.Hour:
		return errs.New(errs.CodeInvalidInput, "review window at most 90 days, delivery window at most 365 days")
	}
	if err := in.Budget.CheckMax(); err != nil {
		return err
	}
	if v := in.Verification; v != nil {
		if err := proof.ValidateConfig(*v); err != nil {
			return err
		}
		if err := v.FeePerProofer.CheckMax(); err != nil {
			return err
		}
		if v.FeePerProofer.Currency != in.Budget.Currency {
			return errs.New(errs.CodeCurrencyMismatch, "the proofer fee must be in the budget's currency")
		}
	}
	return nil
}

// PostJob posts an open job and returns it as the poster sees it. The poster needs a verified
// email.
func (s *Service) PostJob(ctx context.Context, c Caller, in PostInput) (*JobView, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.now()
	j := &job.Job{
		ID: s.cfg.IDs.New("job"), Title: strings.TrimSpace(in.Title), Description: in.Description,
		Category: strings.ToLower(strings.TrimSpace(in.Category)), Tags: in.Tags, Budget: in.Budget, Price: in.Budget,
		FeeBPS: s.cfg.FeeBPS, Criteria: in.Criteria, Verification: in.Verification,
		ReviewWindow: in.ReviewWindow, DeliveryWindow: in.DeliveryWindow, MaxRevisions: in.MaxRevisions,
		State: job.Open, DeadlineAt: now.Add(job.DefaultOpenFor), CreatedAt: now, UpdatedAt: now, Version: 1,
		PlatformFee: money.Zero(in.Budget.Currency), AgentNet: money.Zero(in.Budget.Currency), ProoferFees: money.Zero(in.Budget.Currency),
	}
	if j.ReviewWindow == 0 {
		j.ReviewWindow = job.DefaultReviewWindow
	}
	if j.DeliveryWindow == 0 {
		j.DeliveryWindow = job.DefaultDeliveryWindow
	}
	if in.MaxRevisions == 0 {
		j.MaxRevisions = job.DefaultMaxRevisions
	}
	if err := checkCoversFees(j, j.Budget); err != nil {
		return nil, err
	}
	var v *JobView
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		a, err := s.caller(ctx, tx, c)
		if err != nil {
			return err
		}
		if !a.CanPost() {
			return errs.New(errs.CodeEmailNotVerified, "verify your email before posting")
		}
		j.PosterID = a.ID
		if err := tx.Jobs().Create(ctx, j); err != nil {
			return err
		}
		if err := tx.Timers().Schedule(ctx, ports.Timer{ID: timerID(j.ID, job.ActExpire), Action: job.ActExpire, JobID: j.ID, DueAt: j.DeadlineAt}); err != nil {
			return err
		}
		if err := s.appendEvents(ctx, tx, s.event("job.posted", j.ID, []string{a.ID}, map[string]string{"title": j.Title})); err != nil {
			return err
		}
		x, err := s.place(ctx, tx, c, a, j)
		if err != nil {
			return err
		}
		v, err = viewOf(x)
		return err
	})
	return v, err
}

// checkCoversFees refuses a price that cannot pay the platform fee and every proofer fee.
func checkCoversFees(j *job.Job, price money.Money) error {
	fee, err := price.Fee(j.FeeBPS)
	if err != nil {
		return err
	}
	if v := j.Verification; v != nil {
		proofers, err := v.FeePerProofer.Mul(int64(v.Proofers))
		if err != nil {
			return err
		}
		if fee, err = fee.Add(proofers); err != nil {
			return err
		}
	}
	if fee.Amount > price.Amount {
		return errs.New(errs.CodeInvalidInput, "the price %s does not cover the fees of %s", price, fee)
	}
	return nil
}

// BrowseInput filters open jobs. Zero fields do not filter.
type BrowseInput struct {
	Category  string
	Currency  money.Currency
	MinBudget int64
	MaxBudget int64
	Search    string // space-separated terms, all of which must match
	After     string // cursor from the previous page
	Limit     int    // 1..100, default 20
}

// Browse lists open jobs newest first, with the cursor of the next page ("" on the last page).
func (s *Service) Browse(ctx context.Context, c Caller, in BrowseInput) ([]*job.Job, string, error) {
	if in.Limit == 0 {
		in.Limit = 20
	}
	if in.Limit < 0 || in.Limit > 100 || in.MinBudget < 0 || in.MaxBudget < 0 || (in.MaxBudget > 0 && in.MaxBudget < in.MinBudget) {
		return nil, "", errs.New(errs.CodeInvalidInput, "limit within 1..100 and a budget range with min <= max")
	}
	if in.Currency != "" && !in.Currency.Valid() {
		return nil, "", errs.New(errs.CodeInvalidInput, "currency must be an ISO 4217 code")
	}
	if err := cmp.Or(text.Line("category", in.Category), text.Line("q", in.Search), text.Line("after", in.After)); err != nil {
		return nil, "", err
	}
	var (
		jobs []*job.Job
		next string
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		if _, err := s.caller(ctx, tx, c); err != nil {
			return err
		}
		var err error
		jobs, next, err = tx.Jobs().List(ctx, ports.JobFilter{
			State: job.Open, Category: strings.ToLower(in.Category), Currency: in.Currency,
			MinBudget: in.MinBudget, MaxBudget: in.MaxBudget, Terms: strings.Fields(in.Search), After: in.After, Limit: in.Limit,
		})
		return err
	})
	return jobs, next, err
}

// ApplyInput is an agent's offer.
type ApplyInput struct {
	Message       string
	ProposedPrice money.Money   // zero means the budget; an amount without a currency is in the budget's
	Timeline      time.Duration // how long the agent needs; zero means the job's delivery window
}

// Apply applies to an open job as the caller (a verified account other than the poster).
func (s *Service) Apply(ctx context.Context, c Caller, jobID string, in ApplyInput) (*job.Application, error) {
	out, err := s.Act(ctx, c, jobID, Command{Action: job.ActApply, Apply: in})
	if err != nil {
		return nil, err
	}
	return out.Application, nil
}

func (x *exec) apply() error {
	in, j := x.cmd.Apply, x.j
	if !x.acct.CanApply() {
		return errs.New(errs.CodeEmailNotVerified, "verify your email before applying")
	}
	price := in.ProposedPrice
	if price == (money.Money{}) {
		price = j.Budget
	}
	if price.Currency == "" {
		price.Currency = j.Budget.Currency
	}
	switch {
	case price.Currency != j.Budget.Currency:
		return errs.New(errs.CodeCurrencyMismatch, "propose a price in %s", j.Budget.Currency)
	case price.Amount <= 0:
		return errs.New(errs.CodeInvalidInput, "the proposed price must be positive")
	case len(in.Message) > 5000:
		return errs.New(errs.CodeInvalidInput, "the message must be at most 5000 bytes")
	case in.Timeline < 0 || in.Timeline > 365*24*time.Hour:
		return errs.New(errs.CodeInvalidInput, "the timeline must be within 0..365 days")
	}
	if err := price.CheckMax(); err != nil {
		return err
	}
	if err := checkCoversFees(j, price); err != nil {
		return err
	}
	a := &job.Application{ID: x.s.cfg.IDs.New("app"), JobID: j.ID, AgentID: x.acct.ID, Message: in.Message,
		ProposedPrice: price, Timeline: in.Timeline, Status: job.AppPending, CreatedAt: x.now}
	if err := x.tx.Applications().Create(x.ctx, a); err != nil {
		if errors.Is(err, ports.ErrConflict) {
			return errs.New(errs.CodeAlreadyExists, "you already applied to this job")
		}
		return err
	}
	x.data["application_id"] = a.ID
	x.out.Application = a
	x.applied = new(true)
	return nil
}

// Applications lists a job's applications: all of them for the poster and admins, the caller's
// own for anyone else (also after the job left the open state). A caller who can neither see the
// job nor has applied gets NOT_FOUND.
func (s *Service) Applications(ctx context.Context, c Caller, jobID string) ([]*job.Application, error) {
	var out []*job.Application
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		out = nil // the store may run fn again
		v, viewErr := s.load(ctx, tx, c, jobID)
		if viewErr != nil && errs.CodeOf(viewErr) != errs.CodeNotFound {
			return viewErr
		}
		apps, err := tx.Applications().ListByJob(ctx, jobID)
		if err != nil {
			return err
		}
		all := viewErr == nil && (v.role == job.RolePoster || v.role == job.RoleAdmin || v.role == job.RoleSystem)
		for _, a := range apps {
			if all || a.AgentID == c.AccountID {
				out = append(out, a)
			}
		}
		if viewErr != nil && len(out) == 0 {
			return viewErr
		}
		return nil
	})
	return out, err
}

// startCardPayment creates the card payment for accepting an application, before the accept
// transaction; its key is derived from the job version and application, so a retry reuses it.
func (s *Service) startCardPayment(ctx context.Context, c Caller, jobID string, cmd *Command) error {
	var (
		price  money.Money
		key    string
		poster *account.Account
	)
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		v, err := s.load(ctx, tx, c, jobID)
		if err != nil {
			return err
		}
		if v.role != job.RolePoster || v.j.State != job.Open {
			return nil // the transition refuses it with the right error
		}
		a, err := tx.Applications().Get(ctx, cmd.ApplicationID)
		if err != nil || a.JobID != jobID {
			return nil
		}
		if owed, err := debt(ctx, tx, v.j.PosterID, v.j.Budget.Currency); err != nil || owed > 0 {
			return err // accept refuses a poster in debt before any payment is started
		}
		price, key = a.ProposedPrice, "intent-"+jobID+"-"+a.ID+"-v"+itoa(v.j.Version)
		poster = v.acct
		return nil
	})
	if err != nil || key == "" {
		return err
	}
	payer, err := s.payer(ctx, poster)
	if err != nil {
		return err
	}
	co, err := s.cfg.Payments.CreateCardPayment(ctx, key, price, jobID, payer)
	if err != nil && payer.CardRef != "" && !errors.Is(err, ports.ErrUnavailable) {
		// The saved card was refused (declined, or its bank wants the human): the human pays on
		// a checkout page instead, under a key of its own (the refusal stays the first key's).
		payer.CardRef = ""
		co, err = s.cfg.Payments.CreateCardPayment(ctx, key+"-checkout", price, jobID, payer)
	}
	if err != nil {
		return errs.Wrap(errs.CodeConflict, err, "the payment processor is unavailable; retry")
	}
	cmd.PaymentRef, cmd.CheckoutURL = co.Ref, co.URL
	return nil
}

func (x *exec) accept() error {
	j, cmd := x.j, x.cmd
	a, err := x.tx.Applications().Get(x.ctx, cmd.ApplicationID)
	if errors.Is(err, ports.ErrNotFound) || (err == nil && a.JobID != j.ID) {
		return errs.New(errs.CodeNotFound, "application %s not found on this job", cmd.ApplicationID)
	}
	if err != nil {
		return err
	}
	if a.Status != job.AppPending {
		return errs.New(errs.CodeConflict, "application %s is %s", a.ID, a.Status)
	}
	agent, err := x.tx.Accounts().Get(x.ctx, a.AgentID)
	if err != nil {
		return err
	}
	if !agent.CanBeHired() {
		return errs.New(errs.CodeOnboardingRequired, "the agent must finish payout onboarding before being hired")
	}
	if err := refuseDebtor(x.ctx, x.tx, j.PosterID, j.Budget.Currency); err != nil {
		return err
	}
	j.AgentID, j.ApplicationID, j.Price, j.Funding = a.AgentID, a.ID, a.ProposedPrice, cmd.Funding
	j.PaymentRef, j.CheckoutURL = cmd.PaymentRef, cmd.CheckoutURL
	j.CriteriaHash = sha256Hex(j.Criteria)
	if a.Timeline > 0 {
		j.DeliveryWindow = a.Timeline
	}
	a.Status = job.AppAccepted
	if err := x.tx.Applications().Update(x.ctx, a); err != nil {
		return err
	}
	x.data["application_id"], x.data["price"] = a.ID, a.ProposedPrice.String()
	apps, err := x.tx.Applications().ListByJob(x.ctx, j.ID)
	if err != nil {
		return err
	}
	for _, o := range apps {
		if o.ID == a.ID || o.Status != job.AppPending {
			continue
		}
		o.Status = job.AppRejected
		if err := x.tx.Applications().Update(x.ctx, o); err != nil {
			return err
		}
		x.extra = append(x.extra, x.s.event("application.rejected", j.ID, []string{o.AgentID}, map[string]string{"application_id": o.ID}))
	}
	return nil
}

// unhire releases the hired agent: its accepted application lapses and the applications
// rejected at hiring are pending again. The escrow refund, if any, is the transition's money
// effect, which runs after and still sees the poster and the funding source.
func (x *exec) unhire() error {
	j := x.j
	apps, err := x.tx.Applications().ListByJob(x.ctx, j.ID)
	if err != nil {
		return err
	}
	for _, a := range apps {
		switch {
		case a.ID == j.ApplicationID:
			a.Status = job.AppLapsed
		case a.Status == job.AppRejected:
			a.Status = job.AppPending
		default:
			continue
		}
		if err := x.tx.Applications().Update(x.ctx, a); err != nil {
			return err
		}
	}
	x.data["agent_id"] = j.AgentID
	x.extra = append(x.extra, x.s.event("application.lapsed", j.ID, []string{j.AgentID}, map[string]string{"application_id": j.ApplicationID}))
	j.AgentID, j.ApplicationID, j.Price, j.Delivery, j.Revisions = "", "", j.Budget, nil, 0
	j.DeliveryDueAt, j.CriteriaHash = time.Time{}, ""
	return nil
}

func (x *exec) deliver() error {
	j, cmd := x.j, x.cmd
	d := &job.Delivery{URL: cmd.URL, Note: cmd.Note, At: x.now}
	if b := cmd.blob; b != nil {
		d.BlobKey, d.SHA256, d.Size = b.Key, b.SHA256, b.Size
	}
	j.Delivery = d
	x.data["on_time"] = boolString(!x.now.After(j.DeliveryDueAt))
	if !j.VerificationOn() {
		return nil
	}
	j.Verdict = ""
	for range j.Verification.Proofers {
		t := &proof.Task{ID: x.s.cfg.IDs.New("task"), JobID: j.ID, Status: proof.TaskOpen}
		if err := x.tx.Tasks().Create(x.ctx, t); err != nil {
			return err
		}
	}
	return x.scheduleAutoProofers()
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
