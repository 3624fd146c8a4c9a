-- Substring search over names and emails with trigram indexes (pg_trgm is a trusted extension),
-- so filtering the users list does not walk every row of a large account.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm_idx ON users USING gin (name_sort gin_trgm_ops);
CREATE INDEX users_email_trgm_idx ON users USING gin (email_normalized gin_trgm_ops);
