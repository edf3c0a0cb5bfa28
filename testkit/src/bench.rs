//! The synthetic library of the `decide` bench and the pass benchmark: a seeded generator
//! and worlds of any size.

pub mod library;
pub mod rng;
