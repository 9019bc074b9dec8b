-- 0006_search_trgm: term search (Jobs.List's Terms) through a trigram index, so a rare term is
-- found without walking the jobs one by one. search becomes one text, the folded title,
-- description and tags joined by the unit separator (chr(31)), which pg_trgm's GIN index serves
-- for LIKE '%term%'.
DO $$
DECLARE
	ext_schema text;
BEGIN
	-- One extension per database, shared by every schema, created under a lock every schema's
	-- migration takes, so that schemas migrating at once do not both create it.
	PERFORM pg_advisory_xact_lock(hashtext('agentgigs: CREATE EXTENSION pg_trgm'));
	CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
	SELECT n.nspname INTO ext_schema FROM pg_extension AS e JOIN pg_namespace AS n ON n.oid = e.extnamespace
	WHERE e.extname = 'pg_trgm';
	ALTER TABLE jobs ALTER COLUMN search TYPE text USING array_to_string(search, chr(31));
	EXECUTE format('CREATE INDEX jobs_search_trgm ON jobs USING gin (search %I.gin_trgm_ops)', ext_schema);
END
$$;
