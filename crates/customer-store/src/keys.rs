//! API keys as stored. The store keeps what the original systems keep so that signatures
//! can be verified: WooCommerce keeps a keyed hash of the consumer key (for lookup) and
//! the consumer secret itself (OAuth needs it); EDD keeps the public key and the secret;
//! easycart bearer tokens are kept as a SHA-256 digest. Generating and hashing keys is the
//! caller's job; the store only keeps and finds them.

use customer_model::Timestamp;
use customer_model::import::KeptApiKey;

/// Which API family a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// WooCommerce REST and legacy keys (`ck_…`/`cs_…`).
    WooCommerce,
    /// EDD public key + secret.
    Edd,
    /// easycart bearer token.
    Bearer,
}

impl KeyKind {
    /// The slug used on the command line and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WooCommerce => "woocommerce",
            Self::Edd => "edd",
            Self::Bearer => "bearer",
        }
    }

    /// The kind named by `slug`.
    pub fn parse(slug: &str) -> Option<Self> {
        [Self::WooCommerce, Self::Edd, Self::Bearer]
            .into_iter()
            .find(|k| k.as_str() == slug)
    }
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPermissions {
    /// GET, HEAD, OPTIONS only.
    Read,
    /// Writes only.
    Write,
    /// Everything.
    ReadWrite,
}

impl KeyPermissions {
    /// `read`, `write` or `read_write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::ReadWrite => "read_write",
        }
    }

    /// The permissions named by `slug`.
    pub fn parse(slug: &str) -> Option<Self> {
        [Self::Read, Self::Write, Self::ReadWrite]
            .into_iter()
            .find(|p| p.as_str() == slug)
    }
}

/// A key to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// Kind.
    pub kind: KeyKind,
    /// Free text.
    pub description: String,
    /// Scope.
    pub permissions: KeyPermissions,
    /// The value looked up on each request (WooCommerce: the keyed hash of the consumer
    /// key; EDD: the public key; bearer: the token's digest). Unique per kind.
    pub lookup: String,
    /// What verification needs (WooCommerce: consumer secret; EDD: secret; bearer: empty).
    pub secret: String,
    /// The last characters of the public part, for display (`…abc1234`).
    pub truncated: String,
}

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: KeyKind,
    /// Free text.
    pub description: String,
    /// Scope.
    pub permissions: KeyPermissions,
    /// Lookup value.
    pub lookup: String,
    /// Verification secret.
    pub secret: String,
    /// Display suffix.
    pub truncated: String,
    /// When created.
    pub created_at: Timestamp,
    /// When last used.
    pub last_access: Option<Timestamp>,
}

impl From<ApiKey> for KeptApiKey {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            kind: key.kind.as_str().to_owned(),
            description: key.description,
            permissions: key.permissions.as_str().to_owned(),
            lookup: key.lookup,
            secret: key.secret,
            truncated: key.truncated,
            created_at: key.created_at,
            last_access: key.last_access,
        }
    }
}

/// Why a kept key cannot be stored: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKeyName {
    /// `kind` or `permissions`.
    pub field: &'static str,
    /// What is wrong, in words.
    pub reason: &'static str,
}

impl TryFrom<KeptApiKey> for ApiKey {
    type Error = UnknownKeyName;

    fn try_from(kept: KeptApiKey) -> Result<Self, Self::Error> {
        let kind = KeyKind::parse(&kept.kind).ok_or(UnknownKeyName {
            field: "kind",
            reason: "is not one of woocommerce, edd, bearer",
        })?;
        let permissions = KeyPermissions::parse(&kept.permissions).ok_or(UnknownKeyName {
            field: "permissions",
            reason: "is not one of read, write, read_write",
        })?;
        Ok(Self {
            id: kept.id,
            kind,
            description: kept.description,
            permissions,
            lookup: kept.lookup,
            secret: kept.secret,
            truncated: kept.truncated,
            created_at: kept.created_at,
            last_access: kept.last_access,
        })
    }
}
