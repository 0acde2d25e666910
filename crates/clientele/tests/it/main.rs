//! The binary's integration tests: the command line and `serve` as processes, one
//! customer read through every dialect of the whole server, and two servers on one
//! PostgreSQL database.

mod cli;
mod cross_dialect;
mod serve;
mod two_servers;
