//! `cel`: CEL compile and evaluation with the Kubernetes library. The data
//! is `EXPR \0 MESSAGE_EXPR \0 DOCUMENT`: a policy with one rule of that
//! `expr` (and `messageExpr`, when given) is loaded, and the document (or
//! a Deployment, when none is given) is checked with `Request::Check`.
//! No panic; a policy that does not compile is an error located in the
//! policy file; a check answers a report that survives its JSON and
//! renders in every format; evaluating twice gives the same report.

use super::common::{check_answer, fields, line_count, text};
use assay_core::api::{answer, Answer, Request};
use assay_core::PolicySet;
use serde_json::Value;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n  labels: {app: web, tier: \"1\"}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.25\n          resources: {limits: {cpu: 500m, memory: 128Mi}}\n          ports: [{containerPort: 8080}]\n";

pub fn cel(data: &[u8]) {
    let parts = fields(data, 3);
    let expr = text(parts[0]);
    let message_expr = text(parts[1]);
    let document = if parts[2].is_empty() {
        DEPLOYMENT.to_owned()
    } else {
        text(parts[2])
    };
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut policy = format!(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: fuzz}}\nspec:\n  rules:\n    - name: r\n      expr: {}\n",
        quote(&expr)
    );
    if !message_expr.is_empty() {
        policy.push_str(&format!("      messageExpr: {}\n", quote(&message_expr)));
    } else {
        policy.push_str("      message: rule r failed\n");
    }
    let lines = line_count(policy.as_bytes());
    let set = match PolicySet::load(&[("cel.yaml".to_owned(), policy)]) {
        Ok(set) => set,
        Err(errors) => {
            for e in errors {
                assert!(
                    e.file == "cel.yaml" && e.line >= 1 && e.line <= lines + 1 && e.column >= 1,
                    "compile error not located in the policy: {e:?}"
                );
            }
            return;
        }
    };
    let request = Request::Check {
        input: Some(Value::String(document)),
        file: Some("doc.yaml".to_owned()),
        env: String::new(),
        old: None,
        old_file: None,
        limits: None,
    };
    let first = answer(&set, request.clone());
    let Answer::Report { .. } = &first else {
        panic!("a check with input answers a report: {first:?}")
    };
    check_answer(&first);
    let again = answer(&set, request);
    assert!(first == again, "two checks differ:\n{first:?}\n{again:?}");
}
