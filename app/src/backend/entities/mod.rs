//! SeaORM entities. They never cross the wire: wire types live in each area's `mod.rs`.
pub mod card;
pub mod company;
pub mod installation;
pub mod playbook;
pub mod session;
pub mod upload;
pub mod user;
