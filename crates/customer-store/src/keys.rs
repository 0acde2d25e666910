//! API keys as stored: the types live in `customer_model::keys` (the import format and
//! export carry them too); they are named here as well, where the store's users look.

pub use customer_model::keys::{ApiKey, KeyKind, KeyPermissions, NewApiKey};
