//! The binary's integration tests: the command line and `serve` as processes, hostile
//! clients against the server, one customer read through every dialect of the whole
//! server, a store moved from SQLite to PostgreSQL, two servers on one PostgreSQL
//! database, and webhooks delivered to a local receiver.

mod cli;
mod control;
mod cross_dialect;
#[cfg(unix)]
mod hostile;
mod moves;
mod serve;
mod transfer;
mod two_servers;
mod webhooks;
