//! Integration tests of the server, against SQLite by default or PostgreSQL when
//! `PAYDESK_TEST_DATABASE_URL` is set. Each test gets a fresh database.

// Test support code outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod auth;
mod authz;
mod bad_input;
mod calendars;
mod cards;
mod channels;
mod complaints;
mod console;
mod coupons;
mod customers;
mod help;
mod ledger_model;
mod locale;
mod pages;
mod privacy;
mod protection;
mod sla;
mod staff;
mod staff_ticket_pages;
mod support_pages;
mod system;
mod tickets;
mod wallet;
mod wallet_pages;
