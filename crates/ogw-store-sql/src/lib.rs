//! SQLite and PostgreSQL implementations of `ogw_core::store::Store`.
