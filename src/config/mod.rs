//! Configuration: the TOML file (README, "Configuration reference"), env overrides,
//! secrets, validation.
//!
//! [`locate`] finds the config (`--config`, `SWEEPARR_CONFIG`, `SWEEPARR_CONFIG_TOML`,
//! `./sweeparr.toml`); [`load()`] parses it (`parse` into the `raw` mirror of the TOML),
//! applies [`defaults`] and per-Arr overrides and checks it (`validate`, `values`),
//! applies the `SWEEPARR_*` overrides ([`env`](mod@env)) and reads secrets (`resolve`).
//! Every failure is a [`ConfigError`] naming the origin and the dotted key.

pub mod defaults;
pub mod duration;
pub mod env;
pub mod error;
mod example;
mod load;
mod notify;
mod parse;
mod raw;
mod resolve;
mod rules;
mod search;
pub mod secret;
pub mod speed;
pub mod types;
mod url;
mod validate;
mod values;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use env::EnvOverrides;
pub use error::ConfigError;
pub use example::example;
pub use load::{
    CONFIG_PATH_VAR, CONFIG_TOML_VAR, ConfigSource, DEFAULT_FILE, INLINE_ORIGIN, load, load_str,
    locate,
};
pub use secret::{Secret, SecretSlot, SecretSource};
pub use types::*;
pub use url::{BaseUrl, UrlProblem};
