//! Catalogues as data: each dialect lists the errors it can answer with
//! ([`CatalogueEntry`]) and the parameters it reads ([`Parameter`]), so documents such as
//! OpenAPI descriptions can be generated from the same tables the codecs use.

/// One error a dialect answers with: status, code (empty for dialects whose errors have
/// none) and message. A message may hold `{placeholders}` that the encoder fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// The HTTP status.
    pub status: u16,
    /// The machine-readable code (`woocommerce_rest_invalid_id`), or `""`.
    pub code: &'static str,
    /// The message as the original words it.
    pub message: &'static str,
}

impl CatalogueEntry {
    /// An entry.
    pub const fn new(status: u16, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
        }
    }

    /// The message with each `{name}` replaced by its value.
    pub fn message_with(&self, values: &[(&str, &str)]) -> String {
        values
            .iter()
            .fold(self.message.to_owned(), |message, (name, value)| {
                message.replace(&format!("{{{name}}}"), value)
            })
    }
}

/// What a request parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Free text.
    Text,
    /// An integer, with inclusive bounds where the dialect has them.
    Integer {
        /// The smallest value accepted.
        min: Option<i64>,
        /// The largest value accepted.
        max: Option<i64>,
    },
    /// A boolean (`true`/`false`/`1`/`0`).
    Boolean,
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// A list of integer ids (an array, or a comma-separated string).
    IdList,
    /// An e-mail address.
    Email,
    /// A date and time (ISO 8601 unless the parameter's description says otherwise).
    DateTime,
}

/// One request parameter a dialect reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parameter {
    /// The name as sent.
    pub name: &'static str,
    /// What it accepts.
    pub kind: ParamKind,
    /// The value when absent, as the original documents it.
    pub default: Option<&'static str>,
    /// What it does, in a sentence.
    pub description: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        let entry = CatalogueEntry::new(400, "x", "No {what} over {limit}.");
        assert_eq!(
            entry.message_with(&[("what", "items"), ("limit", "100")]),
            "No items over 100."
        );
    }
}
