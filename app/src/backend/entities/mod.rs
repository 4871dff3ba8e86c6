//! SeaORM entities. They never cross the wire: wire types live in each area's `mod.rs`.
pub mod company;
pub mod installation;
pub mod session;
pub mod user;
