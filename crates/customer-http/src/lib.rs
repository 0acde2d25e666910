//! The HTTP server of clientele: one port, every dialect.
//!
//! [`handle`] is the whole server as a function from a request to a response: it picks
//! the dialect ([`routes`]), runs that dialect's pipeline (decode → authenticate → store
//! → encode, crossing into `customer-wire` once each way), and turns the wire crate's
//! reply into a response ([`request::into_response`]). [`serve`] runs it on a socket
//! (plain or TLS) with graceful shutdown. Tests call [`handle`] directly, with no socket.
//!
//! This crate holds no SQL and no bytes of any dialect: every body, header and error
//! code is the wire crate's business.

pub mod admin;
pub mod config;
pub mod dialects;
pub mod fault;
pub mod key_cache;
pub mod keys;
pub mod request;
pub mod routes;
pub mod server;
pub mod webhooks;
pub mod woo_auth;

use std::sync::Arc;

use customer_store::CustomerStore;

pub use admin::{ControlConfig, DropConnection};
pub use config::SiteConfig;
pub use key_cache::KeyCache;
pub use request::{Request, Response};
pub use routes::handle;
pub use server::{ServerLimits, serve, serve_with, tls_config_from_pem};
pub use webhooks::{Clock, DeliveryOptions, DeliveryWorker, SystemClock};

/// What every handler needs: the store and the site's settings.
pub struct AppState {
    /// The customer database.
    pub store: Arc<dyn CustomerStore>,
    /// Site URL, time zone, currency and operator switches.
    pub site: SiteConfig,
    /// The store's API keys in memory, and their uses waiting to be written.
    pub keys: Arc<KeyCache>,
    /// The control API, when an admin token is configured.
    pub control: Option<admin::Control>,
}

impl AppState {
    /// State over `store` with `site` settings.
    pub fn new(store: Arc<dyn CustomerStore>, site: SiteConfig) -> Self {
        let keys = Arc::new(KeyCache::new(Arc::clone(&store)));
        Self {
            store,
            site,
            keys,
            control: None,
        }
    }

    /// The same state with the control API on, its baseline the store as it is now.
    pub async fn with_control(
        mut self,
        config: admin::ControlConfig,
    ) -> customer_store::StoreResult<Self> {
        admin::save_baseline(&self).await?;
        self.control = Some(admin::Control::new(config));
        Ok(self)
    }
}
