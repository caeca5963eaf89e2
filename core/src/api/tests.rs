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
        limits: None,
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
        limits: None,
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
            limits: Some(Limits {
                documents: 3,
                ..Limits::default()
            }),
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
    // Each line as the CLI prints it, hint included.
    assert_eq!(
        a["error"]["message"],
        "cm.yaml:1:1: no policies found (hint: a policy has `apiVersion: assay.dev/v1`)"
    );
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

/// The findings of a `check` call as (rule, line, message).
fn findings_of(answer: &Value) -> Vec<(String, Option<u64>, String)> {
    let results = answer["report"]["results"].as_array().cloned();
    results
        .unwrap_or_default()
        .iter()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("rule"), f["line"].as_u64(), text("message"))
        })
        .collect()
}

#[test]
fn a_lowered_documents_limit_checks_the_first_documents_and_says_where_it_stopped() {
    let stream = "n: 1\n---\nn: 12\n---\nn: 13\n---\nn: 14\n";
    let a = answer_of(
        &json!({"call": "check", "input": stream, "limits": {"documents": 2}}).to_string(),
    );
    let found = findings_of(&a);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "small");
    let (rule, line, message) = &found[1];
    assert_eq!((rule.as_str(), *line), ("limit", Some(5)));
    assert!(
        message.starts_with("more than 2 documents in this stream; this one and the rest are not checked (limit `documents`; raise it with `--limit documents=…`"),
        "{message}"
    );
    assert_eq!(a["report"]["results"][2]["document"], 2);
    assert_eq!(a["report"]["summary"]["documents"], 3);
    // By default all four are checked.
    let all = answer_of(&json!({"call": "check", "input": stream}).to_string());
    assert_eq!(findings_of(&all).len(), 3);
}

#[test]
fn lowered_parse_limits_are_limit_findings_and_the_other_documents_are_checked() {
    let deep = "a: {b: {c: {d: 1}}}\n---\nn: 12\n";
    for (limits, input, says) in [
        (
            json!({"depth": 3}),
            deep,
            "nesting deeper than 3 levels (limit `depth`",
        ),
        (
            json!({"values": 4}),
            deep,
            "more than 4 values (aliases expanded) (limit `values`",
        ),
        (
            json!({"document-bytes": "3B"}),
            deep,
            "more than 3 bytes of text (aliases expanded) (limit `document-bytes`",
        ),
    ] {
        let request = json!({"call": "check", "input": input, "limits": limits});
        let found = findings_of(&answer_of(&request.to_string()));
        assert_eq!(found.len(), 2, "{limits}: {found:?}");
        assert_eq!(found[0].0, "limit", "{found:?}");
        assert!(found[0].2.contains(says), "{limits}: {}", found[0].2);
        assert_eq!(found[1].0, "small", "the next document is still checked");
    }
    // Raised, a document deeper than the default parses.
    let deeper: String = (0..200)
        .map(|i| format!("{}a:\n", "  ".repeat(i)))
        .collect();
    let default = findings_of(&answer_of(
        &json!({"call": "check", "input": deeper}).to_string(),
    ));
    assert_eq!(default[0].0, "limit");
    assert!(
        default[0].2.contains("deeper than 128 levels"),
        "{default:?}"
    );
    let raised = json!({"call": "check", "input": deeper, "limits": {"depth": 256}});
    let raised = findings_of(&answer_of(&raised.to_string()));
    assert!(raised.iter().all(|f| f.0 != "limit"), "{raised:?}");
}

/// A document given as a value is held to the limits its text would be:
/// hosts that pass parsed objects (JS, Python, webhooks) answer as the CLI
/// does. Found by the generated differential suite: serde_json refused any
/// request nested 128 levels deep, whatever `depth` allowed.
#[test]
fn documents_given_as_values_are_held_to_the_parse_limits() {
    let nested = |levels: usize| {
        let mut v = json!("leaf");
        for _ in 0..levels {
            v = json!({ "a": v });
        }
        v
    };
    let ask = |input: Value, limits: Value| {
        let request = json!({"call": "check", "input": input, "limits": limits});
        findings_of(&answer_of(&request.to_string()))
    };
    // 200 levels: over the default, so a `limit` finding with no position.
    let found = ask(nested(200), json!({}));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "limit");
    assert_eq!(found[0].1, None, "a value has no line");
    assert!(
        found[0]
            .2
            .contains("nesting deeper than 128 levels (limit `depth`"),
        "{found:?}"
    );
    // Raised, the same value is checked, as its text would be.
    let raised = ask(nested(200), json!({"depth": 256}));
    assert!(raised.iter().all(|f| f.0 != "limit"), "{raised:?}");
    // 128 levels is within the default, as for text; 129 is not.
    let at = ask(nested(128), json!({}));
    assert!(at.iter().all(|f| f.0 != "limit"), "{at:?}");
    assert_eq!(ask(nested(129), json!({}))[0].0, "limit");
    for (limits, says) in [
        (json!({"values": 3}), "more than 3 values (limit `values`"),
        (
            json!({"document-bytes": "3B"}),
            "more than 3 bytes of text (limit `document-bytes`",
        ),
    ] {
        let found = ask(
            json!({"kind": "ConfigMap", "data": {"k": "value"}}),
            limits.clone(),
        );
        assert_eq!(
            found.first().map(|f| f.0.as_str()),
            Some("limit"),
            "{limits}: {found:?}"
        );
        assert!(found[0].2.contains(says), "{limits}: {found:?}");
    }
    // Deeper than any limit allows: the request itself is refused, clearly.
    let request = format!(
        r#"{{"call": "check", "input": {}"x"{}}}"#,
        "[".repeat(1100),
        "]".repeat(1100)
    );
    let answer = answer_of(&request);
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nests deeper than 1008 levels"),
        "{answer}"
    );
}

#[test]
fn the_cel_cost_limit_is_taken_from_the_request() {
    let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - {name: unique, expr: 'object.l.all(c, object.l.exists_one(d, d == c))'}\n";
    let set = match PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]) {
        Ok(s) => s,
        Err(e) => unreachable!("{e:?}"),
    };
    let input = json!({"l": (0..40).collect::<Vec<_>>()});
    let ask = |limits: Value| {
        let request = json!({"call": "check", "input": input, "limits": limits});
        serde_json::from_str::<Value>(&call(&set, request.to_string().as_bytes()))
            .unwrap_or_default()
    };
    assert_eq!(ask(json!({}))["report"]["verdict"], "pass");
    let low = findings_of(&ask(json!({"cel-cost": 500})));
    assert_eq!(low.len(), 1, "{low:?}");
    assert!(
        low[0]
            .2
            .contains("CEL cost budget of 500 (limit `cel-cost`"),
        "{}",
        low[0].2
    );
    // A review's rules run within it too.
    let review = json!({"call": "review", "limits": {"celCost": 500}, "review": {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u", "object": input}}});
    let a: Value =
        serde_json::from_str(&call(&set, review.to_string().as_bytes())).unwrap_or_default();
    assert_eq!(a["review"]["response"]["allowed"], false, "{a}");
}

#[test]
fn embedded_files_are_parsed_with_the_documents_limits() {
    let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: e}\nspec:\n  embedded:\n    - {path: /data/f, format: yaml}\n";
    let set = match PolicySet::load(&[("e.yaml".to_owned(), policy.to_owned())]) {
        Ok(s) => s,
        Err(e) => unreachable!("{e:?}"),
    };
    let input = "data:\n  f: '{a: {b: {c: 1}}}'\n";
    let ask = |limits: Value| {
        let request = json!({"call": "check", "input": input, "limits": limits});
        serde_json::from_str::<Value>(&call(&set, request.to_string().as_bytes()))
            .unwrap_or_default()
    };
    assert_eq!(ask(json!({}))["report"]["verdict"], "pass");
    let found = findings_of(&ask(json!({"depth": 2})));
    assert!(
        found.iter().any(|f| f.2.contains("limit `depth`")),
        "{found:?}"
    );
}

#[test]
fn a_wrong_limit_is_a_bad_request_naming_the_limits() {
    for (limits, says) in [
        (
            json!({"documnets": 2}),
            "unknown limit `documnets`; the limits are depth, values",
        ),
        (json!({"depth": 100000}), "above its ceiling of 1000"),
        (
            json!({"documents": "lots"}),
            "limit `documents`: `lots` is not a whole number",
        ),
        (json!({"documents": 0}), "must be at least 1"),
    ] {
        let a =
            answer_of(&json!({"call": "check", "input": "n: 1\n", "limits": limits}).to_string());
        let message = a["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("bad request: "), "{a}");
        assert!(message.contains(says), "{message}");
    }
}

#[test]
fn describe_gives_each_rule_its_severity_and_description() {
    let text = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: v}\n\
        spec:\n  secrets: {enabled: true, disable: [secret-env-var]}\n  rules:\n\
        \x20   - {name: described, expr: 'true', description: what it checks, message: m}\n\
        \x20   - {name: by-message, expr: 'true', message: the message, severity: warning}\n\
        \x20   - {name: bare, expr: 'true'}\n";
    let set = match PolicySet::load(&[("v.yaml".to_owned(), text.to_owned())]) {
        Ok(s) => s,
        Err(e) => unreachable!("{e:?}"),
    };
    let info = serde_json::to_value(describe(&set)).unwrap_or_default();
    let rules = &info[0]["rules"];
    assert_eq!(rules[0]["severity"], "error");
    assert_eq!(rules[0]["description"], "what it checks");
    assert_eq!(rules[1]["severity"], "warning");
    assert_eq!(rules[1]["description"], "the message");
    assert!(rules[2].get("description").is_none(), "{info}");
    let secret: Vec<&str> = info[0]["secretRules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(secret.contains(&"secret-in-configmap"), "{info}");
    assert!(!secret.contains(&"secret-env-var"), "disabled: {info}");
    // Module metadata written before these fields reads as before.
    let old: PolicyInfo = serde_json::from_str(
        r#"{"name": "p", "kind": "ValidationPolicy", "file": "p.yaml",
            "rules": [{"name": "r", "estimatedCost": {"max": 1, "boundedBy": "schema"}}]}"#,
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(old.rules[0].severity, crate::Severity::Error);
    assert!(old.secret_rules.is_empty());
}
