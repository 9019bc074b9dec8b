-- Reverts 0001_init: drops every table of the store.
DROP TABLE timers;
DROP TABLE audit;
DROP TABLE event_visibility;
DROP TABLE events;
DROP TABLE ledger_balances;
DROP TABLE ledger_entries;
DROP FUNCTION refuse_change();
DROP TABLE reviews;
DROP TABLE tasks;
DROP TABLE topups;
DROP TABLE payouts;
DROP TABLE applications;
DROP TABLE jobs;
DROP TABLE accounts;
DROP TABLE log_counters;
