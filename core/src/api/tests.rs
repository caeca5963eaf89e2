use super::*;

fn set() -> PolicySet {
    let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - {name: small, expr: 'object.n < 10', path: /n}\n";
    match PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]) {
        Ok(s) => s,
        Err(e) => unreachable!("{e:?}"),
    }
}

fn answer_of(request: &str) -> Value {
    serde_json::from_str(&call(&set(), request.as_bytes())).unwrap_or_default()
}

#[test]
fn check_answers_the_report_of_the_cli() {
    let a = answer_of(r#"{"call": "check", "input": "n: 12\n", "file": "x.yaml"}"#);
    assert_eq!(a["report"]["verdict"], "fail");
    let finding = &a["report"]["results"][0]["findings"][0];
    assert_eq!(finding["rule"], "small");
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(1), Some(4))
    );
    let a = answer_of(r#"{"call": "check", "input": {"n": 3}}"#);
    assert_eq!(a["report"]["verdict"], "pass");
}

#[test]
fn typed_requests_keep_the_wire_format() {
    let typed = Request::Check {
        input: Some(json!("n: 1\n")),
        file: Some("x.yaml".to_owned()),
        env: "production".to_owned(),
        old: None,
        old_file: None,
    };
    let text = serde_json::to_string(&typed).unwrap_or_default();
    assert_eq!(
        text,
        r#"{"call":"check","input":"n: 1\n","file":"x.yaml","env":"production"}"#
    );
    let patch = Request::CheckPatch {
        base: NamedText {
            file: "b.yaml".to_owned(),
            text: "a: 1\n".to_owned(),
        },
        patch: NamedText {
            file: "p.json".to_owned(),
            text: "[]".to_owned(),
        },
        patch_type: PatchType::Json,
        env: String::new(),
    };
    let text = serde_json::to_string(&patch).unwrap_or_default();
    assert!(text.contains(r#""call":"checkPatch""#), "{text}");
    assert!(text.contains(r#""patchType":"json""#), "{text}");
    for request in [
        typed,
        patch,
        Request::Decide {
            input: json!({"state": {"weight": 10}}),
            env: None,
            policy: Some("r".to_owned()),
        },
        Request::Review {
            review: json!("kind: AdmissionReview\n"),
            file: None,
            env: String::new(),
        },
        Request::Describe,
    ] {
        let text = serde_json::to_string(&request).unwrap_or_default();
        let back: Option<Request> = serde_json::from_str(&text).ok();
        assert_eq!(back.as_ref(), Some(&request), "{text}");
    }
    let merge: Option<Request> = serde_json::from_str(
        r#"{"call": "checkPatch", "base": {"file": "b", "text": "a: 1"}, "patch": {"file": "p", "text": "a: 2"}}"#,
    )
    .ok();
    assert!(
        matches!(
            merge,
            Some(Request::CheckPatch {
                patch_type: PatchType::Merge,
                ..
            })
        ),
        "{merge:?}"
    );
}

#[test]
fn typed_answers_read_back_what_call_writes() {
    let requests = [
        r#"{"call": "check", "input": "n: 12\n", "file": "x.yaml"}"#,
        r#"{"call": "describe"}"#,
        r#"{"call": "nope"}"#,
        r#"{"call": "review", "review": {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u", "object": {"n": 1}}}}"#,
        r#"{"call": "review", "file": "r.yaml", "review": "kind: [\n"}"#,
    ];
    for request in requests {
        let text = call(&set(), request.as_bytes());
        let answer: Result<Answer, _> = serde_json::from_str(&text);
        let Ok(answer) = answer else {
            unreachable!("{text}: {answer:?}")
        };
        assert_eq!(serde_json::to_string(&answer).unwrap_or_default(), text);
        // The typed request gets the same answer without the JSON text.
        if let Ok(typed) = serde_json::from_str::<Request>(request) {
            assert_eq!(super::answer(&set(), typed), answer, "{text}");
        }
    }
}

#[test]
fn error_answers_list_their_fields_as_they_always_did() {
    let Answer::Error { error } = error_at(
        "broken",
        "a hint",
        Some("f.yaml"),
        Some(Pos { line: 3, column: 4 }),
    ) else {
        unreachable!("an error answer")
    };
    let typed = serde_json::to_string(&Answer::Error { error }).unwrap_or_default();
    let by_hand = json!({"error": {"message": "broken", "hint": "a hint", "file": "f.yaml",
                                   "line": 3, "column": 4}});
    assert_eq!(typed, by_hand.to_string());
    let bare = serde_json::to_string(&super::error("broken", "a hint")).unwrap_or_default();
    assert_eq!(bare, r#"{"error":{"hint":"a hint","message":"broken"}}"#);
}

#[test]
fn bad_requests_are_answered_with_an_error() {
    for request in ["", "{", r#"{"call": "nope"}"#, r#"{"call": "check"}"#] {
        let a = answer_of(request);
        assert!(a["error"]["message"].is_string(), "{request}: {a}");
    }
}

#[test]
fn error_answers_do_not_echo_secrets() {
    let token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
    let request = format!(r#"{{"call": "{token}"}}"#);
    let a = answer_of(&request);
    let message = a["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("unknown variant"), "{message}");
    assert!(!message.contains(token), "{message}");
}

#[test]
fn review_answers_an_admission_response_and_its_report() {
    let review = r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u1", "object": {"n": 12}}}"#;
    let request = json!({"call": "review", "review": review}).to_string();
    let a = answer_of(&request);
    assert_eq!(a["review"]["response"]["uid"], "u1");
    assert_eq!(a["review"]["response"]["allowed"], false);
    assert_eq!(a["report"]["verdict"], "fail");
    let request = json!({"call": "review", "review": {"kind": "AdmissionReview"}});
    let a = answer_of(&request.to_string());
    assert!(a["error"]["message"].is_string(), "{a}");
    let request = json!({"call": "review", "file": "r.yaml",
        "review": "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: [\n"});
    let a = answer_of(&request.to_string());
    assert_eq!(a["error"]["file"], "r.yaml", "{a}");
    assert!(a["error"]["line"].is_u64(), "{a}");
}

#[test]
fn load_errors_are_located_and_all_reported() {
    let bad = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - {name: r1, expr: 'object.n <'}\n    - {name: r2, expr: 'object.m >'}\n";
    let Err(text) = load(&[("bad.yaml".to_owned(), bad.to_owned())]) else {
        unreachable!("the policy has broken rules")
    };
    let a: Value = serde_json::from_str(&text).unwrap_or_default();
    let e = &a["error"];
    assert_eq!(
        (e["file"].as_str(), e["line"].as_u64()),
        (Some("bad.yaml"), Some(6))
    );
    assert_eq!(e["rule"], "r1");
    assert_eq!(e["errors"].as_array().map(Vec::len), Some(2));
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("bad.yaml:6:"), "{message}");
    assert_eq!(message.lines().count(), 2, "{message}");
}

#[test]
fn loading_no_policy_is_an_error() {
    let Err(text) = load(&[("cm.yaml".to_owned(), "kind: ConfigMap\n".to_owned())]) else {
        unreachable!("a ConfigMap is not a policy")
    };
    let a: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(a["error"]["message"], "cm.yaml:1:1: no policies found");
    assert!(a["error"]["hint"].is_string());
}

#[test]
fn decide_reads_text_or_a_value() {
    let rollout = "apiVersion: assay.dev/v1\nkind: RolloutPolicy\nmetadata: {name: r}\nspec:\n  steps: [10, 50, 100]\n  checks:\n    - {name: errors, metric: error_rate, max: 0.01}\n";
    let set = match load(&[("r.yaml".to_owned(), rollout.to_owned())]) {
        Ok(s) => s,
        Err(e) => unreachable!("{e}"),
    };
    let input = json!({"state": {"weight": 10}, "metrics": {"baseline": {"requests": 50000, "error_rate": 0.001}, "candidate": {"requests": 5000, "error_rate": 0.001}}});
    let by_value = call(
        &set,
        json!({"call": "decide", "input": input})
            .to_string()
            .as_bytes(),
    );
    let by_text = call(
        &set,
        json!({"call": "decide", "input": input.to_string()})
            .to_string()
            .as_bytes(),
    );
    assert!(by_value.contains("\"decision\""), "{by_value}");
    assert_eq!(by_value, by_text);
    let broken = call(&set, br#"{"call": "decide", "input": "{\"state\": "}"#);
    assert!(broken.contains("not valid JSON"), "{broken}");
}

#[test]
fn describe_lists_the_policies() {
    let a = answer_of(r#"{"call": "describe"}"#);
    assert_eq!(a["policies"][0]["name"], "p");
    assert_eq!(a["policies"][0]["kind"], "ValidationPolicy");
    assert!(a["policies"][0].get("environments").is_none(), "{a}");
    assert_eq!(a["policies"][0]["checks"], serde_json::json!(["rules"]));
    assert!(a["policies"][0].get("embedded").is_none(), "{a}");
}

#[test]
fn input_as_bytes_is_checked_as_the_cli_checks_a_file() {
    let set = set();
    let request = br#"{"call": "check", "file": "x.yaml"}"#;
    let as_text = call(
        &set,
        br#"{"call": "check", "file": "x.yaml", "input": "n: 12\n"}"#,
    );
    assert_eq!(call_with_input(&set, request, b"n: 12\n"), as_text);

    let bad: Value = serde_json::from_str(&call_with_input(
        &set,
        request,
        b"n: 1\nm: \xff\xfe\n---\nn: 12\n",
    ))
    .unwrap_or_default();
    let report = &bad["report"];
    assert_eq!(report["summary"]["documents"], 2, "{bad}");
    let parse = &report["results"][0];
    assert_eq!(parse["file"], "x.yaml");
    assert_eq!(parse["findings"][0]["rule"], "parse");
    assert_eq!(
        (
            &parse["findings"][0]["line"],
            &parse["findings"][0]["column"]
        ),
        (&json!(2), &json!(4))
    );
    // The document after the bad one is still checked.
    assert_eq!(
        report["results"][1]["findings"][0]["rule"], "small",
        "{bad}"
    );

    let with_input = call_with_input(&set, br#"{"call": "check", "input": "n: 1"}"#, b"");
    assert!(with_input.contains("without `input`"), "{with_input}");
    let none = answer_of(r#"{"call": "check"}"#);
    assert!(none["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("needs `input`")));
}

#[test]
fn describe_names_the_environments_of_each_policy() {
    let validation = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: v}\n\
        spec:\n  environments: {staging: {params: {n: 1}}, canary: {}}\n  rules:\n\
        \x20   - {name: a, expr: 'true', environments: [production, staging]}\n";
    let rollout = "apiVersion: assay.dev/v1\nkind: RolloutPolicy\nmetadata: {name: r}\n\
        spec:\n  steps: [10]\n  checks: [{name: errors, metric: error_rate, max: 0.01}]\n\
        \x20 environments: {qa: {steps: [50]}}\n";
    let files = [("v.yaml", validation), ("r.yaml", rollout)]
        .map(|(name, text)| (name.to_owned(), text.to_owned()));
    let set = match PolicySet::load(&files) {
        Ok(s) => s,
        Err(e) => unreachable!("{e:?}"),
    };
    let envs: Vec<(String, Vec<String>)> = describe(&set)
        .into_iter()
        .map(|p| (p.name, p.environments))
        .collect();
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        envs,
        [
            ("v".to_owned(), names(&["canary", "production", "staging"])),
            ("r".to_owned(), names(&["qa"])),
        ]
    );
}
