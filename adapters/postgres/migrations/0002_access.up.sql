-- 0002_access: API keys, webhook endpoints and deliveries, idempotency records, and the
-- verification and notification fields of accounts.

ALTER TABLE accounts
	ADD COLUMN email_opt_out           boolean NOT NULL DEFAULT false,
	ADD COLUMN verify_token_expires_at timestamptz,
	ADD COLUMN verify_sends            bigint NOT NULL DEFAULT 0,
	ADD COLUMN verify_sends_since      timestamptz,
	ADD COLUMN verify_sent_at          timestamptz;

CREATE TABLE api_keys (
	id         text PRIMARY KEY,
	account_id text NOT NULL,
	name       text NOT NULL,
	prefix     text NOT NULL,
	hash       text NOT NULL,
	created_at timestamptz,
	revoked_at timestamptz,
	seq        bigserial NOT NULL -- creation order, for "oldest first"
);
CREATE INDEX api_keys_account ON api_keys (account_id, seq);

CREATE TABLE webhook_endpoints (
	id              text PRIMARY KEY,
	account_id      text NOT NULL,
	url             text NOT NULL,
	description     text NOT NULL,
	events          text[] NOT NULL,
	secret          text NOT NULL,
	disabled        boolean NOT NULL,
	disabled_reason text NOT NULL,
	created_at      timestamptz,
	seq             bigserial NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, seq);

-- Deliveries outlive their endpoint (the log stays readable), so no foreign key.
CREATE TABLE webhook_deliveries (
	id          text COLLATE "C" PRIMARY KEY,
	endpoint_id text NOT NULL,
	account_id  text NOT NULL,
	event_id    text NOT NULL,
	event_type  text NOT NULL,
	payload     bytea NOT NULL,
	status      text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	attempts    bigint NOT NULL CHECK (attempts >= 0),
	last_status bigint NOT NULL,
	last_error  text NOT NULL,
	next_at     timestamptz,
	created_at  timestamptz,
	updated_at  timestamptz
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE idempotency_requests (
	account_id   text NOT NULL,
	key          text NOT NULL,
	request_hash text NOT NULL,
	status       bigint NOT NULL,
	content_type text NOT NULL,
	body         bytea,
	created_at   timestamptz,
	PRIMARY KEY (account_id, key)
);

-- Delivered files, shared by every replica.
CREATE TABLE blobs (
	key        text PRIMARY KEY,
	sha256     text NOT NULL,
	size       bigint NOT NULL CHECK (size >= 0),
	content    bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
