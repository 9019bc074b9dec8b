package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/money"
	"github.com/agentgigs/agentgigs/core/ports"
)

// DefaultListLimit is how many jobs Jobs.List returns when the filter's Limit is 0 (or negative).
const DefaultListLimit = 50

type jobsRepo tx

// jobCols are the columns a job is stored in, in the order of jobArgs and scanJob.
const jobCols = `id, poster_id, title, description, category, tags, search,
	budget, budget_currency, price, price_currency, fee_bps, criteria, criteria_hash, verification,
	review_window_ns, delivery_window_ns, max_revisions, state, agent_id, application_id, funding,
	payment_ref, checkout_url, revisions, delivery, delivery_due_at, deadline_at, platform_fee, platform_fee_currency,
	agent_net, agent_net_currency, proofer_fees, proofer_fees_currency, payout_held, payout_id, dispute,
	verdict, created_at, updated_at, approved_at, completed_at, version`

// jobColCount is how many columns jobCols names.
var jobColCount = strings.Count(jobCols, ",") + 1

// jobSelectCols are jobCols without search, which only queries read.
var jobSelectCols = strings.Replace(jobCols, " search,", "", 1)

// searchSeparator joins the parts of a job's search text; a term that holds it cannot match
// across two parts (likePattern drops it).
const searchSeparator = "\x1f"

// searchText is what term search matches: the job's title, description and tags, folded, joined
// by searchSeparator (the trigram index of migration 0006 serves LIKE on it).
func searchText(j *job.Job) string {
	parts := make([]string, 0, 2+len(j.Tags))
	parts = append(parts, fold(j.Title), fold(j.Description))
	for _, tag := range j.Tags {
		parts = append(parts, fold(tag))
	}
	return strings.Join(parts, searchSeparator)
}

// jobArgs returns the values of jobCols for j.
func jobArgs(j *job.Job) ([]any, error) {
	verification, err := toJSON(j.Verification)
	if err != nil {
		return nil, err
	}
	var delivery, dispute []byte
	if j.Delivery != nil {
		d := *j.Delivery
		d.At = jsonTime(d.At)
		if delivery, err = toJSON(&d); err != nil {
			return nil, err
		}
	}
	if j.Dispute != nil {
		d := *j.Dispute
		d.OpenedAt, d.ResolvedAt = jsonTime(d.OpenedAt), jsonTime(d.ResolvedAt)
		if dispute, err = toJSON(&d); err != nil {
			return nil, err
		}
	}
	tags := j.Tags
	if tags == nil {
		tags = []string{}
	}
	return []any{
		j.ID, j.PosterID, j.Title, j.Description, j.Category, tags, searchText(j),
		j.Budget.Amount, string(j.Budget.Currency), j.Price.Amount, string(j.Price.Currency), int64(j.FeeBPS),
		j.Criteria, j.CriteriaHash, verification,
		int64(j.ReviewWindow), int64(j.DeliveryWindow), j.MaxRevisions, string(j.State), j.AgentID, j.ApplicationID,
		string(j.Funding), j.PaymentRef, j.CheckoutURL, j.Revisions, delivery, ts(j.DeliveryDueAt), ts(j.DeadlineAt),
		j.PlatformFee.Amount, string(j.PlatformFee.Currency), j.AgentNet.Amount, string(j.AgentNet.Currency),
		j.ProoferFees.Amount, string(j.ProoferFees.Currency), j.PayoutHeld, j.PayoutID, dispute,
		j.Verdict, ts(j.CreatedAt), ts(j.UpdatedAt), ts(j.ApprovedAt), ts(j.CompletedAt), j.Version,
	}, nil
}

// scanJob reads a row of jobSelectCols.
func scanJob(row pgx.Row) (*job.Job, error) {
	var (
		j                                             job.Job
		budgetCur, priceCur, feeCur, netCur, proofCur string
		feeBPS, reviewNS, deliveryNS                  int64
		verification, delivery, dispute               []byte
		dueAt, deadlineAt, created, updated           *time.Time
		approved, completed                           *time.Time
	)
	err := row.Scan(&j.ID, &j.PosterID, &j.Title, &j.Description, &j.Category, &j.Tags,
		&j.Budget.Amount, &budgetCur, &j.Price.Amount, &priceCur, &feeBPS, &j.Criteria, &j.CriteriaHash, &verification,
		&reviewNS, &deliveryNS, &j.MaxRevisions, &j.State, &j.AgentID, &j.ApplicationID, &j.Funding,
		&j.PaymentRef, &j.CheckoutURL, &j.Revisions, &delivery, &dueAt, &deadlineAt, &j.PlatformFee.Amount, &feeCur,
		&j.AgentNet.Amount, &netCur, &j.ProoferFees.Amount, &proofCur, &j.PayoutHeld, &j.PayoutID, &dispute,
		&j.Verdict, &created, &updated, &approved, &completed, &j.Version)
	if err != nil {
		return nil, err
	}
	j.Tags = nilIfEmpty(j.Tags)
	j.Budget.Currency, j.Price.Currency = money.Currency(budgetCur), money.Currency(priceCur)
	j.PlatformFee.Currency, j.AgentNet.Currency, j.ProoferFees.Currency = money.Currency(feeCur), money.Currency(netCur), money.Currency(proofCur)
	j.FeeBPS, j.ReviewWindow, j.DeliveryWindow = money.BPS(feeBPS), time.Duration(reviewNS), time.Duration(deliveryNS)
	j.DeliveryDueAt, j.DeadlineAt = fromTS(dueAt), fromTS(deadlineAt)
	j.CreatedAt, j.UpdatedAt, j.ApprovedAt, j.CompletedAt = fromTS(created), fromTS(updated), fromTS(approved), fromTS(completed)
	if j.Verification, err = fromJSON[job.Verification](verification); err != nil {
		return nil, err
	}
	if j.Delivery, err = fromJSON[job.Delivery](delivery); err != nil {
		return nil, err
	}
	if j.Dispute, err = fromJSON[job.Dispute](dispute); err != nil {
		return nil, err
	}
	if j.Dispute != nil {
		j.Dispute.Evidence = nilIfEmpty(j.Dispute.Evidence)
	}
	return &j, nil
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

var (
	insertJobSQL = `INSERT INTO jobs (` + jobCols + `) VALUES (` + placeholders(1, jobColCount) + `) ON CONFLICT DO NOTHING`
	// updateJobSQL sets every column but id from $2 on, if the stored version is the new one
	// less one ($jobColCount+1).
	updateJobSQL = func() string {
		cols := strings.Split(jobCols, ",")
		var b strings.Builder
		b.WriteString(`UPDATE jobs SET `)
		for i, c := range cols[1:] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strings.TrimSpace(c) + " = $" + strconv.Itoa(i+2))
		}
		b.WriteString(` WHERE id = $1 AND version = $` + strconv.Itoa(jobColCount+1))
		return b.String()
	}()
)

func (r *jobsRepo) Create(ctx context.Context, j *job.Job) error {
	t := (*tx)(r)
	args, err := jobArgs(j)
	if err != nil {
		return err
	}
	tag, err := t.exec(ctx, "Jobs.Create", insertJobSQL, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return conflict("job %q exists", j.ID)
	}
	return nil
}

func (r *jobsRepo) Get(ctx context.Context, id string) (*job.Job, error) {
	t := (*tx)(r)
	j, err := scanJob(t.row(ctx, "Jobs.Get", `SELECT `+jobSelectCols+` FROM jobs WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		if errors.Is(err, ports.ErrNotFound) {
			return nil, notFound("job", id)
		}
		return nil, t.fail("Jobs.Get", err)
	}
	return j, nil
}

// Update is a compare-and-set on the version, so it is safe on a job read without a lock (from
// List) too.
func (r *jobsRepo) Update(ctx context.Context, j *job.Job) error {
	t := (*tx)(r)
	args, err := jobArgs(j)
	if err != nil {
		return err
	}
	tag, err := t.exec(ctx, "Jobs.Update", updateJobSQL, append(args, j.Version-1)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var version int64
	err = t.queryRow(ctx, "Jobs.Update", `SELECT version FROM jobs WHERE id = $1`, []any{j.ID}, &version)
	if errors.Is(err, ports.ErrNotFound) {
		return notFound("job", j.ID)
	}
	if err != nil {
		return err
	}
	return conflict("job %q is at version %d, the update expects %d", j.ID, version, j.Version-1)
}

// List reads a consistent snapshot without locking the jobs (see the package documentation). The
// query has only the conditions of the filter's non-zero fields, so the planner can use the
// index of each; every term is matched with LIKE against the folded title, description and tags.
func (r *jobsRepo) List(ctx context.Context, f ports.JobFilter) ([]*job.Job, string, error) {
	t := (*tx)(r)
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	var (
		where []string
		args  []any
	)
	cond := func(sql string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(sql, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.State != "" {
		cond("state = ?", string(f.State))
	}
	if f.Category != "" {
		cond("category = ?", f.Category)
	}
	if f.Currency != "" {
		cond("budget_currency = ?", string(f.Currency))
	}
	if f.MinBudget != 0 {
		cond("budget >= ?", f.MinBudget)
	}
	if f.MaxBudget != 0 {
		cond("budget <= ?", f.MaxBudget)
	}
	if f.PosterID != "" {
		cond("poster_id = ?", f.PosterID)
	}
	if f.AgentID != "" {
		cond("agent_id = ?", f.AgentID)
	}
	for _, term := range f.Terms {
		cond("search LIKE ?", likePattern(term))
	}
	if f.After != "" {
		cond("id < ?", f.After)
	}
	sql := `SELECT ` + jobSelectCols + ` FROM jobs`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit+1) // one more, to tell whether a next page exists
	sql += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))

	out := make([]*job.Job, 0, min(limit+1, 64))
	// The best plan depends on the filters' values (how rare a term or a poster is): plan each.
	t.add("Jobs.List", "SET LOCAL plan_cache_mode = auto")
	err := t.query(ctx, "Jobs.List", sql, args, func(rows pgx.Rows) error {
		j, err := scanJob(rows)
		out = append(out, j)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if len(out) > limit {
		return out[:limit], out[limit-1].ID, nil
	}
	return nilIfEmpty(out), "", nil
}
