//! The model's integration tests: properties over generated inputs.

mod properties;
