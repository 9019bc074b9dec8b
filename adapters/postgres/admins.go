package postgres

import (
	"context"
	"fmt"
)

// Admin is an account holding the admin role, as `agentgigs admin list` shows it.
type Admin struct {
	ID    string
	Email string
}

// Admins lists the accounts holding the admin role, by email.
func (s *Store) Admins(ctx context.Context) ([]Admin, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, email FROM accounts WHERE admin ORDER BY email_key`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list admins: %w", err)
	}
	defer rows.Close()
	var out []Admin
	for rows.Next() {
		var a Admin
		if err := rows.Scan(&a.ID, &a.Email); err != nil {
			return nil, fmt.Errorf("postgres: list admins: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
