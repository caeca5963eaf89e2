//! What the secret rules add to the per-document check of the 2 KB ML
//! ConfigMap of `evaluate.rs`: the same policy with and without
//! `spec.secrets`, on a parsed document and end to end.

use assay_benches::{ML_CONFIGMAP, ML_POLICY};
use assay_core::check::check_text;
use assay_core::parse::parse_stream;
use assay_core::{EvalInput, PolicySet};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn load(text: String) -> Option<PolicySet> {
    PolicySet::load(&[("ml-policy.yaml".to_owned(), text)]).ok()
}

fn benches(c: &mut Criterion) {
    let with_secrets = format!("{ML_POLICY}  secrets:\n    enabled: true\n");
    let (Some(plain), Some(secrets)) = (load(ML_POLICY.to_owned()), load(with_secrets)) else {
        eprintln!("benchmark policies do not load");
        return;
    };
    for set in [&plain, &secrets] {
        let outcome = check_text(set, None, ML_CONFIGMAP, "production", &[]);
        assert_eq!(outcome.checked, 1);
        assert!(
            outcome.results.iter().all(|r| r.findings.is_empty()),
            "fixture must pass: {:?}",
            outcome.results
        );
    }
    let Some(Ok(doc)) = parse_stream(ML_CONFIGMAP).into_iter().next() else {
        return;
    };
    let input = EvalInput {
        env: "production",
        ..EvalInput::default()
    };
    c.bench_function("evaluate_parsed_without_secrets", |b| {
        b.iter(|| plain.evaluate(black_box(&doc), &input))
    });
    c.bench_function("evaluate_parsed_with_secrets", |b| {
        b.iter(|| secrets.evaluate(black_box(&doc), &input))
    });
    // The parts: the data values (one text), the embedded config.yaml.
    let Some(scanner) = assay_core::redact::detectors::Scanner::builtin() else {
        return;
    };
    let data = doc.value.get("data").and_then(|d| d.as_object());
    let values: Vec<(&str, &str)> = data
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
        .filter(|(_, v)| !v.contains('\n'))
        .collect();
    let config = data
        .and_then(|d| d.get("config.yaml"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    c.bench_function("scan_data_values", |b| {
        b.iter(|| scanner.scan_values(black_box(&values)))
    });
    c.bench_function("scan_embedded_config", |b| {
        b.iter(|| scanner.scan(Some("config.yaml"), black_box(config)))
    });
    // A long value with no separator (a base64 blob in `data`): megabytes
    // per second, not per minute.
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let blob: String = (0..256 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALNUM[(state % 62) as usize])
        })
        .collect();
    c.bench_function("scan_256k_alphanumeric_value", |b| {
        b.iter(|| scanner.scan(Some("blob"), black_box(&blob)))
    });
    // 2,000 credential findings in one document: each finding's message is
    // redacted of every sensitive value of the document.
    let many_tokens: String = (0..2000).fold(ML_CONFIGMAP.to_owned(), |mut text, i| {
        text.push_str(&format!(
            "  TOKEN_{i}: \"abcdefghijklmnopqrstuvwxyz012345{i}\"\n"
        ));
        text
    });
    let findings: usize = check_text(&secrets, None, &many_tokens, "production", &[])
        .results
        .iter()
        .map(|r| r.findings.len())
        .sum();
    assert!(findings >= 2000, "{findings} findings");
    let mut slow = c.benchmark_group("slow");
    slow.sample_size(10);
    slow.bench_function("check_2000_token_findings", |b| {
        b.iter(|| check_text(&secrets, None, black_box(&many_tokens), "production", &[]))
    });
    slow.finish();
    c.bench_function("check_end_to_end_with_secrets", |b| {
        b.iter(|| {
            check_text(
                &secrets,
                Some("cm.yaml"),
                black_box(ML_CONFIGMAP),
                "production",
                &[],
            )
        })
    });
}

criterion_group!(group, benches);
criterion_main!(group);
