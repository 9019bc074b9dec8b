-- 0003_processor_events: the payment processor's events that took effect, recorded in the
-- transaction of their effect, so that a replayed event takes effect once.
CREATE TABLE processor_events (
	id text PRIMARY KEY,
	at timestamptz NOT NULL
);
