//! Tenantry's integration tests: one binary, every storage and API test on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod account;
mod auth;
mod avatar;
mod bad_input;
mod browser;
mod browser_account;
mod browser_auth;
mod browser_bulk;
mod browser_chat_teams;
mod browser_contact_fields;
mod browser_crm;
mod browser_deactivation;
mod browser_import;
mod browser_me;
mod browser_users;
mod bulk;
mod chat_teams;
mod compliance;
mod contact_fields;
mod crm;
mod db_copy;
mod deactivation;
mod hardening;
mod import;
mod invariants;
mod isolation;
mod licenses;
mod me;
mod outage;
mod outbox;
mod pages;
mod pages_account;
mod pages_contact_fields;
mod pages_me;
mod pages_signin;
mod pages_users;
mod privacy;
mod product_settings;
mod recovery;
mod security;
mod system;
mod two_nodes;
mod users;
