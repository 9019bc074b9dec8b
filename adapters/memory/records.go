package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
)

func notFound(kind, id string) error {
	return fmt.Errorf("memory: %s %q: %w", kind, id, ports.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("memory: "+format+": %w", append(args, ports.ErrConflict)...)
}

// ---- accounts ----

type accountsRepo tx

// emailKey is the form emails are compared in.
func emailKey(email string) string { return strings.ToLower(email) }

func copyAccount(a *account.Account) *account.Account { c := *a; return &c }

// setAccount stores a (nil: deletes) under id, keeping the email index.
func (s *Store) setAccount(id string, a *account.Account) {
	if old := s.accounts[id]; old != nil {
		if k := emailKey(old.Email); s.emails[k] == id {
			delete(s.emails, k)
		}
	}
	if a == nil {
		delete(s.accounts, id)
		return
	}
	s.accounts[id] = a
	s.emails[emailKey(a.Email)] = id
}

func (r *accountsRepo) Create(ctx context.Context, a *account.Account) error {
	s := (*tx)(r).store()
	if _, ok := s.accounts[a.ID]; ok {
		return conflict("account %q exists", a.ID)
	}
	if _, ok := s.emails[emailKey(a.Email)]; ok {
		return conflict("an account with email %q exists", a.Email)
	}
	s.log(undoRec{kind: undoAccount, id: a.ID, prev: (*account.Account)(nil)})
	s.setAccount(a.ID, copyAccount(a))
	return nil
}

func (r *accountsRepo) Get(ctx context.Context, id string) (*account.Account, error) {
	s := (*tx)(r).store()
	a := s.accounts[id]
	if a == nil {
		return nil, notFound("account", id)
	}
	return copyAccount(a), nil
}

func (r *accountsRepo) GetByEmail(ctx context.Context, email string) (*account.Account, error) {
	s := (*tx)(r).store()
	id, ok := s.emails[emailKey(email)]
	if !ok {
		return nil, notFound("account with email", email)
	}
	return copyAccount(s.accounts[id]), nil
}

// Update also refuses, with ErrConflict, an email another account already has.
func (r *accountsRepo) Update(ctx context.Context, a *account.Account) error {
	s := (*tx)(r).store()
	old := s.accounts[a.ID]
	if old == nil {
		return notFound("account", a.ID)
	}
	if id, ok := s.emails[emailKey(a.Email)]; ok && id != a.ID {
		return conflict("an account with email %q exists", a.Email)
	}
	s.log(undoRec{kind: undoAccount, id: a.ID, prev: old})
	s.setAccount(a.ID, copyAccount(a))
	return nil
}

// ---- applications ----

type appsRepo tx

func copyApp(a *job.Application) *job.Application { c := *a; return &c }

// setApp stores a (nil: deletes) under id, keeping the per-job list and the (job, agent) index.
func (s *Store) setApp(id string, a *job.Application) {
	old, had := s.apps[id]
	if had {
		if a == nil || a.JobID != old.v.JobID {
			removeFrom(s.appsByJob, old.v.JobID, old.seq)
		}
		if k := (pair{old.v.JobID, old.v.AgentID}); s.appsByAgent[k] == id {
			delete(s.appsByAgent, k)
		}
	}
	if a == nil {
		delete(s.apps, id)
		return
	}
	r := old
	if !had {
		s.seq++
		r.seq = s.seq
	}
	r.v = a
	s.apps[id] = r
	if !had || a.JobID != old.v.JobID {
		addTo(s.appsByJob, a.JobID, seqID{r.seq, id})
	}
	s.appsByAgent[pair{a.JobID, a.AgentID}] = id
}

func (r *appsRepo) Create(ctx context.Context, a *job.Application) error {
	s := (*tx)(r).store()
	if _, ok := s.apps[a.ID]; ok {
		return conflict("application %q exists", a.ID)
	}
	if _, ok := s.appsByAgent[pair{a.JobID, a.AgentID}]; ok {
		return conflict("agent %q already applied to job %q", a.AgentID, a.JobID)
	}
	s.log(undoRec{kind: undoApp, id: a.ID, prev: (*job.Application)(nil)})
	s.setApp(a.ID, copyApp(a))
	return nil
}

func (r *appsRepo) Get(ctx context.Context, id string) (*job.Application, error) {
	s := (*tx)(r).store()
	a, ok := s.apps[id]
	if !ok {
		return nil, notFound("application", id)
	}
	return copyApp(a.v), nil
}

// Update also refuses, with ErrConflict, a (job, agent) pair another application already has,
// and a second accepted application to a job.
func (r *appsRepo) Update(ctx context.Context, a *job.Application) error {
	s := (*tx)(r).store()
	old, ok := s.apps[a.ID]
	if !ok {
		return notFound("application", a.ID)
	}
	if id, ok := s.appsByAgent[pair{a.JobID, a.AgentID}]; ok && id != a.ID {
		return conflict("agent %q already applied to job %q", a.AgentID, a.JobID)
	}
	if a.Status == job.AppAccepted {
		for _, e := range s.appsByJob[a.JobID] {
			if e.id != a.ID && s.apps[e.id].v.Status == job.AppAccepted {
				return conflict("job %q already has an accepted application", a.JobID)
			}
		}
	}
	s.log(undoRec{kind: undoApp, id: a.ID, prev: old.v})
	s.setApp(a.ID, copyApp(a))
	return nil
}

func (r *appsRepo) ListByJob(ctx context.Context, jobID string) ([]*job.Application, error) {
	s := (*tx)(r).store()
	ids := s.appsByJob[jobID]
	if len(ids) == 0 {
		return nil, nil
	}
	out := make([]*job.Application, len(ids))
	for i, e := range ids {
		out[i] = copyApp(s.apps[e.id].v)
	}
	return out, nil
}

func (r *appsRepo) AppliedTo(ctx context.Context, agentID string, jobIDs []string) ([]string, error) {
	s := (*tx)(r).store()
	var out []string
	for _, id := range jobIDs {
		if _, ok := s.appsByAgent[pair{id, agentID}]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// ---- payouts ----

type payoutsRepo tx

func copyPayout(p *payout.Payout) *payout.Payout { c := *p; return &c }

// setPayout stores p (nil: deletes) under id, keeping the per-job list and the (job, recipient)
// index.
func (s *Store) setPayout(id string, p *payout.Payout) {
	old, had := s.payouts[id]
	if had {
		if p == nil || p.JobID != old.v.JobID {
			removeFrom(s.payoutsByJob, old.v.JobID, old.seq)
		}
		if k := (pair{old.v.JobID, old.v.Recipient}); s.payoutsByAccount[k] == id {
			delete(s.payoutsByAccount, k)
		}
	}
	if p == nil {
		delete(s.payouts, id)
		return
	}
	r := old
	if !had {
		s.seq++
		r.seq = s.seq
	}
	r.v = p
	s.payouts[id] = r
	if !had || p.JobID != old.v.JobID {
		addTo(s.payoutsByJob, p.JobID, seqID{r.seq, id})
	}
	s.payoutsByAccount[pair{p.JobID, p.Recipient}] = id
}

func (r *payoutsRepo) Create(ctx context.Context, p *payout.Payout) error {
	s := (*tx)(r).store()
	if _, ok := s.payouts[p.ID]; ok {
		return conflict("payout %q exists", p.ID)
	}
	if _, ok := s.payoutsByAccount[pair{p.JobID, p.Recipient}]; ok {
		return conflict("job %q already has a payout to %q", p.JobID, p.Recipient)
	}
	s.log(undoRec{kind: undoPayout, id: p.ID, prev: (*payout.Payout)(nil)})
	s.setPayout(p.ID, copyPayout(p))
	return nil
}

func (r *payoutsRepo) Get(ctx context.Context, id string) (*payout.Payout, error) {
	s := (*tx)(r).store()
	p, ok := s.payouts[id]
	if !ok {
		return nil, notFound("payout", id)
	}
	return copyPayout(p.v), nil
}

// Update also refuses, with ErrConflict, a (job, recipient) pair another payout already has.
func (r *payoutsRepo) Update(ctx context.Context, p *payout.Payout) error {
	s := (*tx)(r).store()
	old, ok := s.payouts[p.ID]
	if !ok {
		return notFound("payout", p.ID)
	}
	if id, ok := s.payoutsByAccount[pair{p.JobID, p.Recipient}]; ok && id != p.ID {
		return conflict("job %q already has a payout to %q", p.JobID, p.Recipient)
	}
	s.log(undoRec{kind: undoPayout, id: p.ID, prev: old.v})
	s.setPayout(p.ID, copyPayout(p))
	return nil
}

func (r *payoutsRepo) ListByJob(ctx context.Context, jobID string) ([]*payout.Payout, error) {
	s := (*tx)(r).store()
	ids := s.payoutsByJob[jobID]
	if len(ids) == 0 {
		return nil, nil
	}
	out := make([]*payout.Payout, len(ids))
	for i, e := range ids {
		out[i] = copyPayout(s.payouts[e.id].v)
	}
	return out, nil
}

// ---- top-ups ----

type topUpsRepo tx

func copyTopUp(t *payout.TopUp) *payout.TopUp { c := *t; return &c }

func (r *topUpsRepo) Create(ctx context.Context, t *payout.TopUp) error {
	s := (*tx)(r).store()
	if _, ok := s.topups[t.ID]; ok {
		return conflict("top-up %q exists", t.ID)
	}
	s.log(undoRec{kind: undoTopUp, id: t.ID, prev: (*payout.TopUp)(nil)})
	s.topups[t.ID] = copyTopUp(t)
	return nil
}

func (r *topUpsRepo) Get(ctx context.Context, id string) (*payout.TopUp, error) {
	s := (*tx)(r).store()
	t := s.topups[id]
	if t == nil {
		return nil, notFound("top-up", id)
	}
	return copyTopUp(t), nil
}

func (r *topUpsRepo) Update(ctx context.Context, t *payout.TopUp) error {
	s := (*tx)(r).store()
	old := s.topups[t.ID]
	if old == nil {
		return notFound("top-up", t.ID)
	}
	s.log(undoRec{kind: undoTopUp, id: t.ID, prev: old})
	s.topups[t.ID] = copyTopUp(t)
	return nil
}

// ---- verification tasks ----

type tasksRepo tx

func copyTask(t *proof.Task) *proof.Task {
	c := *t
	if t.Scorecard != nil {
		sc := *t.Scorecard
		sc.Criteria = slices.Clone(sc.Criteria)
		sc.Evidence = slices.Clone(sc.Evidence)
		c.Scorecard = &sc
	}
	return &c
}

// setTask stores t (nil: deletes) under id, keeping the per-job list and the open list.
func (s *Store) setTask(id string, t *proof.Task) {
	old, had := s.tasks[id]
	wasOpen := had && old.v.Status == proof.TaskOpen
	isOpen := t != nil && t.Status == proof.TaskOpen
	if had && (t == nil || t.JobID != old.v.JobID) {
		removeFrom(s.tasksByJob, old.v.JobID, old.seq)
	}
	if wasOpen && !isOpen {
		s.openTasks = s.openTasks.remove(old.seq)
	}
	if t == nil {
		delete(s.tasks, id)
		return
	}
	r := old
	if !had {
		s.seq++
		r.seq = s.seq
	}
	r.v = t
	s.tasks[id] = r
	if !had || t.JobID != old.v.JobID {
		addTo(s.tasksByJob, t.JobID, seqID{r.seq, id})
	}
	if isOpen && !wasOpen {
		s.openTasks = s.openTasks.insert(seqID{r.seq, id})
	}
}

func (r *tasksRepo) Create(ctx context.Context, t *proof.Task) error {
	s := (*tx)(r).store()
	if _, ok := s.tasks[t.ID]; ok {
		return conflict("task %q exists", t.ID)
	}
	s.log(undoRec{kind: undoTask, id: t.ID, prev: (*proof.Task)(nil)})
	s.setTask(t.ID, copyTask(t))
	return nil
}

func (r *tasksRepo) Get(ctx context.Context, id string) (*proof.Task, error) {
	s := (*tx)(r).store()
	t, ok := s.tasks[id]
	if !ok {
		return nil, notFound("task", id)
	}
	return copyTask(t.v), nil
}

func (r *tasksRepo) Update(ctx context.Context, t *proof.Task) error {
	s := (*tx)(r).store()
	old, ok := s.tasks[t.ID]
	if !ok {
		return notFound("task", t.ID)
	}
	s.log(undoRec{kind: undoTask, id: t.ID, prev: old.v})
	s.setTask(t.ID, copyTask(t))
	return nil
}

func (r *tasksRepo) ListByJob(ctx context.Context, jobID string) ([]*proof.Task, error) {
	s := (*tx)(r).store()
	return s.taskList(s.tasksByJob[jobID], 0), nil
}

func (r *tasksRepo) ListOpen(ctx context.Context, limit int) ([]*proof.Task, error) {
	s := (*tx)(r).store()
	return s.taskList(s.openTasks, limit), nil
}

func (s *Store) taskList(ids seqIDs, limit int) []*proof.Task {
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	if len(ids) == 0 {
		return nil
	}
	out := make([]*proof.Task, len(ids))
	for i, e := range ids {
		out[i] = copyTask(s.tasks[e.id].v)
	}
	return out
}

// ---- reviews ----

type reviewsRepo tx

func copyReview(r *review.Review) *review.Review { c := *r; return &c }

func (r *reviewsRepo) Create(ctx context.Context, rv *review.Review) error {
	s := (*tx)(r).store()
	k := pair{rv.JobID, rv.AuthorID}
	if _, ok := s.reviewAuthors[k]; ok {
		return conflict("%q already reviewed on job %q", rv.AuthorID, rv.JobID)
	}
	s.log(undoRec{kind: undoReview})
	i := len(s.reviews)
	s.reviews = append(s.reviews, copyReview(rv))
	s.reviewAuthors[k] = struct{}{}
	s.reviewsByJob[rv.JobID] = append(s.reviewsByJob[rv.JobID], i)
	s.reviewsBySubject[rv.SubjectID] = append(s.reviewsBySubject[rv.SubjectID], i)
	return nil
}

// popReview undoes the latest Create.
func (s *Store) popReview() {
	i := len(s.reviews) - 1
	rv := s.reviews[i]
	s.reviews[i] = nil
	s.reviews = s.reviews[:i]
	delete(s.reviewAuthors, pair{rv.JobID, rv.AuthorID})
	popIndex(s.reviewsByJob, rv.JobID)
	popIndex(s.reviewsBySubject, rv.SubjectID)
}

func popIndex(m map[string][]int, key string) {
	if l := m[key]; len(l) > 1 {
		m[key] = l[:len(l)-1]
	} else {
		delete(m, key)
	}
}

func (r *reviewsRepo) ListByJob(ctx context.Context, jobID string) ([]*review.Review, error) {
	s := (*tx)(r).store()
	return s.reviewList(s.reviewsByJob[jobID]), nil
}

func (r *reviewsRepo) ListBySubject(ctx context.Context, subjectID string) ([]*review.Review, error) {
	s := (*tx)(r).store()
	return s.reviewList(s.reviewsBySubject[subjectID]), nil
}

func (s *Store) reviewList(idx []int) []*review.Review {
	if len(idx) == 0 {
		return nil
	}
	out := make([]*review.Review, len(idx))
	for i, j := range idx {
		out[i] = copyReview(s.reviews[j])
	}
	return out
}
