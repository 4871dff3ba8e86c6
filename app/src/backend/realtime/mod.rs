//! The realtime plumbing: wakes after a commit (`hub`), the per-process shared fan-out of
//! new events to open streams (`fanout`), and the SSE streams themselves (`sse`). What an
//! event means, and who may see it, is `crate::conversation::feed`'s business.
pub mod fanout;
pub mod hub;
pub mod sse;
