-- Deactivated users keep their record, licenses and booking pages but cannot sign in; their
-- sessions and API keys are revoked when they are deactivated. NULL: not deactivated. The status
-- column keeps what it was (invited, active or locked), so reactivating restores it.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
