//! The service tier: the services on SQLite in memory, and on PostgreSQL too when
//! LEADLINE_TEST_POSTGRES_URL is set; one test binary, so the app is linked once.
#![cfg(feature = "ssr")]

mod account_service;
mod chatbot_service;
mod conversation_engine;
mod crm_lists;
mod crm_panel;
mod sanitize_fuzz;
mod visitor_flow;
