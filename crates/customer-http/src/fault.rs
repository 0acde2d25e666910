//! The one mapping of store failures to [`Fault`]s. It lives here, not in
//! `customer-wire`, because the codecs know no store: a [`StoreError`] names backend
//! details that no client should see, so the server logs them and hands the codecs only
//! what went wrong in model terms.

use customer_model::{FieldError, FieldErrorKind};
use customer_store::StoreError;
use customer_wire::Fault;

/// What a store failure means for the client. Failures of the store itself are logged
/// here, once.
pub fn store_fault(error: StoreError) -> Fault {
    match error {
        StoreError::NotFound { entity } => Fault::NotFound { entity },
        StoreError::Conflict { field } => Fault::Conflict { field },
        StoreError::Invalid { field, reason } => Fault::Invalid(vec![FieldError::new(
            field,
            FieldErrorKind::Invalid(reason),
        )]),
        StoreError::Unavailable(reason) => {
            tracing::warn!(%reason, "the store is unavailable");
            Fault::Unavailable
        }
        other => {
            tracing::error!(error = %other, "the store failed");
            Fault::Internal
        }
    }
}

/// Store results with their failures as [`Fault`]s.
pub trait Faulted<T> {
    /// The result with a failure as a [`Fault`].
    fn faulted(self) -> Result<T, Fault>;
}

impl<T> Faulted<T> for Result<T, StoreError> {
    fn faulted(self) -> Result<T, Fault> {
        self.map_err(store_fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failures_become_faults() {
        assert_eq!(
            store_fault(StoreError::Conflict { field: "email" }),
            Fault::Conflict { field: "email" }
        );
        assert_eq!(
            store_fault(StoreError::Unavailable("busy".into())),
            Fault::Unavailable
        );
        let invalid = store_fault(StoreError::Invalid {
            field: "created_at".into(),
            reason: "is out of range".into(),
        });
        assert_eq!(
            invalid.first_invalid(),
            Some(("created_at".into(), "is out of range".into()))
        );
        let backend = StoreError::Backend("disk".into());
        assert_eq!(store_fault(backend), Fault::Internal);
        let missing: Result<(), StoreError> = Err(StoreError::NotFound { entity: "key" });
        assert_eq!(missing.faulted(), Err(Fault::NotFound { entity: "key" }));
    }
}
