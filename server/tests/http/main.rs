//! The black-box tier: the real server on port 0 with a fresh database per test, driven over
//! HTTP (and real processes for the command line, crashes and several servers). One test
//! binary, so the server and its dependencies are linked once.
mod processes;
mod support;

mod account_safety_http;
mod accounts_http;
mod authorization_http;
mod backup;
mod chatbot_http;
mod cli;
mod crash_safety;
mod crm_http;
mod deployment_http;
mod inbox_bench;
mod inbox_http;
mod leads_bench;
mod notifications_http;
mod render_stress;
mod several_servers;
mod users_page_http;
mod widget_http;
