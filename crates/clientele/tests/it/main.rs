//! The binary's integration tests: the command line and `serve` as processes, and one
//! customer read through every dialect of the whole server.

mod cli;
mod cross_dialect;
mod serve;
