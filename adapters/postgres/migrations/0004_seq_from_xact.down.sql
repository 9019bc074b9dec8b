-- The counter rows again, each at the highest Seq its log holds, so the next Seq is higher still.
CREATE TABLE log_counters (
	log text PRIMARY KEY,
	seq bigint NOT NULL
);
INSERT INTO log_counters (log, seq) VALUES
	('ledger', (SELECT coalesce(max(seq), 0) FROM ledger_entries)),
	('events', (SELECT coalesce(max(seq), 0) FROM events)),
	('audit', (SELECT coalesce(max(seq), 0) FROM audit));
