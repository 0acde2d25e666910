//! The live API keys, kept in memory, and their last uses, written in the background.
//!
//! Authenticating a request is then a hash lookup instead of a database read, and
//! recording that a key was used (WooCommerce and EDD stamp every authorized request) is
//! a map insert instead of a write that every reader would queue behind.
//!
//! - Keys can be created and revoked by another process (`clientele keys`) while the
//!   server runs. The store's key generation ([`CustomerStore::api_key_generation`])
//!   changes with every such change; it is read at most every [`RECHECK_AFTER`], and the
//!   keys are reloaded when it moved. A revoked key thus stops working within that time;
//!   an unknown key always checks the generation, so a new key works at once.
//! - The last use of each key is kept in a map and written every [`FLUSH_EVERY`] by a
//!   task that runs while there is something to write (a key stamped less than
//!   [`RESTAMP_AFTER`] ago waits for that), and once more when the server stops
//!   ([`KeyCache::flush_uses`]). A use is a last-access stamp for display, so
//!   losing the last seconds of them to a killed process is harmless.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use customer_model::Timestamp;
use customer_store::{ApiKey, CustomerStore, KeyKind, StoreResult};

/// How long the keys in memory are trusted before the key generation is read again.
pub const RECHECK_AFTER: Duration = Duration::from_millis(250);
/// How often recorded key uses are looked at, and the first use of a key written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// How long after a key's stamp was written its next one waits. Every stamp is a
/// commit, which takes the writer's turn from the writes waiting for it and syncs the
/// log: under a steady load of authenticated reads, a key is stamped every ten seconds
/// rather than twice a second (`last_access` is shown to the minute). A key's first use
/// in a while is still written within [`FLUSH_EVERY`].
pub const RESTAMP_AFTER: Duration = Duration::from_secs(10);

/// The live keys at one key generation, by kind and lookup value.
struct Snapshot {
    generation: u64,
    keys: HashMap<KeyKind, HashMap<String, ApiKey>>,
}

/// The keys of a store, cached, and the uses waiting to be written.
pub struct KeyCache {
    store: Arc<dyn CustomerStore>,
    /// The keys and when their generation was last confirmed.
    snapshot: Mutex<Option<(Arc<Snapshot>, Instant)>>,
    /// The last use of each key since the last flush.
    uses: Mutex<HashMap<i64, Timestamp>>,
    /// When each key's stamp was last written by this cache.
    stamped: Mutex<HashMap<i64, Instant>>,
    /// Whether a task is writing the uses.
    flushing: AtomicBool,
    /// WooCommerce lookup values of consumer keys that named a live key: an HMAC-SHA256
    /// per request was a tenth of a GET one's instructions. A lookup value depends on
    /// the consumer key alone, so an entry never goes stale; whether its key is still
    /// live is read from the snapshot each time.
    woocommerce_lookups: Mutex<HashMap<String, String>>,
}

/// Consumer keys whose lookup values are kept at most; past that the memo starts over.
/// Only keys that named a live key are kept, so a store's own keys fit.
const MAX_KEPT_LOOKUPS: usize = 1024;

/// Locks `mutex`; the data behind these locks stays consistent across a panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl KeyCache {
    /// A cache over `store`; nothing is loaded until the first lookup.
    pub fn new(store: Arc<dyn CustomerStore>) -> Self {
        Self {
            store,
            snapshot: Mutex::new(None),
            uses: Mutex::new(HashMap::new()),
            stamped: Mutex::new(HashMap::new()),
            flushing: AtomicBool::new(false),
            woocommerce_lookups: Mutex::new(HashMap::new()),
        }
    }

    /// The live WooCommerce key whose consumer key is `consumer_key`, as [`KeyCache::find`]
    /// answers for its lookup value ([`crate::keys::woocommerce_lookup`]).
    pub async fn find_woocommerce(&self, consumer_key: &str) -> StoreResult<Option<ApiKey>> {
        let kept = lock(&self.woocommerce_lookups).get(consumer_key).cloned();
        let lookup = match &kept {
            Some(lookup) => lookup.clone(),
            None => crate::keys::woocommerce_lookup(consumer_key),
        };
        let found = self.find(KeyKind::WooCommerce, &lookup).await?;
        if found.is_some() && kept.is_none() {
            let mut lookups = lock(&self.woocommerce_lookups);
            if lookups.len() >= MAX_KEPT_LOOKUPS {
                lookups.clear();
            }
            lookups.insert(consumer_key.to_owned(), lookup);
        }
        Ok(found)
    }

    /// The live key of `kind` whose lookup value is `lookup`, as
    /// [`CustomerStore::find_api_key`] answers it (up to [`RECHECK_AFTER`] late).
    ///
    /// A lookup that finds nothing checks the store's key generation first, so that a key
    /// created a moment ago works at once (unknown keys cost the one read they always
    /// cost); only a revocation may take up to [`RECHECK_AFTER`] to be seen.
    pub async fn find(&self, kind: KeyKind, lookup: &str) -> StoreResult<Option<ApiKey>> {
        let find_in = |snapshot: &Snapshot| {
            snapshot
                .keys
                .get(&kind)
                .and_then(|keys| keys.get(lookup))
                .cloned()
        };
        let snapshot = self.current(RECHECK_AFTER).await?;
        match find_in(&snapshot) {
            Some(key) => Ok(Some(key)),
            None => Ok(find_in(&*self.current(Duration::ZERO).await?)),
        }
    }

    /// The snapshot, confirmed or reloaded when it is older than `trusted_for`.
    async fn current(&self, trusted_for: Duration) -> StoreResult<Arc<Snapshot>> {
        let known = lock(&self.snapshot).clone();
        if let Some((snapshot, confirmed)) = &known
            && confirmed.elapsed() < trusted_for
        {
            return Ok(Arc::clone(snapshot));
        }
        let checked = Instant::now();
        let generation = self.store.api_key_generation().await?;
        let snapshot = match known {
            Some((snapshot, _)) if snapshot.generation == generation => snapshot,
            _ => {
                // A change between reading the generation and the keys leaves newer keys
                // under an older generation: the next check reloads them once more.
                let mut keys: HashMap<KeyKind, HashMap<String, ApiKey>> = HashMap::new();
                for key in self.store.api_keys().await? {
                    keys.entry(key.kind)
                        .or_default()
                        .insert(key.lookup.clone(), key);
                }
                Arc::new(Snapshot { generation, keys })
            }
        };
        *lock(&self.snapshot) = Some((Arc::clone(&snapshot), checked));
        Ok(snapshot)
    }

    /// Forgets the keys in memory and the uses not yet written: the store's keys were
    /// replaced wholesale (a restored state), so the next lookup reloads them.
    pub fn forget(&self) {
        *lock(&self.snapshot) = None;
        lock(&self.uses).clear();
        lock(&self.stamped).clear();
    }

    /// Records that key `id` was used at `at`; written within [`FLUSH_EVERY`].
    pub fn record_use(self: &Arc<Self>, id: i64, at: Timestamp) {
        lock(&self.uses).insert(id, at);
        if !self.flushing.swap(true, Ordering::AcqRel) {
            let cache = Arc::clone(self);
            tokio::spawn(async move { cache.flush_while_busy().await });
        }
    }

    /// Writes the recorded uses that are due every [`FLUSH_EVERY`] until there are none
    /// left.
    async fn flush_while_busy(&self) {
        loop {
            tokio::time::sleep(FLUSH_EVERY).await;
            self.flush(false).await;
            self.flushing.store(false, Ordering::Release);
            // A use recorded after the flush but before the flag went down started no
            // task of its own: take it over.
            if lock(&self.uses).is_empty() || self.flushing.swap(true, Ordering::AcqRel) {
                return;
            }
        }
    }

    /// Writes every recorded use now (also called when the server stops).
    pub async fn flush_uses(&self) {
        self.flush(true).await;
    }

    /// Writes the recorded uses of keys not stamped within [`RESTAMP_AFTER`], or all of
    /// them; the others wait.
    async fn flush(&self, all: bool) {
        let due: Vec<(i64, Timestamp)> = {
            let mut uses = lock(&self.uses);
            let mut stamped = lock(&self.stamped);
            let now = Instant::now();
            let due: Vec<(i64, Timestamp)> = uses
                .iter()
                .filter(|(id, _)| {
                    all || stamped
                        .get(id)
                        .is_none_or(|at| now.duration_since(*at) >= RESTAMP_AFTER)
                })
                .map(|(id, at)| (*id, *at))
                .collect();
            for (id, _) in &due {
                uses.remove(id);
                stamped.insert(*id, now);
            }
            due
        };
        for (id, at) in due {
            if let Err(error) = self.store.touch_api_key(id, at).await {
                // A missed last-access stamp must not fail anything else.
                tracing::warn!(%error, key_id = id, "could not record API key access");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use customer_store::{KeyPermissions, NewApiKey, SqliteStore};

    use super::*;

    /// A store in memory holding one WooCommerce key, whose lookup value is `lookup`.
    async fn store_with_woocommerce_key(lookup: &str) -> (Arc<dyn CustomerStore>, ApiKey) {
        let store: Arc<dyn CustomerStore> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let key = store
            .create_api_key(NewApiKey {
                kind: KeyKind::WooCommerce,
                description: String::new(),
                permissions: KeyPermissions::Read,
                lookup: lookup.into(),
                secret: "secret".into(),
                truncated: "1234567".into(),
            })
            .await
            .unwrap();
        (store, key)
    }

    /// A key's first use is written at the next flush; a use soon after waits until
    /// [`RESTAMP_AFTER`] has passed since the last stamp, and goes in at once when the
    /// server stops.
    #[tokio::test]
    async fn a_key_is_stamped_again_only_after_a_while() {
        let (store, key) = store_with_woocommerce_key("lookup").await;
        let cache = KeyCache::new(Arc::clone(&store));
        let stamp = || async {
            store.api_keys().await.unwrap()[0]
                .last_access
                .map(|at| at.as_second())
        };
        let used = |seconds: i64| {
            lock(&cache.uses).insert(key.id, Timestamp::from_second(seconds).unwrap());
        };

        used(1_000);
        cache.flush(false).await;
        assert_eq!(stamp().await, Some(1_000), "a first use goes in at once");
        used(1_001);
        cache.flush(false).await;
        assert_eq!(stamp().await, Some(1_000), "a use right after waits");
        assert_eq!(lock(&cache.uses).len(), 1);
        // As if the last stamp were older.
        let long_ago = Instant::now().checked_sub(RESTAMP_AFTER).unwrap();
        lock(&cache.stamped).insert(key.id, long_ago);
        cache.flush(false).await;
        assert_eq!(stamp().await, Some(1_001), "written once the wait is over");
        used(1_002);
        cache.flush_uses().await;
        assert_eq!(stamp().await, Some(1_002), "everything goes in at shutdown");
        assert!(lock(&cache.uses).is_empty());
    }

    /// A WooCommerce key is found by its consumer key, first through its HMAC and then
    /// through the kept lookup value; a revoked key is no longer found though its
    /// lookup value is kept, and an unknown consumer key is not kept.
    #[tokio::test]
    async fn woocommerce_keys_are_found_by_consumer_key_while_they_live() {
        let (store, key) =
            store_with_woocommerce_key(&crate::keys::woocommerce_lookup("ck_live")).await;
        let cache = KeyCache::new(Arc::clone(&store));
        let found = |consumer_key: &'static str| {
            let cache = &cache;
            async move {
                cache
                    .find_woocommerce(consumer_key)
                    .await
                    .unwrap()
                    .map(|key| key.id)
            }
        };
        assert_eq!(found("ck_live").await, Some(key.id));
        assert_eq!(
            found("ck_live").await,
            Some(key.id),
            "through the kept value"
        );
        assert_eq!(found("ck_unknown").await, None);
        assert_eq!(
            lock(&cache.woocommerce_lookups).keys().collect::<Vec<_>>(),
            ["ck_live"]
        );
        store.revoke_api_key(key.id).await.unwrap();
        // A revocation is seen once the keys in memory are older than RECHECK_AFTER.
        tokio::time::sleep(RECHECK_AFTER).await;
        assert_eq!(found("ck_live").await, None, "a revoked key is not found");
    }
}
