//! Shared corpora live beside this crate; the tests are in `policy_cases.rs`.

pub mod fuzz;
