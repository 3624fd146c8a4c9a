-- Search a page of users inside the search index: a common term (802 "smith"s in 100,000 users)
-- used to look every match up in users by its text id before sorting them.
--
-- users_search_rows holds what the users list filters and sorts by, one row per user under a
-- stable integer key (an INTEGER PRIMARY KEY survives VACUUM; a plain rowid may not). The FTS5
-- trigram index is built over it as external content, so a search yields keys, each match costs
-- one look-up by key in a small table, and only the page's users are read from users. The
-- triggers reach a user's row by its unique user_id instead of scanning the whole index.
DROP TRIGGER users_search_insert;
DROP TRIGGER users_search_delete;
DROP TRIGGER users_search_update;
DROP TABLE users_search;

CREATE TABLE users_search_rows (
    key INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    name_sort TEXT NOT NULL,
    email_normalized TEXT NOT NULL
);

CREATE VIRTUAL TABLE users_search USING fts5 (
    name_sort,
    email_normalized,
    content = 'users_search_rows',
    content_rowid = 'key',
    tokenize = 'trigram'
);

INSERT INTO users_search_rows (user_id, account_id, role, status, name_sort, email_normalized)
SELECT id, account_id, role, status, name_sort, email_normalized FROM users;
INSERT INTO users_search (users_search) VALUES ('rebuild');

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search_rows (user_id, account_id, role, status, name_sort, email_normalized)
    VALUES (new.id, new.account_id, new.role, new.status, new.name_sort, new.email_normalized);
    INSERT INTO users_search (rowid, name_sort, email_normalized)
    SELECT key, name_sort, email_normalized FROM users_search_rows WHERE user_id = new.id;
END;

-- An external-content index forgets a row only when told the values it indexed, which
-- users_search_rows still holds at that point.
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, name_sort, email_normalized)
    SELECT 'delete', key, name_sort, email_normalized FROM users_search_rows WHERE user_id = old.id;
    DELETE FROM users_search_rows WHERE user_id = old.id;
END;

-- A profile update sets name_sort and role even when they keep their value: only real changes
-- touch the index.
CREATE TRIGGER users_search_update AFTER UPDATE OF account_id, role, status, name_sort, email_normalized ON users
WHEN old.account_id IS NOT new.account_id OR old.role IS NOT new.role OR old.status IS NOT new.status
  OR old.name_sort IS NOT new.name_sort OR old.email_normalized IS NOT new.email_normalized
BEGIN
    INSERT INTO users_search (users_search, rowid, name_sort, email_normalized)
    SELECT 'delete', key, name_sort, email_normalized FROM users_search_rows WHERE user_id = old.id;
    UPDATE users_search_rows
    SET account_id = new.account_id, role = new.role, status = new.status, name_sort = new.name_sort, email_normalized = new.email_normalized
    WHERE user_id = old.id;
    INSERT INTO users_search (rowid, name_sort, email_normalized)
    SELECT key, name_sort, email_normalized FROM users_search_rows WHERE user_id = new.id;
END;
