package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
)

// ---- accounts ----

type accountsRepo tx

const accountCols = `id, email, name, email_verified, verify_token_hash, payouts_enabled, connect_ref, admin, created_at,
	email_opt_out, verify_token_expires_at, verify_sends, verify_sends_since, verify_sent_at, customer_ref, card_ref`

func scanAccount(row pgx.Row) (*account.Account, error) {
	var (
		a                          account.Account
		at, expires, since, sentAt *time.Time
		sends                      int64
	)
	if err := row.Scan(&a.ID, &a.Email, &a.Name, &a.EmailVerified, &a.VerifyTokenHash, &a.PayoutsEnabled, &a.ConnectRef, &a.Admin, &at,
		&a.EmailOptOut, &expires, &sends, &since, &sentAt, &a.CustomerRef, &a.CardRef); err != nil {
		return nil, err
	}
	a.CreatedAt, a.VerifyTokenExpiresAt, a.VerifySendsSince, a.VerifySentAt = fromTS(at), fromTS(expires), fromTS(since), fromTS(sentAt)
	a.VerifySends = int(sends)
	return &a, nil
}

// accountArgs are the values of accountCols, then the email key.
func accountArgs(a *account.Account) []any {
	return []any{a.ID, a.Email, a.Name, a.EmailVerified, a.VerifyTokenHash, a.PayoutsEnabled, a.ConnectRef, a.Admin, ts(a.CreatedAt),
		a.EmailOptOut, ts(a.VerifyTokenExpiresAt), int64(a.VerifySends), ts(a.VerifySendsSince), ts(a.VerifySentAt),
		a.CustomerRef, a.CardRef, emailKey(a.Email)}
}

func (r *accountsRepo) Create(ctx context.Context, a *account.Account) error {
	t := (*tx)(r)
	tag, err := t.exec(ctx, "Accounts.Create", `INSERT INTO accounts (`+accountCols+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING`, accountArgs(a)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("account %q or its email %q exists", a.ID, a.Email)
	}
	return nil
}

// Get and GetByEmail take a share lock: concurrent readers do not wait for each other, a writer
// waits for them (see the package documentation).
func (r *accountsRepo) Get(ctx context.Context, id string) (*account.Account, error) {
	return r.get(ctx, "Accounts.Get", `SELECT `+accountCols+` FROM accounts WHERE id = $1 FOR SHARE`, id, "account")
}

func (r *accountsRepo) GetByEmail(ctx context.Context, email string) (*account.Account, error) {
	return r.get(ctx, "Accounts.GetByEmail", `SELECT `+accountCols+` FROM accounts WHERE email_key = $1 FOR SHARE`, emailKey(email), "account with email")
}

func (r *accountsRepo) get(ctx context.Context, op, sql, key, kind string) (*account.Account, error) {
	t := (*tx)(r)
	a, err := scanAccount(t.row(ctx, op, sql, key))
	if err != nil {
		if errors.Is(err, ports.ErrNotFound) {
			return nil, notFound(kind, key)
		}
		return nil, t.fail(op, err)
	}
	return a, nil
}

// Update checks the email's uniqueness first, so a refused update leaves the transaction usable.
func (r *accountsRepo) Update(ctx context.Context, a *account.Account) error {
	t := (*tx)(r)
	var taken bool
	if err := t.queryRow(ctx, "Accounts.Update", `SELECT EXISTS (SELECT 1 FROM accounts WHERE email_key = $1 AND id <> $2)`,
		[]any{emailKey(a.Email), a.ID}, &taken); err != nil {
		return err
	}
	if taken {
		return conflict("an account with email %q exists", a.Email)
	}
	tag, err := t.exec(ctx, "Accounts.Update", `UPDATE accounts SET email = $2, name = $3, email_verified = $4,
		verify_token_hash = $5, payouts_enabled = $6, connect_ref = $7, admin = $8, created_at = $9, email_opt_out = $10,
		verify_token_expires_at = $11, verify_sends = $12, verify_sends_since = $13, verify_sent_at = $14,
		customer_ref = $15, card_ref = $16, email_key = $17
		WHERE id = $1`, accountArgs(a)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("account", a.ID)
	}
	return nil
}

// ---- applications ----

type appsRepo tx

const appCols = `id, job_id, agent_id, message, proposed_price, proposed_price_currency, timeline_ns, status, created_at`

func scanApp(row pgx.Row) (*job.Application, error) {
	var (
		a   job.Application
		cur string
		ns  int64
		at  *time.Time
	)
	if err := row.Scan(&a.ID, &a.JobID, &a.AgentID, &a.Message, &a.ProposedPrice.Amount, &cur, &ns, &a.Status, &at); err != nil {
		return nil, err
	}
	a.ProposedPrice.Currency, a.Timeline, a.CreatedAt = money.Currency(cur), time.Duration(ns), fromTS(at)
	return &a, nil
}

func appArgs(a *job.Application) []any {
	return []any{a.ID, a.JobID, a.AgentID, a.Message, a.ProposedPrice.Amount, string(a.ProposedPrice.Currency), int64(a.Timeline), string(a.Status), ts(a.CreatedAt)}
}

func (r *appsRepo) Create(ctx context.Context, a *job.Application) error {
	t := (*tx)(r)
	tag, err := t.exec(ctx, "Applications.Create", `INSERT INTO applications (`+appCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`, appArgs(a)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("application %q exists, or agent %q already applied to job %q, or the job has an accepted application", a.ID, a.AgentID, a.JobID)
	}
	return nil
}

func (r *appsRepo) Get(ctx context.Context, id string) (*job.Application, error) {
	t := (*tx)(r)
	a, err := scanApp(t.row(ctx, "Applications.Get", `SELECT `+appCols+` FROM applications WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		if errors.Is(err, ports.ErrNotFound) {
			return nil, notFound("application", id)
		}
		return nil, t.fail("Applications.Get", err)
	}
	return a, nil
}

// Update checks the uniqueness rules (one application per agent and job, one accepted
// application per job) in the statement that updates, so a refused update leaves the
// transaction usable, in one round trip.
func (r *appsRepo) Update(ctx context.Context, a *job.Application) error {
	t := (*tx)(r)
	var (
		taken   bool
		updated int
	)
	if err := t.writeRow(ctx, "Applications.Update", `WITH taken AS (
			SELECT EXISTS (SELECT 1 FROM applications
				WHERE job_id = $2 AND id <> $1 AND (agent_id = $3 OR ($8 = 'accepted' AND status = 'accepted'))) AS taken
		), updated AS (
			UPDATE applications SET job_id = $2, agent_id = $3, message = $4,
				proposed_price = $5, proposed_price_currency = $6, timeline_ns = $7, status = $8, created_at = $9
			WHERE id = $1 AND NOT (SELECT taken FROM taken)
			RETURNING 1
		)
		SELECT (SELECT taken FROM taken), (SELECT count(*) FROM updated)`,
		appArgs(a), &taken, &updated); err != nil {
		return err
	}
	switch {
	case taken:
		return conflict("agent %q already applied to job %q, or the job has an accepted application", a.AgentID, a.JobID)
	case updated == 0:
		return notFound("application", a.ID)
	}
	return nil
}

func (r *appsRepo) ListByJob(ctx context.Context, jobID string) ([]*job.Application, error) {
	t := (*tx)(r)
	var out []*job.Application
	err := t.query(ctx, "Applications.ListByJob", `SELECT `+appCols+` FROM applications WHERE job_id = $1 ORDER BY ord FOR UPDATE`,
		[]any{jobID}, func(rows pgx.Rows) error {
			a, err := scanApp(rows)
			out = append(out, a)
			return err
		})
	return out, err
}

func (r *appsRepo) AppliedTo(ctx context.Context, agentID string, jobIDs []string) ([]string, error) {
	t := (*tx)(r)
	var out []string
	err := t.query(ctx, "Applications.AppliedTo", `SELECT job_id FROM applications
		WHERE job_id = ANY($2) AND agent_id = $1`,
		[]any{agentID, jobIDs}, func(rows pgx.Rows) error {
			var id string
			err := rows.Scan(&id)
			out = append(out, id)
			return err
		})
	return out, err
}

// ---- payouts ----

type payoutsRepo tx

const payoutCols = `id, job_id, recipient, amount, amount_currency, status, held, attempts, ref, last_error, created_at, paid_at`

func scanPayout(row pgx.Row) (*payout.Payout, error) {
	var (
		p       payout.Payout
		cur     string
		at, pat *time.Time
	)
	if err := row.Scan(&p.ID, &p.JobID, &p.Recipient, &p.Amount.Amount, &cur, &p.Status, &p.Held, &p.Attempts, &p.Ref, &p.LastError, &at, &pat); err != nil {
		return nil, err
	}
	p.Amount.Currency, p.CreatedAt, p.PaidAt = money.Currency(cur), fromTS(at), fromTS(pat)
	return &p, nil
}

func payoutArgs(p *payout.Payout) []any {
	return []any{p.ID, p.JobID, p.Recipient, p.Amount.Amount, string(p.Amount.Currency), string(p.Status), p.Held, p.Attempts, p.Ref, p.LastError, ts(p.CreatedAt), ts(p.PaidAt)}
}

func (r *payoutsRepo) Create(ctx context.Context, p *payout.Payout) error {
	t := (*tx)(r)
	tag, err := t.exec(ctx, "Payouts.Create", `INSERT INTO payouts (`+payoutCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`, payoutArgs(p)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("payout %q exists, or job %q already has a payout to %q", p.ID, p.JobID, p.Recipient)
	}
	return nil
}

func (r *payoutsRepo) Get(ctx context.Context, id string) (*payout.Payout, error) {
	t := (*tx)(r)
	p, err := scanPayout(t.row(ctx, "Payouts.Get", `SELECT `+payoutCols+` FROM payouts WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		if errors.Is(err, ports.ErrNotFound) {
			return nil, notFound("payout", id)
		}
		return nil, t.fail("Payouts.Get", err)
	}
	return p, nil
}

// Update checks the one-payout-per-job-and-recipient rule first, so a refused update leaves the
// transaction usable.
func (r *payoutsRepo) Update(ctx context.Context, p *payout.Payout) error {
	t := (*tx)(r)
	var taken bool
	if err := t.queryRow(ctx, "Payouts.Update", `SELECT EXISTS (SELECT 1 FROM payouts WHERE job_id = $1 AND recipient = $2 AND id <> $3)`,
		[]any{p.JobID, p.Recipient, p.ID}, &taken); err != nil {
		return err
	}
	if taken {
		return conflict("job %q already has a payout to %q", p.JobID, p.Recipient)
	}
	tag, err := t.exec(ctx, "Payouts.Update", `UPDATE payouts SET job_id = $2, recipient = $3, amount = $4, amount_currency = $5,
		status = $6, held = $7, attempts = $8, ref = $9, last_error = $10, created_at = $11, paid_at = $12
		WHERE id = $1`, payoutArgs(p)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("payout", p.ID)
	}
	return nil
}

func (r *payoutsRepo) ListByJob(ctx context.Context, jobID string) ([]*payout.Payout, error) {
	t := (*tx)(r)
	var out []*payout.Payout
	err := t.query(ctx, "Payouts.ListByJob", `SELECT `+payoutCols+` FROM payouts WHERE job_id = $1 ORDER BY ord FOR UPDATE`,
		[]any{jobID}, func(rows pgx.Rows) error {
			p, err := scanPayout(rows)
			out = append(out, p)
			return err
		})
	return out, err
}

// ---- top-ups ----

type topUpsRepo tx

const topUpCols = `id, account_id, amount, amount_currency, status, ref, created_at, checkout_url`

func scanTopUp(row pgx.Row) (*payout.TopUp, error) {
	var (
		u   payout.TopUp
		cur string
		at  *time.Time
	)
	if err := row.Scan(&u.ID, &u.AccountID, &u.Amount.Amount, &cur, &u.Status, &u.Ref, &at, &u.CheckoutURL); err != nil {
		return nil, err
	}
	u.Amount.Currency, u.CreatedAt = money.Currency(cur), fromTS(at)
	return &u, nil
}

func topUpArgs(u *payout.TopUp) []any {
	return []any{u.ID, u.AccountID, u.Amount.Amount, string(u.Amount.Currency), string(u.Status), u.Ref, ts(u.CreatedAt), u.CheckoutURL}
}

func (r *topUpsRepo) Create(ctx context.Context, u *payout.TopUp) error {
	t := (*tx)(r)
	tag, err := t.exec(ctx, "TopUps.Create", `INSERT INTO topups (`+topUpCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`, topUpArgs(u)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("top-up %q exists", u.ID)
	}
	return nil
}

func (r *topUpsRepo) Get(ctx context.Context, id string) (*payout.TopUp, error) {
	t := (*tx)(r)
	u, err := scanTopUp(t.row(ctx, "TopUps.Get", `SELECT `+topUpCols+` FROM topups WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		if errors.Is(err, ports.ErrNotFound) {
			return nil, notFound("top-up", id)
		}
		return nil, t.fail("TopUps.Get", err)
	}
	return u, nil
}

func (r *topUpsRepo) Update(ctx context.Context, u *payout.TopUp) error {
	t := (*tx)(r)
	tag, err := t.exec(ctx, "TopUps.Update", `UPDATE topups SET account_id = $2, amount = $3, amount_currency = $4,
		status = $5, ref = $6, created_at = $7, checkout_url = $8 WHERE id = $1`, topUpArgs(u)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("top-up", u.ID)
	}
	return nil
}

// ---- tasks ----

type tasksRepo tx

const taskCols = `id, job_id, status, proofer_id, scorecard, claimed_at, submitted_at`

func scanTask(row pgx.Row) (*proof.Task, error) {
	var (
		k       proof.Task
		card    []byte
		ca, sub *time.Time
	)
	if err := row.Scan(&k.ID, &k.JobID, &k.Status, &k.ProoferID, &card, &ca, &sub); err != nil {
		return nil, err
	}
	var err error
	if k.Scorecard, err = fromJSON[proof.Scorecard](card); err != nil {
		return nil, err
	}
	k.ClaimedAt, k.SubmittedAt = fromTS(ca), fromTS(sub)
	return &k, nil
}

func taskArgs(k *proof.Task) ([]any, error) {
	card, err := toJSON(k.Scorecard)
	if err != nil {
		return nil, err
	}
	return []any{k.ID, k.JobID, string(k.Status), k.ProoferID, card, ts(k.ClaimedAt), ts(k.SubmittedAt)}, nil
}

func (r *tasksRepo) Create(ctx context.Context, k *proof.Task) error {
	t := (*tx)(r)
	args, err := taskArgs(k)
	if err != nil {
		return err
	}
	tag, err := t.exec(ctx, "Tasks.Create", `INSERT INTO tasks (`+taskCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("task %q exists", k.ID)
	}
	return nil
}

func (r *tasksRepo) Get(ctx context.Context, id string) (*proof.Task, error) {
	t := (*tx)(r)
	k, err := scanTask(t.row(ctx, "Tasks.Get", `SELECT `+taskCols+` FROM tasks WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		if errors.Is(err, ports.ErrNotFound) {
			return nil, notFound("task", id)
		}
		return nil, t.fail("Tasks.Get", err)
	}
	return k, nil
}

func (r *tasksRepo) Update(ctx context.Context, k *proof.Task) error {
	t := (*tx)(r)
	args, err := taskArgs(k)
	if err != nil {
		return err
	}
	tag, err := t.exec(ctx, "Tasks.Update", `UPDATE tasks SET job_id = $2, status = $3, proofer_id = $4, scorecard = $5,
		claimed_at = $6, submitted_at = $7 WHERE id = $1`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("task", k.ID)
	}
	return nil
}

func (r *tasksRepo) ListByJob(ctx context.Context, jobID string) ([]*proof.Task, error) {
	return r.list(ctx, "Tasks.ListByJob", `SELECT `+taskCols+` FROM tasks WHERE job_id = $1 ORDER BY ord FOR UPDATE`, jobID)
}

func (r *tasksRepo) ListOpen(ctx context.Context, limit int) ([]*proof.Task, error) {
	return r.list(ctx, "Tasks.ListOpen", `SELECT `+taskCols+` FROM tasks WHERE status = 'open' ORDER BY ord LIMIT $1 FOR UPDATE`, limitOrAll(limit))
}

func (r *tasksRepo) list(ctx context.Context, op, sql string, arg any) ([]*proof.Task, error) {
	t := (*tx)(r)
	var out []*proof.Task
	err := t.query(ctx, op, sql, []any{arg}, func(rows pgx.Rows) error {
		k, err := scanTask(rows)
		out = append(out, k)
		return err
	})
	return out, err
}

// limitOrAll is a LIMIT argument: NULL (no limit) for 0 or less.
func limitOrAll(limit int) *int64 {
	if limit <= 0 {
		return nil
	}
	l := int64(limit)
	return &l
}

// ---- reviews ----

type reviewsRepo tx

const reviewCols = `job_id, author_id, subject_id, stars, text, at`

func scanReview(row pgx.Row) (*review.Review, error) {
	var (
		v  review.Review
		at *time.Time
	)
	if err := row.Scan(&v.JobID, &v.AuthorID, &v.SubjectID, &v.Stars, &v.Text, &at); err != nil {
		return nil, err
	}
	v.At = fromTS(at)
	return &v, nil
}

func (r *reviewsRepo) Create(ctx context.Context, v *review.Review) error {
	t := (*tx)(r)
	tag, err := t.exec(ctx, "Reviews.Create", `INSERT INTO reviews (`+reviewCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, v.JobID, v.AuthorID, v.SubjectID, v.Stars, v.Text, ts(v.At))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("%q already reviewed on job %q", v.AuthorID, v.JobID)
	}
	return nil
}

// Reviews never change once written, so listing them takes no lock.
func (r *reviewsRepo) ListByJob(ctx context.Context, jobID string) ([]*review.Review, error) {
	return r.list(ctx, "Reviews.ListByJob", `SELECT `+reviewCols+` FROM reviews WHERE job_id = $1 ORDER BY ord`, jobID)
}

func (r *reviewsRepo) ListBySubject(ctx context.Context, subjectID string) ([]*review.Review, error) {
	return r.list(ctx, "Reviews.ListBySubject", `SELECT `+reviewCols+` FROM reviews WHERE subject_id = $1 ORDER BY ord`, subjectID)
}

func (r *reviewsRepo) list(ctx context.Context, op, sql, arg string) ([]*review.Review, error) {
	t := (*tx)(r)
	var out []*review.Review
	err := t.query(ctx, op, sql, []any{arg}, func(rows pgx.Rows) error {
		v, err := scanReview(rows)
		out = append(out, v)
		return err
	})
	return out, err
}
