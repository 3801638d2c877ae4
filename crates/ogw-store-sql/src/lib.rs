//! SQLite and PostgreSQL implementations of `ogw_core::store::Store`.
//! (Placeholder until the store branch lands.)
use std::sync::Arc;

use ogw_core::store::{Store, StoreError};

pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError::Backend(format!(
        "store not built yet for {url}"
    )))
}
