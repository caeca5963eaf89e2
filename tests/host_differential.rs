//! Property test: native evaluation (`assay_core::api::call`) and compiled
//! modules give the same answer, as the same JSON text, for generated
//! documents checked against generated policies.
//!
//! Building a module per generated policy would take a wasmtime compile
//! each, so a pool of policies drawn with a fixed seed from the strategies
//! of `src/generated/` is built once into one module (`MODULES`; the host
//! caches its machine code under the target dir, so later runs skip the
//! compile until the guest changes). Each case draws an input (one to three
//! documents as YAML or JSON, awkward texts among them, or a dotenv file),
//! an environment and previous versions, and sends the same requests to
//! both: `check` of the text, `check` of a single document as a value,
//! `checkPatch` of the text with a merge or JSON patch, and `review` of the
//! first document as an AdmissionReview.
//!
//! `PROPTEST_CASES` sets the number of cases (default 64), and
//! `PROPTEST_RNG_SEED` the seed (default fixed, so CI runs are the same);
//! a failing case's seed is saved in
//! `proptest-regressions/host_differential.txt`, which is committed and
//! replayed first. Disagreements found so far are plain tests at the end.

#[allow(dead_code)]
#[path = "src/generated/mod.rs"]
mod generated;

use assay_core::PolicySet;
use assay_host::{build, bundle, FileSystem, Host, Limits, LoadedModule};
use generated::corpus::{self, ENVS};
use generated::documents;
use generated::node::{self, Style};
use generated::policies;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The seed of the policy pool.
const POOL_SEED: u64 = 0x28;
/// Policies drawn for the pool; those that do not load are left out.
const POOL_DRAWN: usize = 30;
/// Modules the pool is split into (a case is checked against one). Each
/// is a wasmtime compile of the guest (half a minute in a debug build, on
/// a busy machine) on the first run after the guest changes.
const MODULES: usize = 1;
/// The seed of the cases when `PROPTEST_RNG_SEED` is not set.
const CASE_SEED: u64 = 0x2800;

/// Policies that found a disagreement, kept in the pool so that their
/// tests (below) need no module of their own.
const REGRESSION_POLICIES: &[(&str, &str)] = &[(
    "map-order",
    "apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: map-order}
spec:
  match: {kinds: [ConfigMap], names: [map-order]}
  rules:
    - name: keys-in-order
      expr: object.data.map(k, k) == ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
      messageExpr: object.data.map(k, k)
    - name: values-joined
      expr: object.data.filter(k, true).map(k, object.data[k]).join('') == 'abcdefgh'
      messageExpr: object.data.map(k, object.data[k]).join('')
    - name: first-error
      expr: object.data.all(k, base64.decode(object.data[k]).size() > 0)
",
)];

struct Both {
    /// Each policy's name and text, for failure messages.
    texts: Vec<(String, String)>,
    native: PolicySet,
    module: LoadedModule,
}

impl Both {
    /// Both answers to `request`, when they are the same text.
    fn compare(&self, request: &Value) -> Result<String, String> {
        let text = request.to_string();
        let native = assay_core::api::call(&self.native, text.as_bytes());
        let module = self
            .module
            .call_shared(text.as_bytes())
            .map_err(|e| format!("the module failed: {e}\nrequest: {request}"))?;
        if native == module {
            return Ok(native);
        }
        let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.into()));
        let (native_value, module_value) = (parse(&native), parse(&module));
        let at = difference(&native_value, &module_value, String::new());
        // The result that differs, and its policy, rather than every result.
        let result = at
            .strip_prefix("/report/results/")
            .and_then(|rest| rest.split('/').next()?.parse::<usize>().ok());
        let (native, module, policy) = match result {
            Some(i) => {
                let (n, m) = (
                    &native_value["report"]["results"][i],
                    &module_value["report"]["results"][i],
                );
                let policy = n["policy"]
                    .as_str()
                    .and_then(|name| self.texts.iter().find(|(p, _)| p == name));
                (
                    n.to_string(),
                    m.to_string(),
                    policy.map_or(String::new(), |(_, text)| text.clone()),
                )
            }
            None => (native, module, String::new()),
        };
        Err(format!(
            "native and module answers differ at {at}\nrequest: {request}\nnative: {native}\nmodule: {module}\npolicy:\n{policy}"
        ))
    }
}

/// The JSON pointer of the first place where `a` and `b` differ.
fn difference(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v != w => return difference(v, w, format!("{at}/{k}")),
                    None => return format!("{at}/{k} (only native)"),
                    _ => {}
                }
            }
            match y.keys().find(|k| !x.contains_key(*k)) {
                Some(k) => format!("{at}/{k} (only module)"),
                None => format!("{at} (same JSON, different text)"),
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            match x.iter().zip(y).position(|(v, w)| v != w) {
                Some(i) => difference(&x[i], &y[i], format!("{at}/{i}")),
                None => format!("{at} (same JSON, different text)"),
            }
        }
        _ => format!("{at}: {a} against {b}"),
    }
}

fn host() -> Result<Host, String> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("modules");
    Host::new(Some(cache), Limits::default()).map_err(|e| e.to_string())
}

fn both(host: &Host, file: &str, texts: Vec<(String, String)>) -> Result<Both, String> {
    let text = texts
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("---\n");
    let files = vec![(file.to_owned(), text)];
    let (bundle, _) = bundle(files.clone(), &FileSystem).map_err(|e| format!("{e:?}"))?;
    let native = PolicySet::load_with(&files, &FileSystem).map_err(|e| format!("{e:?}"))?;
    let bytes = build(&bundle, &native).map_err(|e| e.to_string())?;
    let module = host.load(&bytes).map_err(|e| e.to_string())?;
    Ok(Both {
        texts,
        native,
        module,
    })
}

/// The pool's policies that load, as (name, YAML text).
fn pool_policies() -> Vec<(String, String)> {
    let drawn = corpus::draw(&policies::policy(), POOL_SEED, POOL_DRAWN);
    let mut texts: Vec<(String, String)> = drawn
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = format!("gen-{i}");
            let p = policies::named(p.clone(), &name);
            (name, node::yaml(&p, &mut Style::new(&[i as u8, 7, 91, 3])))
        })
        .filter(|(_, text)| assay_core::api::load(&[("p.yaml".to_owned(), text.clone())]).is_ok())
        .collect();
    texts.extend(
        REGRESSION_POLICIES
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned())),
    );
    texts
}

/// The pool, built into modules once for all the tests of this file.
fn pool() -> Result<&'static [Both], String> {
    static POOL: OnceLock<Result<Vec<Both>, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        let host = host()?;
        let texts = pool_policies();
        let per = texts.len().div_ceil(MODULES);
        texts
            .chunks(per)
            .enumerate()
            .map(|(i, chunk)| both(&host, &format!("pool-{i}.yaml"), chunk.to_vec()))
            .collect()
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// The module of the pool that holds the policy `name`.
fn holding(name: &str) -> Result<&'static Both, String> {
    pool()?
        .iter()
        .find(|b| b.texts.iter().any(|(n, _)| n == name))
        .ok_or_else(|| format!("no module holds `{name}`"))
}

fn config() -> Config {
    let mut config = Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/host_differential.txt"
        )))),
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(CASE_SEED);
    }
    // A case takes a few milliseconds; shrinking should not take minutes.
    if std::env::var_os("PROPTEST_MAX_SHRINK_ITERS").is_none() {
        config.max_shrink_iters = 1000;
    }
    config
}

/// The requests of a case (see the top of the file), and the module to
/// send them to.
fn requests() -> impl Strategy<Value = (usize, Vec<Value>)> {
    let extras = (select(&["CREATE", "UPDATE", "DELETE"][..]), patch());
    (0..MODULES, documents::input(), select(ENVS), any::<bool>(), extras)
        .prop_flat_map(|(module, input, env, with_old, extras)| {
            let old = if with_old && !input.docs.is_empty() {
                corpus::old_versions(&input.docs).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            (Just((module, input, env, extras)), old)
        })
        .prop_map(|((module, input, env, (operation, (patch_type, patch))), old_docs)| {
            let old = old_docs
                .as_ref()
                .map(|docs| node::stream(docs, false, &mut Style::new(&[])));
            let mut request =
                json!({"call": "check", "input": input.text, "file": input.file, "env": env});
            if let Some(old) = &old {
                request["old"] = json!(old);
            }
            let mut requests = vec![request];
            // The text with a patch applied, as `assay check --base --patch`.
            requests.push(json!({
                "call": "checkPatch",
                "base": {"file": input.file, "text": input.text},
                "patch": {"file": "patch.json", "text": patch},
                "patchType": patch_type,
                "env": env,
            }));
            // The first document as an AdmissionReview.
            if let Some(doc) = input.docs.first() {
                let old = old_docs.as_ref().and_then(|o| o.first());
                let review = corpus::admission_review("uid-1", operation, doc, old);
                requests.push(json!({"call": "review", "review": node::json(&review, false), "file": "review.json", "env": env}));
            }
            // One document as a value too (however deep: the call API
            // refuses deep values, natively and in modules alike).
            if let [doc] = input.docs.as_slice() {
                if !input.awkward {
                    requests.push(json!({"call": "check", "input": doc.to_value(), "env": env, "old": old}));
                }
            }
            (module, requests)
        })
}

/// A patch for a generated input: a merge patch (a document), or JSON
/// patch operations on the fields the policies read.
fn patch() -> impl Strategy<Value = (&'static str, String)> {
    let op = select(
        &[
            r#"{"op": "replace", "path": "/data/LOG_LEVEL", "value": "DEBUG"}"#,
            r#"{"op": "add", "path": "/data/BATCH_SIZE", "value": "64"}"#,
            r#"{"op": "add", "path": "/metadata/labels", "value": {"app": "web"}}"#,
            r#"{"op": "remove", "path": "/spec/replicas"}"#,
            r#"{"op": "replace", "path": "/spec/replicas", "value": 12}"#,
            r#"{"op": "test", "path": "/kind", "value": "ConfigMap"}"#,
            r#"{"op": "add", "path": "/data/config.yaml", "value": "database: {pool_size: 500}\n"}"#,
            r#"{"op": "move", "from": "/data/LOG_LEVEL", "path": "/data/level"}"#,
            r#"{"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "x", "image": "nginx:latest"}}"#,
        ][..],
    );
    prop_oneof![
        documents::document().prop_map(|d| ("merge", node::json(&d, false))),
        proptest::collection::vec(op, 0..4)
            .prop_map(|ops| ("json", format!("[{}]", ops.join(", ")))),
        Just(("merge", "{not json".to_owned())),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn modules_answer_as_native((module, requests) in requests()) {
        let pool = pool().map_err(TestCaseError::fail)?;
        let both = &pool[module % pool.len()];
        for request in &requests {
            both.compare(request).map_err(TestCaseError::fail)?;
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// The texts the cases are written in mean the documents drawn: the YAML
    /// (block and flow styles, every kind of scalar, literal blocks,
    /// comments) and JSON of a document read back as that document. Else
    /// the `check` of a text and of its document as a value would differ.
    #[test]
    fn generated_texts_read_back_as_their_documents(
        doc in documents::document(),
        style in proptest::collection::vec(any::<u8>(), 0..48),
        as_json in any::<bool>(),
    ) {
        let text = node::stream(std::slice::from_ref(&doc), as_json, &mut Style::new(&style));
        let parsed = assay_core::parse::parse_stream(&text);
        match parsed.first() {
            Some(Ok(read)) => prop_assert_eq!(&read.value, &doc.to_value(), "{}", text),
            Some(Err(e)) => prop_assert!(doc.depth() > 128, "{}: {}\n{}", e.message, e.line, text),
            // A null document is no document.
            None => prop_assert_eq!(doc, generated::node::Node::Null),
        }
    }
}

/// The pool is what the test is worth: most drawn policies load, and each
/// module describes its policies as native evaluation does.
#[test]
fn the_pool_loads_and_describes_alike() -> Result<(), String> {
    let texts = pool_policies();
    assert!(
        texts.len() >= POOL_DRAWN * 2 / 3,
        "only {} of {POOL_DRAWN} drawn policies load",
        texts.len()
    );
    for both in pool()? {
        let answer = both.compare(&json!({"call": "describe"}))?;
        assert!(answer.contains("\"policies\""), "{answer}");
    }
    Ok(())
}

/// A macro over a mapping visited its keys in a `HashMap`'s order: random
/// in each native process (each map has its own `RandomState`), fixed in
/// wasm, so `object.data.map(k, k)` (and `filter`, and what is built from
/// them) was a different list from one evaluation to the next, and the
/// module's differed from native's. Found by `modules_answer_as_native`;
/// keys are now visited in order (docs/cel.md, "Macros over maps").
#[test]
fn map_iteration_order_is_the_same_natively_and_in_modules() -> Result<(), String> {
    let both = holding("map-order")?;
    // Not base64, each at another offset: `first-error` names the first.
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: map-order}\n\
                 data: {h: h, c: ccc-, a: a, f: ffffffff-, b: bb-, g: g, d: dddd-, e: eeeee-}\n";
    let request = json!({"call": "check", "input": input, "file": "map-order.yaml"});
    let mut answers = std::collections::BTreeSet::new();
    for _ in 0..8 {
        answers.insert(both.compare(&request)?);
    }
    assert_eq!(
        answers.len(),
        1,
        "native answers differ between calls: {answers:#?}"
    );
    Ok(())
}
