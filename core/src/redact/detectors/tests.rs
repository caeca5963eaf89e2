use super::*;

fn ids(key: Option<&str>, text: &str) -> Vec<String> {
    let Some(s) = Scanner::builtin() else {
        return vec!["scanner does not build".to_owned()];
    };
    s.scan(key, text)
        .iter()
        .map(|h| s.entries[h.detector].id.to_string())
        .collect()
}

// Synthetic values of the right shape, assembled so no real-looking token sits in the source.
fn fake(prefix: &str, body: &str, n: usize) -> String {
    format!(
        "{prefix}{}",
        body.repeat(n / body.len() + 1).get(..n).unwrap_or("")
    )
}

#[test]
fn builtin_compiles() {
    assert!(Scanner::builtin().is_some());
}

#[test]
fn token_formats() {
    let gh = fake("ghp_", "Fak3T0kenAbcd9", 36);
    assert_eq!(ids(None, &gh), ["github-token"]);
    let ant = fake("sk-ant-api03-", "Fak3Ant4ropicK3y", 90);
    assert_eq!(ids(None, &ant), ["anthropic-api-key"]);
    let oai = fake("sk-proj-", "Fak3OpenAiK3yZ", 48);
    assert_eq!(ids(None, &oai), ["openai-api-key"]);
    assert!(ids(None, "sk-learn-model-serving-pipeline").is_empty());
    assert_eq!(
        ids(None, "postgresql://u:p#ss-W0rd@db.internal:5432/x"),
        ["url-password"]
    );
    assert!(ids(None, "postgresql://u:${DB_PASSWORD}@db:5432/x").is_empty());
    for conn in [
        "host=db.internal port=5432 user=ml password=GuardPw-Audit-1",
        "jdbc:sqlserver://db:1433;databaseName=ml;user=ml;password=Jdbc-Pw-9x",
        "Server=tcp:db,1433;Database=ml;User Id=ml;Password=Ado.Pw-77;",
    ] {
        assert_eq!(ids(None, conn), ["connection-string-password"], "{conn}");
    }
    assert!(ids(None, "host=db user=ml password=${DB_PASSWORD}").is_empty());
    let sas = fake(
        "https://ml.blob.core.windows.net/models/m.onnx?sv=2022-11-02&sp=r&sig=",
        "Fak3Sas%2Bsig",
        46,
    );
    let s3 = fake(
        "https://b.s3.amazonaws.com/m.onnx?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=",
        "0f1e2d3c4b5a",
        64,
    );
    let gcs = fake(
        "https://storage.googleapis.com/b/m?X-Goog-Algorithm=GOOG4-RSA-SHA256&x-goog-signature=",
        "a1b2c3d4",
        256,
    );
    for url in [sas, s3, gcs] {
        assert_eq!(ids(None, &url), ["signed-url"], "{url}");
    }
    assert!(ids(
        None,
        "https://x.blob.core.windows.net/c?sv=2022-11-02&sig=REDACTED"
    )
    .is_empty());
    assert!(ids(None, "https://x.blob.core.windows.net/c?sig=${SAS_SIG}").is_empty());
    assert!(ids(None, "password = Xk9mQ2vL7pR4zzT").is_empty());
    assert!(ids(None, "AKIAIOSFODNN7EXAMPLE").is_empty());
    assert!(ids(None, &fake("ghp_", "x", 36)).is_empty());
}

#[test]
fn hostile_values_are_bounded() {
    let Some(s) = Scanner::builtin() else {
        return;
    };
    let gh = fake("ghp_", "Fak3T0kenAbcd9", 36);
    let many = format!("{gh} ").repeat(20_000);
    assert_eq!(s.scan(None, &many).len(), MAX_HITS);
    let lines = "password: Zq8#v2Lr!9wT\n".repeat(20_000);
    assert_eq!(s.scan(None, &lines).len(), MAX_HITS);
    let huge = "A".repeat(4 << 20) + "\n-----BEGIN PRIVATE KEY-----";
    assert!(s.scan(Some("key"), &huge).is_empty());
}

#[test]
fn key_names() {
    assert!(ids(Some("MAX_TOKENS"), "4096").is_empty());
    assert!(ids(Some("TOKENIZER"), "bert-base-uncased-Tok3nizerV2x").is_empty());
    assert!(ids(Some("PASSWORD_MIN_LENGTH"), "12").is_empty());
    assert_eq!(
        ids(Some("DB_PASSWORD"), "hunter2-Xy"),
        ["high-entropy-credential"]
    );
    assert_eq!(
        ids(Some("WANDB_API_KEY"), &fake("", "0123456789abcdef", 40)),
        ["wandb-api-key"]
    );
    assert!(ids(Some("apiKey"), "${API_KEY}").is_empty());
}
