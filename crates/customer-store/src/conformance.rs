//! The backend-independent store conformance suite (being written).
