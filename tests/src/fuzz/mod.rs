//! The bodies of the cargo-fuzz targets in `fuzz/` (`make fuzz`), as plain
//! functions: each fuzz target is a one-liner calling one of them, and
//! `tests/fuzz_replay.rs` calls them on the seed corpora and the crash
//! regressions on stable Rust. A body panics only on a real bug; each
//! module says what it holds the code to.

mod cel_target;
mod common;
mod decide_target;
mod module_target;
mod parse_target;
mod patch_target;
mod policy_target;
mod redaction_target;

pub use cel_target::cel;
pub use decide_target::decide;
pub use module_target::{module_abi, module_abi_init};
pub use parse_target::parse;
pub use patch_target::patch;
pub use policy_target::policy_load;
pub use redaction_target::redaction;

/// A target's body: panics on a bug, returns otherwise.
pub type Body = fn(&[u8]);

/// Every target, by the name of its fuzz target and corpus directory.
pub const TARGETS: &[(&str, Body)] = &[
    ("parse", parse),
    ("policy_load", policy_load),
    ("cel", cel),
    ("patch", patch),
    ("decide", decide),
    ("module_abi", module_abi),
    ("redaction", redaction),
];
