//! `policy_load`: a policy file of arbitrary bytes. Loading never panics;
//! every error names the file and a line and column inside it; the call
//! API's `load` agrees on whether it loads and locates its error answer.
//! A policy set that loads answers `describe` and checks its own text.

use super::common::{check_answer, line_count, text};
use assay_core::api::{answer, load, Request};
use assay_core::PolicySet;
use serde_json::Value;

const FILE: &str = "p.yaml";

pub fn policy_load(data: &[u8]) {
    let text = text(data);
    let lines = line_count(text.as_bytes());
    let files = [(FILE.to_owned(), text.clone())];
    let loaded = PolicySet::load(&files);
    if let Err(errors) = &loaded {
        assert!(!errors.is_empty(), "a failed load without errors");
        for e in errors {
            assert_eq!(e.file, FILE, "error not in the file: {e:?}");
            assert!(
                // The line after the last is the end of a text without a
                // final line break, where saphyr reports an unexpected end.
                e.line >= 1 && e.column >= 1 && e.line <= lines + 1,
                "error outside the file's {lines} lines: {e:?}"
            );
            assert!(!e.message.is_empty(), "error without a message: {e:?}");
        }
    }
    match load(&files) {
        Ok(set) => {
            let Ok(_) = &loaded else {
                panic!("api::load loads what PolicySet::load refuses")
            };
            let described = answer(&set, Request::Describe);
            check_answer(&described);
            let checked = answer(
                &set,
                Request::Check {
                    input: Some(Value::String(text)),
                    file: Some(FILE.to_owned()),
                    env: String::new(),
                    old: None,
                    old_file: None,
                    limits: None,
                },
            );
            check_answer(&checked);
        }
        Err(json) => {
            let error: Value = match serde_json::from_str(&json) {
                Ok(v) => v,
                Err(e) => panic!("load's error is not JSON ({e}): {json}"),
            };
            let e = &error["error"];
            assert!(e["message"].is_string(), "no message: {json}");
            assert_eq!(e["file"], FILE, "error answer not located: {json}");
            let line = e["line"].as_u64().unwrap_or(0);
            let column = e["column"].as_u64().unwrap_or(0);
            assert!(
                line >= 1 && column >= 1 && line <= u64::from(lines) + 1,
                "error answer outside the file: {json}"
            );
        }
    }
}
