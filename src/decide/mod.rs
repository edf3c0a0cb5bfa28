//! The decision pass: a pure function of (snapshot, state, config, now) giving a [`Plan`].

pub mod plan;

pub use plan::{Action, ActionKind, Op, Plan};
