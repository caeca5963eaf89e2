//! `decide`: a rollout decision's input (`Request::Decide`, the input as
//! text, as `assay decide` reads it) against the built-in library's
//! rollout policies. The data is `FLAGS INPUT`: the first byte picks the
//! policy (none, which the library's several rollouts refuse, or one of
//! them by name) and the environment. No panic; the answer is a decision
//! or an error and survives its JSON (a weight that is not a finite number
//! would not); a decision's weight is finite; the same input given as a
//! value (what the JS and Python packages pass) is decided the same
//! (unless it is a JSON string, which as a value is text to read again).

use super::common::{check_answer, library, text};
use assay_core::api::{answer, Answer, Request};
use serde_json::Value;

pub fn decide(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let set = library();
    let names: Vec<String> = set.rollouts.iter().map(|p| p.name.clone()).collect();
    let policy = match usize::from(flags & 3) {
        0 => None,
        i => Some(
            names
                .get(i - 1)
                .cloned()
                .unwrap_or_else(|| "nope".to_owned()),
        ),
    };
    let env = match (flags >> 2) & 3 {
        0 => None,
        1 => Some("production".to_owned()),
        2 => Some("staging".to_owned()),
        _ => Some("unknown-env".to_owned()),
    };
    let input = text(rest);
    let request = |input: Value| Request::Decide {
        input,
        env: env.clone(),
        policy: policy.clone(),
    };
    let got = answer(&set, request(Value::String(input.clone())));
    match &got {
        Answer::Decision { decision } => assert!(
            decision.weight.is_finite(),
            "decision weight {} is not a number",
            decision.weight
        ),
        Answer::Error { .. } => {}
        other => panic!("decide answers a decision or an error: {other:?}"),
    }
    check_answer(&got);
    // A JSON string is no input object either way, but as a value it is
    // text to read again: not the same request.
    if let Some(value) = serde_json::from_str::<Value>(&input)
        .ok()
        .filter(|v| !v.is_string())
    {
        let as_value = answer(&set, request(value));
        assert!(
            as_value == got,
            "the input as text and as a value are decided differently:\n{got:?}\n{as_value:?}"
        );
    }
}
