//! Generated documents, policies and cases for the property tests that
//! hold the hosts to one answer (`tests/host_differential.rs`, and through
//! the corpus of `examples/gen_differential.rs`, the Python, JS and CLI
//! tests).
//!
//! These are proptest strategies, and proptest is a dev-dependency of this
//! crate (the fuzz crate links its library without it), so the tests and
//! examples that use them include this directory as a module of their own:
//! `#[path = "src/generated/mod.rs"] mod generated;`.

pub mod cel;
pub mod corpus;
pub mod documents;
pub mod node;
pub mod policies;
pub mod schema;
