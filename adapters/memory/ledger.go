package memory

import (
	"context"
	"maps"
	"slices"
	"sort"

	"github.com/agentgigs/agentgigs/core/event"
	"github.com/agentgigs/agentgigs/core/ledger"
	"github.com/agentgigs/agentgigs/core/money"
)

// ---- ledger ----

type ledgerRepo tx

// balancePrev is a balance as it was before a Post, for the undo log.
type balancePrev struct {
	key ledger.Key
	v   int64
	had bool
}

// Post numbers entries 1, 2, 3, … in the order they are posted. The balance rules are those of
// ledger.Balances.Apply, applied to the store's balances.
func (r *ledgerRepo) Post(ctx context.Context, entries ...ledger.Entry) error {
	s := (*tx)(r).store()
	if len(entries) == 0 {
		return nil
	}
	mark := len(s.balUndo)
	s.scratchT = s.scratchT[:0]
	for i := range entries {
		t := entries[i].Transfer
		s.scratchT = append(s.scratchT, t)
		s.saveBalance(ledger.Key{Account: t.From, Currency: t.Amount.Currency})
		s.saveBalance(ledger.Key{Account: t.To, Currency: t.Amount.Currency})
	}
	err := s.balances.Apply(s.scratchT...)
	clear(s.scratchT)
	if err != nil {
		// Apply restores the values it changed but may leave a zero balance behind for an
		// account it touched for the first time; restoring every saved key undoes that too.
		s.restoreBalances(mark)
		return err
	}
	start := s.entries.len()
	for _, e := range entries {
		e.Seq = int64(s.entries.len()) + 1
		s.entries.append(e)
		s.entriesByAccount[e.From] = append(s.entriesByAccount[e.From], e.Seq)
		s.entriesByAccount[e.To] = append(s.entriesByAccount[e.To], e.Seq)
	}
	s.log(undoRec{kind: undoLedger, n: start, m: mark})
	return nil
}

func (s *Store) saveBalance(k ledger.Key) {
	v, had := s.balances[k]
	s.balUndo = append(s.balUndo, balancePrev{key: k, v: v, had: had})
}

// restoreBalances puts back the balances saved from balUndo[mark:] on, latest first.
func (s *Store) restoreBalances(mark int) {
	for i := len(s.balUndo) - 1; i >= mark; i-- {
		p := s.balUndo[i]
		if p.had {
			s.balances[p.key] = p.v
		} else {
			delete(s.balances, p.key)
		}
	}
	s.balUndo = s.balUndo[:mark]
}

// truncateEntries drops the entries from index n on, with their index entries.
func (s *Store) truncateEntries(n int) {
	for i := s.entries.len() - 1; i >= n; i-- {
		e := s.entries.at(i)
		popSeq(s.entriesByAccount, e.To, e.Seq)
		popSeq(s.entriesByAccount, e.From, e.Seq)
	}
	s.entries.truncate(n)
}

// popSeq drops seq from the end of m[k] if it is there.
func popSeq[K comparable](m map[K][]int64, k K, seq int64) {
	l := m[k]
	if n := len(l); n > 0 && l[n-1] == seq {
		if n == 1 {
			delete(m, k)
		} else {
			m[k] = l[:n-1]
		}
	}
}

func (r *ledgerRepo) Balance(ctx context.Context, a ledger.Account, cur money.Currency) (int64, error) {
	s := (*tx)(r).store()
	return s.balances[ledger.Key{Account: a, Currency: cur}], nil
}

func (r *ledgerRepo) Balances(ctx context.Context) (ledger.Balances, error) {
	s := (*tx)(r).store()
	return maps.Clone(s.balances), nil
}

func (r *ledgerRepo) Entries(ctx context.Context, a ledger.Account, afterSeq int64, limit int) ([]ledger.Entry, error) {
	s := (*tx)(r).store()
	if a == "" {
		return s.entries.page(afterSeq, limit), nil
	}
	seqs := afterIn(s.entriesByAccount[a], afterSeq, limit)
	if len(seqs) == 0 {
		return nil, nil
	}
	out := make([]ledger.Entry, len(seqs))
	for i, seq := range seqs {
		out[i] = *s.entries.at(int(seq - 1))
	}
	return out, nil
}

// afterIn returns the part of the ascending seqs that is > after, at most limit (0: all).
func afterIn(seqs []int64, after int64, limit int) []int64 {
	i := sort.Search(len(seqs), func(i int) bool { return seqs[i] > after })
	seqs = seqs[i:]
	if limit > 0 && len(seqs) > limit {
		seqs = seqs[:limit]
	}
	return seqs
}

// ---- events ----

type eventsRepo tx

func copyEvent(e *event.Event) event.Event {
	c := *e
	c.Accounts = slices.Clone(e.Accounts)
	c.Data = maps.Clone(e.Data)
	return c
}

// Append numbers events 1, 2, 3, … in the order they are appended.
func (r *eventsRepo) Append(ctx context.Context, events ...event.Event) error {
	s := (*tx)(r).store()
	if len(events) == 0 {
		return nil
	}
	s.log(undoRec{kind: undoEvents, n: s.events.len()})
	for i := range events {
		e := copyEvent(&events[i])
		e.Seq = int64(s.events.len()) + 1
		s.events.append(e)
		for _, a := range e.Accounts {
			l := s.eventsByAccount[a]
			if n := len(l); n > 0 && l[n-1] == e.Seq {
				continue // listed twice on one event
			}
			s.eventsByAccount[a] = append(l, e.Seq)
		}
	}
	return nil
}

func (s *Store) truncateEvents(n int) {
	for i := s.events.len() - 1; i >= n; i-- {
		e := s.events.at(i)
		for _, a := range e.Accounts {
			popSeq(s.eventsByAccount, a, e.Seq)
		}
	}
	s.events.truncate(n)
}

func (r *eventsRepo) List(ctx context.Context, accountID string, afterSeq int64, limit int) ([]event.Event, error) {
	s := (*tx)(r).store()
	if accountID == "" {
		return deepCopyEvents(s.events.page(afterSeq, limit)), nil
	}
	seqs := afterIn(s.eventsByAccount[accountID], afterSeq, limit)
	if len(seqs) == 0 {
		return nil, nil
	}
	out := make([]event.Event, len(seqs))
	for i, seq := range seqs {
		out[i] = copyEvent(s.events.at(int(seq - 1)))
	}
	return out, nil
}

// deepCopyEvents deep-copies, in place, the events of a shallow copy.
func deepCopyEvents(es []event.Event) []event.Event {
	for i := range es {
		es[i] = copyEvent(&es[i])
	}
	return es
}

// ---- audit ----

type auditRepo tx

// Append numbers entries 1, 2, 3, … in the order they are appended.
func (r *auditRepo) Append(ctx context.Context, a event.Audit) error {
	s := (*tx)(r).store()
	s.log(undoRec{kind: undoAudit, n: s.audit.len()})
	a.Seq = int64(s.audit.len()) + 1
	s.audit.append(a)
	return nil
}

func (r *auditRepo) List(ctx context.Context, afterSeq int64, limit int) ([]event.Audit, error) {
	s := (*tx)(r).store()
	return s.audit.page(afterSeq, limit), nil
}
