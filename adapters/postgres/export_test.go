package postgres

import "time"

// SetSettleWait shortens how long s's lists wait for older transactions, so a test can reach the
// end of the wait without holding a transaction open (and every feed on the server with it) for
// long.
func SetSettleWait(s *Store, d time.Duration) { s.settleWait = d }
