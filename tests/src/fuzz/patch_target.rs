//! `patch`: `merge` and `json` patches (`Request::CheckPatch`) against the
//! built-in library. The data is `FLAGS BASE \0 PATCH`: the first byte's
//! low bit picks the patch type, the next bit the patch file's extension
//! (`.json` or `.yaml`). No panic; the answer is a report (a patch that
//! does not apply is a finding, not a failed call) that survives its JSON
//! and renders in every format.

use super::common::{check_answer, fields, library, text};
use assay_core::api::{answer, Answer, NamedText, Request};
use assay_core::check::patch::PatchType;

pub fn patch(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let parts = fields(rest, 2);
    let patch_type = if flags & 1 == 0 {
        PatchType::Merge
    } else {
        PatchType::Json
    };
    let patch_file = if flags & 2 == 0 {
        "patch.json"
    } else {
        "patch.yaml"
    };
    let env = match (flags >> 2) & 3 {
        0 => "",
        1 => "production",
        2 => "staging",
        _ => "dev",
    };
    let request = Request::CheckPatch {
        base: NamedText {
            file: "base.yaml".to_owned(),
            text: text(parts[0]),
        },
        patch: NamedText {
            file: patch_file.to_owned(),
            text: text(parts[1]),
        },
        patch_type,
        env: env.to_owned(),
        limits: None,
    };
    let got = answer(&library(), request);
    let Answer::Report { .. } = &got else {
        panic!("a patch check answers a report: {got:?}")
    };
    check_answer(&got);
}
