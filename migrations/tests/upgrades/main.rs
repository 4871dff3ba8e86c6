//! Migrations on a database that already holds rows: each fills what it adds and goes down
//! again. One test binary.
mod contact_name;
mod crm_search;
mod crm_trigrams;
