-- 0001_init: every table of the store. The schema repeats the core's rules as constraints, a
-- second line of defence behind the checks the core makes: uniqueness, one accepted application
-- and one payout per job and recipient, non-negative balances, an append-only ledger and audit log.
-- Money is bigint minor units plus an ISO currency; times are timestamptz in UTC, NULL for the
-- zero time; durations are bigint nanoseconds.

-- The next Seq of each append-only log. A transaction takes a log's row lock when it appends
-- (UPDATE ... RETURNING) and keeps it until it ends, so Seq values become visible in order: a
-- reader paging by Seq > after never skips a row that commits late.
CREATE TABLE log_counters (
	log text PRIMARY KEY,
	seq bigint NOT NULL
);
INSERT INTO log_counters (log, seq) VALUES ('ledger', 0), ('events', 0), ('audit', 0);

CREATE TABLE accounts (
	id                text PRIMARY KEY,
	email             text NOT NULL,
	email_key         text NOT NULL, -- the email as compared: lower-cased by the adapter
	name              text NOT NULL,
	email_verified    boolean NOT NULL,
	verify_token_hash text NOT NULL,
	payouts_enabled   boolean NOT NULL,
	connect_ref       text NOT NULL,
	admin             boolean NOT NULL,
	created_at        timestamptz,
	CONSTRAINT accounts_email_unique UNIQUE (email_key)
);

CREATE TABLE jobs (
	id                    text COLLATE "C" PRIMARY KEY, -- byte order, as IDs sort
	poster_id             text NOT NULL,
	title                 text NOT NULL,
	description           text NOT NULL,
	category              text NOT NULL,
	tags                  text[] NOT NULL,
	-- title, description and tags case-folded by the adapter, for term search
	search                text[] NOT NULL,
	budget                bigint NOT NULL,
	budget_currency       text NOT NULL,
	price                 bigint NOT NULL,
	price_currency        text NOT NULL,
	fee_bps               bigint NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
	criteria              text NOT NULL,
	criteria_hash         text NOT NULL,
	verification          jsonb,
	review_window_ns      bigint NOT NULL,
	delivery_window_ns    bigint NOT NULL,
	max_revisions         bigint NOT NULL,
	state                 text NOT NULL,
	agent_id              text NOT NULL,
	application_id        text NOT NULL,
	funding               text NOT NULL,
	payment_ref           text NOT NULL,
	revisions             bigint NOT NULL,
	delivery              jsonb,
	delivery_due_at       timestamptz,
	deadline_at           timestamptz,
	platform_fee          bigint NOT NULL,
	platform_fee_currency text NOT NULL,
	agent_net             bigint NOT NULL,
	agent_net_currency    text NOT NULL,
	proofer_fees          bigint NOT NULL,
	proofer_fees_currency text NOT NULL,
	payout_held           boolean NOT NULL,
	payout_id             text NOT NULL,
	dispute               jsonb,
	verdict               text NOT NULL,
	created_at            timestamptz,
	updated_at            timestamptz,
	approved_at           timestamptz,
	completed_at          timestamptz,
	version               bigint NOT NULL
);
-- Browse (Jobs.List) filters, each ending in id for the newest-first order and the cursor.
CREATE INDEX jobs_state_id ON jobs (state, id);
CREATE INDEX jobs_state_category_id ON jobs (state, category, id);
CREATE INDEX jobs_category_id ON jobs (category, id);
CREATE INDEX jobs_poster_id ON jobs (poster_id, id);
CREATE INDEX jobs_agent_id ON jobs (agent_id, id) WHERE agent_id <> '';
CREATE INDEX jobs_budget ON jobs (budget_currency, budget);

CREATE TABLE applications (
	ord                     bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- creation order
	id                      text PRIMARY KEY,
	job_id                  text NOT NULL,
	agent_id                text NOT NULL,
	message                 text NOT NULL,
	proposed_price          bigint NOT NULL,
	proposed_price_currency text NOT NULL,
	timeline_ns             bigint NOT NULL,
	status                  text NOT NULL,
	created_at              timestamptz,
	CONSTRAINT applications_job_agent_unique UNIQUE (job_id, agent_id)
);
-- One accepted application per job.
CREATE UNIQUE INDEX applications_one_accepted ON applications (job_id) WHERE status = 'accepted';

CREATE TABLE payouts (
	ord             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	id              text PRIMARY KEY,
	job_id          text NOT NULL,
	recipient       text NOT NULL,
	amount          bigint NOT NULL CHECK (amount >= 0),
	amount_currency text NOT NULL,
	status          text NOT NULL,
	held            boolean NOT NULL,
	attempts        bigint NOT NULL,
	ref             text NOT NULL,
	last_error      text NOT NULL,
	created_at      timestamptz,
	paid_at         timestamptz,
	-- One payout per job and recipient.
	CONSTRAINT payouts_job_recipient_unique UNIQUE (job_id, recipient)
);

CREATE TABLE topups (
	id              text PRIMARY KEY,
	account_id      text NOT NULL,
	amount          bigint NOT NULL,
	amount_currency text NOT NULL,
	status          text NOT NULL,
	ref             text NOT NULL,
	created_at      timestamptz
);
CREATE INDEX topups_account ON topups (account_id);

CREATE TABLE tasks (
	ord          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
	id           text PRIMARY KEY,
	job_id       text NOT NULL,
	status       text NOT NULL,
	proofer_id   text NOT NULL,
	scorecard    jsonb,
	claimed_at   timestamptz,
	submitted_at timestamptz
);
CREATE INDEX tasks_job ON tasks (job_id, ord);
CREATE INDEX tasks_open ON tasks (ord) WHERE status = 'open';

CREATE TABLE reviews (
	ord        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id     text NOT NULL,
	author_id  text NOT NULL,
	subject_id text NOT NULL,
	stars      bigint NOT NULL,
	text       text NOT NULL,
	at         timestamptz,
	-- One review per author per job.
	CONSTRAINT reviews_job_author_unique UNIQUE (job_id, author_id)
);
CREATE INDEX reviews_subject ON reviews (subject_id, ord);

-- The double-entry ledger: append-only entries, and the balances they add up to, which the
-- adapter updates in the same statement that inserts the entries.
CREATE TABLE ledger_entries (
	seq          bigint PRIMARY KEY,
	job_id       text NOT NULL,
	at           timestamptz,
	from_account text NOT NULL,
	to_account   text NOT NULL,
	amount       bigint NOT NULL CHECK (amount > 0),
	currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	memo         text NOT NULL,
	CHECK (from_account <> to_account)
);
CREATE INDEX ledger_entries_from ON ledger_entries (from_account, seq);
CREATE INDEX ledger_entries_to ON ledger_entries (to_account, seq);

CREATE TABLE ledger_balances (
	account  text NOT NULL,
	currency text NOT NULL,
	balance  bigint NOT NULL,
	PRIMARY KEY (account, currency),
	-- Only the external processor account may go negative.
	CONSTRAINT ledger_balances_non_negative CHECK (balance >= 0 OR account LIKE 'external:%')
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
	FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
	FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The outbox of domain events, and who may see each (for the per-account feed).
CREATE TABLE events (
	seq      bigint PRIMARY KEY,
	id       text NOT NULL,
	type     text NOT NULL,
	job_id   text NOT NULL,
	accounts jsonb, -- the event's Accounts as given, in order
	data     jsonb,
	at       timestamptz
);
CREATE TABLE event_visibility (
	account_id text NOT NULL,
	seq        bigint NOT NULL,
	PRIMARY KEY (account_id, seq)
);

-- The append-only audit log of admin actions.
CREATE TABLE audit (
	seq      bigint PRIMARY KEY,
	actor_id text NOT NULL,
	action   text NOT NULL,
	job_id   text NOT NULL,
	reason   text NOT NULL,
	at       timestamptz
);
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE TABLE timers (
	id              text COLLATE "C" PRIMARY KEY, -- byte order, for ties in Due
	action          text NOT NULL,
	job_id          text NOT NULL,
	payout_id       text NOT NULL,
	ref             text NOT NULL,
	amount          bigint NOT NULL,
	amount_currency text NOT NULL,
	attempt         bigint NOT NULL,
	payload         bytea,
	due_at          timestamptz NOT NULL
);
CREATE INDEX timers_due ON timers (due_at, id);
