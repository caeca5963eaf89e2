use super::*;

#[test]
fn key_segments() {
    assert_eq!(segments("APIKey"), ["api", "key"]);
    assert_eq!(segments("s3SecretKey"), ["s3", "secret", "key"]);
    assert_eq!(segments("MAX_TOKENS"), ["max", "tokens"]);
    assert_eq!(key_class("MAX_TOKENS"), KeyClass::None);
    assert_eq!(key_class("TOKENIZER"), KeyClass::None);
    assert_eq!(key_class("PASSWORD_MIN_LENGTH"), KeyClass::None);
    assert_eq!(key_class("db.password"), KeyClass::Password);
    assert_eq!(key_class("openaiApiKey"), KeyClass::Credential);
    assert_eq!(key_class("clientSecret"), KeyClass::Credential);
    assert_eq!(key_class("OAUTH_ENABLED"), KeyClass::None);
    assert_eq!(key_class("author"), KeyClass::None);
}

#[test]
fn credential_marks_in_any_case_anywhere_in_a_key() {
    for key in [
        "PASSWORD",
        "db_Pwd",
        "x-secret",
        "myToken",
        "apiKEY",
        "CREDS",
        "oAuth",
        "BEARER_x",
        "WANDB_API",
        "a.b.Key",
        "\u{3a9}key",
        "pass",
    ] {
        assert!(may_be_credential(key), "{key}");
    }
    for key in [
        "LOG_LEVEL",
        "replicas",
        "",
        "pas",
        "ke",
        "tok en",
        "p\u{e1}ss",
        "\u{3a9}",
    ] {
        assert!(!may_be_credential(key), "{key}");
    }
}

#[test]
fn placeholders() {
    for v in [
        "CHANGE_ME_IN_PRODUCTION",
        "your-256-bit-secret-key-here",
        "AES256-encryption-key-here",
        "${DB_PASSWORD}",
        "$(DB_PASSWORD)",
        "<BASE64_ENCODED_32_BYTE_KEY>",
        "sk-...",
        "hf_…",
        "REDACTED",
        "{{ .Values.password }}",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "AKIAIOSFODNN7EXAMPLE",
        "MLFLOW_TOKEN_HERE",
        "AWS_SECRET_KEY",
    ] {
        assert!(not_a_secret(v).is_some(), "{v}");
    }
    for v in [
        "P@ssw0rd!Complex#2024",
        "redis-secret-password",
        "hunter2",
        r#"{"auths": {"harbor.mycorp.io": {"password": "Xk9mQ2vL7pR4zzT", "email": "ml-team@example.com"}}}"#,
        "[db]\n; see example.ini\npassword = Xk9mQ2vL7pR4zzT\n",
        "ops@example.org",
    ] {
        assert!(not_a_secret(v).is_none(), "{v}");
    }
}

#[test]
fn pairs() {
    let text = "a: 1\n  password: \"s3cr3t\" # x\nexport API_KEY=abc # c\n{\"token\": \"t0k\",\n";
    let got: Vec<(&str, &str)> = credential_line_pairs(text)
        .into_iter()
        .map(|(k, s, e)| (k, &text[s..e]))
        .collect();
    assert_eq!(got, [("password", "s3cr3t"), ("API_KEY", "abc")]);
}

#[test]
fn json_pairs() {
    let text = r#"{"db": {"host": "pg", "password": "Xk9\"mQ2"}, "api_key":"k1", "tokens": 3, "auth": "unterminated"#;
    let got: Vec<(&str, &str)> = json_credential_pairs(text)
        .into_iter()
        .map(|(k, s, e)| (k, &text[s..e]))
        .collect();
    assert_eq!(got, [("password", r#"Xk9\"mQ2"#), ("api_key", "k1")]);
    assert!(json_credential_pairs(r#"{"password_hint": ""}"#).is_empty());
}

/// Every line parsed, then filtered: what `credential_line_pairs`
/// must give without parsing every line.
fn every_line_then_filtered(text: &str) -> Vec<(&str, usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some((k, s, e)) = pair(body).filter(|(k, _, _)| may_be_credential(k)) {
            out.push((k, offset + s, offset + e));
        }
        offset += line.len();
    }
    out
}

#[test]
fn only_lines_with_a_mark_are_parsed_and_none_is_missed() {
    for text in [
        "",
        "\n\n",
        "token: a",
        "TOKEN=abc\r\nlog: token\r\n",
        "a: 1\nkey_key: passpass # token\n\nsecret: x\nauth: y",
        "x: 1\n  - db_password: 'p w' # c\r\r\nexport AUTH_TOKEN = z ;\n",
        "k: v\nmy.Secret-Key: \"q\", \nname: tok\u{e9}n\nid: \u{3a9}key\n",
        "no marks at all\nreplicas: 3\n",
    ] {
        let want = every_line_then_filtered(text);
        assert_eq!(credential_line_pairs(text), want, "{text:?}");
        // The paths other targets take: the automaton, and every line.
        let automaton = key_marks().map(|m| m.find_iter(text).map(|m| m.start()));
        assert_eq!(
            credential_pairs_at(text, automaton.into_iter().flatten()),
            want
        );
        assert_eq!(credential_pairs_at(text, line_starts(text)), want);
    }
}
