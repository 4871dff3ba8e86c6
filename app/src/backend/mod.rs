//! Server-only plumbing: database, entities, sessions, authorization, password hashing.
pub mod actor;
pub mod authz;
pub mod db;
pub mod entities;
pub mod errors;
pub mod http;
pub mod passwords;
pub mod ratelimit;
pub mod realtime;
pub mod sessions;
pub mod state;
pub mod testing;

/// A time as the wire carries it: RFC 3339, UTC.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
