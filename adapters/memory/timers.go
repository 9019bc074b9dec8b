package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/agentgigs/agentgigs/core/ports"
)

type timersRepo tx

// cmpTimer orders timers by DueAt, then ID.
func cmpTimer(a, b ports.Timer) int {
	if c := a.DueAt.Compare(b.DueAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func (s *Store) addTimer(t ports.Timer) {
	s.timers[t.ID] = t
	i, _ := slices.BinarySearchFunc(s.timerQueue, t, cmpTimer)
	s.timerQueue = slices.Insert(s.timerQueue, i, t)
}

func (s *Store) removeTimer(id string) {
	t, ok := s.timers[id]
	if !ok {
		return
	}
	delete(s.timers, id)
	if i, ok := slices.BinarySearchFunc(s.timerQueue, t, cmpTimer); ok {
		s.timerQueue = slices.Delete(s.timerQueue, i, i+1)
	}
}

// Schedule drops any monotonic clock reading from DueAt, so that timers order by wall time.
func (r *timersRepo) Schedule(ctx context.Context, t ports.Timer) error {
	s := (*tx)(r).store()
	t.DueAt = t.DueAt.Round(0)
	t.Payload = slices.Clone(t.Payload)
	prev, had := s.timers[t.ID]
	s.log(undoRec{kind: undoTimer, id: t.ID, had: had, timer: prev})
	s.removeTimer(t.ID)
	s.addTimer(t)
	return nil
}

func (r *timersRepo) Due(ctx context.Context, now time.Time, limit int) ([]ports.Timer, error) {
	s := (*tx)(r).store()
	n := 0
	for n < len(s.timerQueue) && !s.timerQueue[n].DueAt.After(now) && (limit <= 0 || n < limit) {
		n++
	}
	if n == 0 {
		return nil, nil
	}
	return slices.Clone(s.timerQueue[:n]), nil
}

func (r *timersRepo) Delete(ctx context.Context, id string) error {
	s := (*tx)(r).store()
	prev, had := s.timers[id]
	if !had {
		return nil
	}
	s.log(undoRec{kind: undoTimer, id: id, had: true, timer: prev})
	s.removeTimer(id)
	return nil
}
