//! Server-only plumbing: database, entities, sessions, authorization, password hashing.
pub mod authz;
pub mod db;
pub mod entities;
pub mod errors;
pub mod passwords;
pub mod ratelimit;
pub mod sessions;
pub mod state;
pub mod testing;
