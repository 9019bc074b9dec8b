// Package event holds the records of what happened: domain events (the outbox every state change
// writes in its own transaction, read by webhooks and the event feed) and the append-only admin
// audit log.
package event

import "time"

// Event is a domain event. Seq is assigned by the store and increases with every append.
type Event struct {
	Seq      int64             `json:"seq"`
	ID       string            `json:"id"`
	Type     string            `json:"type"` // e.g. "job.approved"
	JobID    string            `json:"job_id,omitempty"`
	Accounts []string          `json:"accounts"` // who may see it
	Data     map[string]string `json:"data,omitempty"`
	At       time.Time         `json:"at"`
}

// VisibleTo reports whether the account may see the event.
func (e *Event) VisibleTo(accountID string) bool {
	for _, a := range e.Accounts {
		if a == accountID {
			return true
		}
	}
	return false
}

// Audit is one entry of the append-only audit log of admin actions.
type Audit struct {
	Seq     int64     `json:"seq"`
	ActorID string    `json:"actor_id"`
	Action  string    `json:"action"`
	JobID   string    `json:"job_id,omitempty"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}
