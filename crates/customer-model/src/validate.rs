//! Field errors: validation collects every failure with the path of the field.

use std::fmt;

/// Why one field failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldErrorKind {
    /// A required field is absent or empty.
    Missing,
    /// The value is not an e-mail address by WordPress's `is_email` rule.
    InvalidEmail,
    /// The value is not a valid account name.
    InvalidUsername,
    /// The value is longer than allowed.
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// The value's encoded form is larger than allowed.
    TooLarge {
        /// The maximum number of bytes.
        max_bytes: usize,
    },
    /// The list has more items than allowed.
    TooMany {
        /// The maximum number of items.
        max: usize,
    },
    /// The value is not one of the allowed values.
    NotOneOf {
        /// The allowed values.
        allowed: Vec<&'static str>,
    },
    /// The value is not an amount of the currency.
    InvalidAmount(crate::money::MoneyError),
    /// The value is malformed in another way, described in words.
    Invalid(String),
}

/// One validation failure: a dotted path (`billing.email`, `meta_data.0.key`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field within the validated input.
    pub path: String,
    /// What is wrong with it.
    pub kind: FieldErrorKind,
}

impl FieldError {
    /// A failure of the field at `path`.
    pub fn new(path: impl Into<String>, kind: FieldErrorKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }
}

impl fmt::Display for FieldErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("is required"),
            Self::InvalidEmail => f.write_str("is not a valid e-mail address"),
            Self::InvalidUsername => f.write_str("is not a valid username"),
            Self::TooLong { max } => write!(f, "is longer than {max} characters"),
            Self::TooLarge { max_bytes } => write!(f, "is larger than {max_bytes} bytes"),
            Self::TooMany { max } => write!(f, "has more than {max} items"),
            Self::NotOneOf { allowed } => write!(f, "is not one of {}", allowed.join(", ")),
            Self::InvalidAmount(e) => write!(f, "is not a valid amount: {e}"),
            Self::Invalid(why) => f.write_str(why),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.kind)
    }
}

impl std::error::Error for FieldError {}

/// Accumulates field errors while a whole input is validated.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub(crate) Vec<FieldError>);

impl Errors {
    pub(crate) fn push(&mut self, path: impl Into<String>, kind: FieldErrorKind) {
        self.0.push(FieldError::new(path, kind));
    }

    /// Checks a free-text field against a maximum length in characters.
    pub(crate) fn max_len(&mut self, path: &str, value: &str, max: usize) {
        // A string has at least as many bytes as characters: most values are decided
        // without counting.
        if value.len() > max && value.chars().count() > max {
            self.push(path, FieldErrorKind::TooLong { max });
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}
