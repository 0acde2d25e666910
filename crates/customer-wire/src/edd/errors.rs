//! EDD's failures, answered with `{"error": "…"}` and a status before the endpoint runs
//! ([`EddError`]), and the catalogue of every message ([`CATALOGUE`]).

use crate::catalogue::CatalogueEntry;

/// A failure answered with `{"error": "…"}` and a status, before the endpoint runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EddError {
    /// A `vN/` prefix other than `v1` and `v2`.
    #[error("Invalid API version!")]
    InvalidVersion,
    /// An endpoint other than `customers`.
    #[error("Invalid query!")]
    InvalidQuery,
    /// `key` or `token` missing or empty.
    #[error("You must specify both a token and API key!")]
    MissingCredentials,
    /// No EDD key with this public key.
    #[error("Invalid API key!")]
    InvalidKey,
    /// The token is not md5(secret . key).
    #[error("Your request could not be authenticated!")]
    NotAuthenticated,
    /// A variable sent in the body and the query string with different values.
    #[error("A variable mismatch has been detected.")]
    VariableMismatch,
    /// A parameter EDD cannot read.
    #[error("Invalid {name}! Expected {expected}.")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What it accepts.
        expected: &'static str,
    },
    /// A parameter another one requires.
    #[error("Missing {name}! date=range needs a startdate (YYYYMMDD).")]
    MissingParameter {
        /// The parameter.
        name: &'static str,
    },
}

impl EddError {
    /// The HTTP status EDD answers with (2.5.7 and later).
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidVersion => 404,
            Self::MissingCredentials => 401,
            Self::InvalidKey | Self::NotAuthenticated => 403,
            Self::InvalidQuery
            | Self::VariableMismatch
            | Self::InvalidParameter { .. }
            | Self::MissingParameter { .. } => 400,
        }
    }
}

/// Every error message EDD answers with, and its status.
pub const CATALOGUE: [CatalogueEntry; 13] = [
    CatalogueEntry::new(404, "", "Invalid API version!"),
    CatalogueEntry::new(400, "", "Invalid query!"),
    CatalogueEntry::new(401, "", "You must specify both a token and API key!"),
    CatalogueEntry::new(403, "", "Invalid API key!"),
    CatalogueEntry::new(403, "", "Your request could not be authenticated!"),
    CatalogueEntry::new(400, "", "A variable mismatch has been detected."),
    CatalogueEntry::new(400, "", "Invalid {name}! Expected {expected}."),
    CatalogueEntry::new(
        400,
        "",
        "Missing {name}! date=range needs a startdate (YYYYMMDD).",
    ),
    CatalogueEntry::new(200, "", "No customers found!"),
    CatalogueEntry::new(503, "", UNAVAILABLE),
    CatalogueEntry::new(503, "", DEADLINE_EXCEEDED),
    CatalogueEntry::new(413, "", TOO_LARGE),
    CatalogueEntry::new(500, "", INTERNAL),
];

/// A store that cannot answer now (clientele's message).
pub const UNAVAILABLE: &str = "The customer database is unavailable. Try again shortly.";
/// A request that ran out of time (clientele's message).
pub const DEADLINE_EXCEEDED: &str = crate::fault::DEADLINE_MESSAGE;
/// A body over the server's limit (clientele's message).
pub const TOO_LARGE: &str = "The request body is too large.";
/// Anything else that failed on the server's side (clientele's message).
pub const INTERNAL: &str = "The customer database could not answer.";
