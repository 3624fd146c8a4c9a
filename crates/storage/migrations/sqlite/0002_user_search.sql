-- Substring search over names and emails with a trigram index, so filtering the users list does
-- not walk every row of a large account. Kept in step with users by triggers.
CREATE VIRTUAL TABLE users_search USING fts5 (
    user_id UNINDEXED,
    name_sort,
    email_normalized,
    tokenize = 'trigram'
);

INSERT INTO users_search (user_id, name_sort, email_normalized)
SELECT id, name_sort, email_normalized FROM users;

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (user_id, name_sort, email_normalized) VALUES (new.id, new.name_sort, new.email_normalized);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE user_id = old.id;
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF name_sort, email_normalized ON users BEGIN
    DELETE FROM users_search WHERE user_id = old.id;
    INSERT INTO users_search (user_id, name_sort, email_normalized) VALUES (new.id, new.name_sort, new.email_normalized);
END;
