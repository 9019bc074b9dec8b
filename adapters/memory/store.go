package memory

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentgigs/agentgigs/core/account"
	"github.com/agentgigs/agentgigs/core/apikey"
	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/payout"
	"github.com/agentgigs/agentgigs/core/ports"
	"github.com/agentgigs/agentgigs/core/proof"
	"github.com/agentgigs/agentgigs/core/review"
	"github.com/agentgigs/agentgigs/core/webhook"
)

// Store is the in-memory ports.Store. Make one with NewStore; the zero value is not usable.
//
// Transactions are serial: WithinTx holds one store-wide lock from the start of fn to its end,
// which trivially makes them serializable. WithinTx must therefore not be nested (calling it again
// from inside fn, on the same Store, deadlocks).
//
// A transaction is all or nothing through an undo log: every write records how to undo itself,
// and when fn returns an error or panics the log is played backwards before the lock is released,
// so no other transaction ever sees a partial write. Nothing is copied up front, so a transaction
// costs only what it writes.
//
// Records are copied on the way in and on the way out: callers can neither change stored state
// through a record they passed in nor through one they got back.
type Store struct {
	mu sync.Mutex

	seq uint64 // creation counter giving keyed records their place in "oldest first" lists

	accounts map[string]*account.Account
	emails   map[string]string // emailKey(email) -> account ID

	jobs   map[string]*job.Job
	jobIDs []string // every job ID, ascending

	apps        map[string]rec[job.Application]
	appsByJob   map[string]seqIDs
	appsByAgent map[pair]string // (job, agent) -> application ID

	payouts          map[string]rec[payout.Payout]
	payoutsByJob     map[string]seqIDs
	payoutsByAccount map[pair]string // (job, recipient) -> payout ID

	topups map[string]*payout.TopUp

	tasks      map[string]rec[proof.Task]
	tasksByJob map[string]seqIDs
	openTasks  seqIDs

	reviews          []*review.Review
	reviewsByJob     map[string][]int
	reviewsBySubject map[string][]int
	reviewAuthors    map[pair]struct{} // (job, author)

	balances         ledger.Balances
	entries          chunkLog[ledger.Entry] // entry i has Seq i+1
	entriesByAccount map[ledger.Account][]int64

	events          chunkLog[event.Event] // event i has Seq i+1
	eventsByAccount map[string][]int64

	audit chunkLog[event.Audit] // entry i has Seq i+1

	timers     map[string]ports.Timer
	timerQueue []ports.Timer // sorted by DueAt, then ID

	apiKeys     table[apikey.Key]
	endpoints   table[webhook.Endpoint]
	deliveries  table[webhook.Delivery]
	idempotency table[ports.IdempotentRequest]
	procEvents  table[time.Time]

	// Owned by the running transaction (the lock holder); reused from one to the next.
	undo     []undoRec
	balUndo  []balancePrev
	scratchT []ledger.Transfer
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		accounts:         map[string]*account.Account{},
		emails:           map[string]string{},
		jobs:             map[string]*job.Job{},
		apps:             map[string]rec[job.Application]{},
		appsByJob:        map[string]seqIDs{},
		appsByAgent:      map[pair]string{},
		payouts:          map[string]rec[payout.Payout]{},
		payoutsByJob:     map[string]seqIDs{},
		payoutsByAccount: map[pair]string{},
		topups:           map[string]*payout.TopUp{},
		tasks:            map[string]rec[proof.Task]{},
		tasksByJob:       map[string]seqIDs{},
		reviewsByJob:     map[string][]int{},
		reviewsBySubject: map[string][]int{},
		reviewAuthors:    map[pair]struct{}{},
		balances:         ledger.Balances{},
		entriesByAccount: map[ledger.Account][]int64{},
		eventsByAccount:  map[string][]int64{},
		timers:           map[string]ports.Timer{},
		apiKeys:          newTable(copyAPIKey),
		endpoints:        newTable(copyEndpoint),
		deliveries:       newTable(copyDelivery),
		idempotency:      newTable(copyIdempotent),
		procEvents:       newTable(copyValue[time.Time]),
	}
}

// WithinTx runs fn in one transaction, holding the store's lock throughout (see Store). If fn
// returns nil every write becomes visible; if it returns an error or panics, every write is undone
// and the error is returned or the panic continues. If ctx is already done, fn is not run and
// ctx.Err() is returned. Using the Tx after fn returned panics.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, tx ports.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	t := &tx{s: s}
	committed := false
	defer func() {
		// Runs on return, panic and runtime.Goexit alike; a panic is not recovered, so it goes
		// on with its original stack once the store is consistent and unlocked again.
		t.done.Store(true)
		if !committed {
			s.rollback()
		}
		clear(s.undo)
		s.undo = s.undo[:0]
		s.balUndo = s.balUndo[:0]
		s.mu.Unlock()
	}()
	if err := fn(ctx, t); err != nil {
		return err
	}
	committed = true
	return nil
}

// tx is the ports.Tx of one WithinTx call. Its repositories are the same pointer under other
// types, so handing them out allocates nothing.
type tx struct {
	s    *Store
	done atomic.Bool
}

// store returns the store, panicking when the transaction has ended.
func (t *tx) store() *Store {
	if t.done.Load() {
		panic("memory: Tx used after its WithinTx returned")
	}
	return t.s
}

func (t *tx) Accounts() ports.Accounts         { return (*accountsRepo)(t) }
func (t *tx) Jobs() ports.Jobs                 { return (*jobsRepo)(t) }
func (t *tx) Applications() ports.Applications { return (*appsRepo)(t) }
func (t *tx) Ledger() ports.Ledger             { return (*ledgerRepo)(t) }
func (t *tx) Payouts() ports.Payouts           { return (*payoutsRepo)(t) }
func (t *tx) TopUps() ports.TopUps             { return (*topUpsRepo)(t) }
func (t *tx) Events() ports.Events             { return (*eventsRepo)(t) }
func (t *tx) Audit() ports.Audit               { return (*auditRepo)(t) }
func (t *tx) Reviews() ports.Reviews           { return (*reviewsRepo)(t) }
func (t *tx) Tasks() ports.Tasks               { return (*tasksRepo)(t) }
func (t *tx) Timers() ports.Timers             { return (*timersRepo)(t) }
func (t *tx) APIKeys() ports.APIKeys           { return (*apiKeysRepo)(t) }
func (t *tx) Webhooks() ports.Webhooks         { return (*webhooksRepo)(t) }
func (t *tx) Idempotency() ports.Idempotency   { return (*idempotencyRepo)(t) }
func (t *tx) ProcessorEvents() ports.ProcessorEvents {
	return (*procEventsRepo)(t)
}

// undoKind says which write an undoRec reverses.
type undoKind uint8

const (
	undoAccount undoKind = iota // restore accounts[id] to prev (*account.Account; nil: delete)
	undoJob                     // restore jobs[id] to prev (*job.Job)
	undoApp                     // restore apps[id] to prev (*job.Application)
	undoPayout                  // restore payouts[id] to prev (*payout.Payout)
	undoTopUp                   // restore topups[id] to prev (*payout.TopUp)
	undoTask                    // restore tasks[id] to prev (*proof.Task)
	undoReview                  // drop the last review
	undoLedger                  // drop entries from n on, restore balances from balUndo[m:]
	undoEvents                  // drop events from n on
	undoAudit                   // drop audit entries from n on
	undoTimer                   // restore timer id to timer (when had) or delete it
	undoFunc                    // call restore
)

// undoRec is one entry of the undo log. Keyed records are stored as pointers that are replaced,
// never mutated, so the previous pointer is all it takes to restore one.
type undoRec struct {
	kind  undoKind
	id    string
	prev  any
	n, m  int
	had   bool
	timer ports.Timer
	// restore undoes the write of an undoFunc record: the tables of rarely written records
	// (keys, webhooks, idempotency) use a closure rather than a kind of their own.
	restore func()
}

func (s *Store) log(u undoRec) { s.undo = append(s.undo, u) }

// rollback plays the undo log backwards.
func (s *Store) rollback() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		u := &s.undo[i]
		switch u.kind {
		case undoAccount:
			s.setAccount(u.id, u.prev.(*account.Account))
		case undoJob:
			s.setJob(u.id, u.prev.(*job.Job))
		case undoApp:
			s.setApp(u.id, u.prev.(*job.Application))
		case undoPayout:
			s.setPayout(u.id, u.prev.(*payout.Payout))
		case undoTopUp:
			if p := u.prev.(*payout.TopUp); p != nil {
				s.topups[u.id] = p
			} else {
				delete(s.topups, u.id)
			}
		case undoTask:
			s.setTask(u.id, u.prev.(*proof.Task))
		case undoReview:
			s.popReview()
		case undoLedger:
			s.truncateEntries(u.n)
			s.restoreBalances(u.m)
		case undoEvents:
			s.truncateEvents(u.n)
		case undoAudit:
			s.audit.truncate(u.n)
		case undoTimer:
			s.removeTimer(u.id)
			if u.had {
				s.addTimer(u.timer)
			}
		case undoFunc:
			u.restore()
		}
	}
}

// pair is a two-part key of a uniqueness rule.
type pair struct{ a, b string }

// rec is a keyed record with its creation number.
type rec[T any] struct {
	seq uint64
	v   *T
}

// seqID is a record ID with its creation number.
type seqID struct {
	seq uint64
	id  string
}

// seqIDs lists record IDs in creation order.
type seqIDs []seqID

func cmpSeq(e seqID, seq uint64) int {
	switch {
	case e.seq < seq:
		return -1
	case e.seq > seq:
		return 1
	}
	return 0
}

func (l seqIDs) insert(e seqID) seqIDs {
	if n := len(l); n == 0 || l[n-1].seq < e.seq {
		return append(l, e) // the usual case: the newest record
	}
	i, _ := slices.BinarySearchFunc(l, e.seq, cmpSeq)
	return slices.Insert(l, i, e)
}

func (l seqIDs) remove(seq uint64) seqIDs {
	i, ok := slices.BinarySearchFunc(l, seq, cmpSeq)
	if !ok {
		return l
	}
	return slices.Delete(l, i, i+1)
}

// addTo and removeFrom maintain a map of seqIDs lists, dropping empty lists.
func addTo(m map[string]seqIDs, key string, e seqID) { m[key] = m[key].insert(e) }

func removeFrom(m map[string]seqIDs, key string, seq uint64) {
	if l := m[key].remove(seq); len(l) > 0 {
		m[key] = l
	} else {
		delete(m, key)
	}
}
