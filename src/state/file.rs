//! The embedded state store.
