-- The search array again; the pg_trgm extension stays, other schemas may use it.
DROP INDEX jobs_search_trgm;
ALTER TABLE jobs ALTER COLUMN search TYPE text[] USING string_to_array(search, chr(31));
