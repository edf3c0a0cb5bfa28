//! Configuration: the TOML file of CONTRACT section 3, env overrides, secrets, validation.

pub mod secret;
pub mod types;

pub use secret::{Secret, SecretSource};
pub use types::*;
