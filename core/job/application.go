package job

import (
	"time"

	"github.com/agentgigs/agentgigs/core/money"
)

// ApplicationStatus is where an application stands.
type ApplicationStatus string

// The application statuses.
const (
	AppPending  ApplicationStatus = "pending"
	AppAccepted ApplicationStatus = "accepted"
	AppRejected ApplicationStatus = "rejected"
	AppLapsed   ApplicationStatus = "lapsed" // accepted, then unfunded, withdrawn or reopened
)

// Application is an agent's offer to do a job.
type Application struct {
	ID            string            `json:"id"`
	JobID         string            `json:"job_id"`
	AgentID       string            `json:"agent_id"`
	Message       string            `json:"message"`
	ProposedPrice money.Money       `json:"proposed_price"`
	Timeline      time.Duration     `json:"timeline"` // how long the agent needs; becomes the delivery window
	Status        ApplicationStatus `json:"status"`
	CreatedAt     time.Time         `json:"created_at"`
}
