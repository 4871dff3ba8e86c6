//! SeaORM entities. They never cross the wire: wire types live in each area's `mod.rs`.
pub mod activity;
pub mod card;
pub mod company;
pub mod conversation;
pub mod deal;
pub mod event;
pub mod installation;
pub mod lead;
pub mod message;
pub mod organization;
pub mod person;
pub mod playbook;
pub mod presence;
pub mod session;
pub mod upload;
pub mod user;
pub mod visitor;
