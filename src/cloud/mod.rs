//! The cloud shape: the Lambda handler, its event payloads, and SSM secrets.
//!
//! The same pass as the CLI runs here; this module only adapts its inputs (event,
//! deadline, secrets from SSM) and returns the summary as the Lambda response.

pub mod event;
pub mod handler;
pub mod ssm;

pub use handler::serve;
