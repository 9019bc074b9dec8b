package memory

import (
	"context"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/agentgigs/agentgigs/core/job"
	"github.com/agentgigs/agentgigs/core/ports"
)

// DefaultListLimit is how many jobs Jobs.List returns when the filter's Limit is 0 (or negative).
const DefaultListLimit = 50

type jobsRepo tx

// setJob stores j (nil: deletes) under id, keeping the sorted ID index.
func (s *Store) setJob(id string, j *job.Job) {
	_, had := s.jobs[id]
	if j == nil {
		if had {
			delete(s.jobs, id)
			if i, ok := slices.BinarySearch(s.jobIDs, id); ok {
				s.jobIDs = slices.Delete(s.jobIDs, i, i+1)
			}
		}
		return
	}
	s.jobs[id] = j
	if had {
		return
	}
	if n := len(s.jobIDs); n == 0 || s.jobIDs[n-1] < id {
		s.jobIDs = append(s.jobIDs, id) // IDs from one generator increase
		return
	}
	i, _ := slices.BinarySearch(s.jobIDs, id)
	s.jobIDs = slices.Insert(s.jobIDs, i, id)
}

func (r *jobsRepo) Create(ctx context.Context, j *job.Job) error {
	s := (*tx)(r).store()
	if _, ok := s.jobs[j.ID]; ok {
		return conflict("job %q exists", j.ID)
	}
	s.log(undoRec{kind: undoJob, id: j.ID, prev: (*job.Job)(nil)})
	s.setJob(j.ID, j.Clone())
	return nil
}

func (r *jobsRepo) Get(ctx context.Context, id string) (*job.Job, error) {
	s := (*tx)(r).store()
	j := s.jobs[id]
	if j == nil {
		return nil, notFound("job", id)
	}
	return j.Clone(), nil
}

func (r *jobsRepo) Update(ctx context.Context, j *job.Job) error {
	s := (*tx)(r).store()
	old := s.jobs[j.ID]
	if old == nil {
		return notFound("job", j.ID)
	}
	if old.Version != j.Version-1 {
		return conflict("job %q is at version %d, the update expects %d", j.ID, old.Version, j.Version-1)
	}
	s.log(undoRec{kind: undoJob, id: j.ID, prev: old})
	s.setJob(j.ID, j.Clone())
	return nil
}

// List walks the ID index from the newest job down, so it never sorts. To tell whether a next
// page exists it looks for one more match past the page.
func (r *jobsRepo) List(ctx context.Context, f ports.JobFilter) ([]*job.Job, string, error) {
	s := (*tx)(r).store()
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	end := len(s.jobIDs)
	if f.After != "" {
		end, _ = slices.BinarySearch(s.jobIDs, f.After) // every ID before end sorts below After
	}
	var out []*job.Job
	for i := end - 1; i >= 0; i-- {
		j := s.jobs[s.jobIDs[i]]
		if !matches(j, &f) {
			continue
		}
		if len(out) == limit {
			return out, out[limit-1].ID, nil
		}
		out = append(out, j.Clone())
	}
	return out, "", nil
}

// matches reports whether j passes every non-zero field of f.
func matches(j *job.Job, f *ports.JobFilter) bool {
	switch {
	case f.State != "" && j.State != f.State,
		f.Category != "" && j.Category != f.Category,
		f.Currency != "" && j.Budget.Currency != f.Currency,
		f.MinBudget != 0 && j.Budget.Amount < f.MinBudget,
		f.MaxBudget != 0 && j.Budget.Amount > f.MaxBudget,
		f.PosterID != "" && j.PosterID != f.PosterID,
		f.AgentID != "" && j.AgentID != f.AgentID:
		return false
	}
	for _, term := range f.Terms {
		if !mentions(j, term) {
			return false
		}
	}
	return true
}

// mentions reports whether term appears, case-insensitively, in j's title, description or tags.
func mentions(j *job.Job, term string) bool {
	if containsFold(j.Title, term) || containsFold(j.Description, term) {
		return true
	}
	for _, tag := range j.Tags {
		if containsFold(tag, term) {
			return true
		}
	}
	return false
}

// containsFold reports whether substr is within s under Unicode simple case folding, without
// allocating.
func containsFold(s, substr string) bool {
	if substr == "" {
		return true
	}
	for i := 0; i < len(s); {
		if hasPrefixFold(s[i:], substr) {
			return true
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		// ASCII fast path.
		if a, b := s[0], prefix[0]; a < utf8.RuneSelf && b < utf8.RuneSelf {
			if a != b && lowerASCII(a) != lowerASCII(b) {
				return false
			}
			s, prefix = s[1:], prefix[1:]
			continue
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(prefix)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldRune reports whether a and b are in the same case-folding orbit (as strings.EqualFold
// compares runes).
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
