-- 0004_seq_from_xact: the ledger, event and audit logs number their entries from the appending
-- transaction's ID (see seq.go), so the counter rows every appending transaction had to lock
-- until it ended are gone. Seq values already given stay: they are far below the new ones.
DROP TABLE log_counters;
