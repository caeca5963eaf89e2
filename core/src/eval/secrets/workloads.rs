//! Where each kind of workload keeps its pod specs, for the secret rules on
//! pods. Imports nothing of the other rule files.

use serde_json::Value;

/// Where a document of `kind` keeps its pod specs: workloads, and the
/// serving and rollout resources that wrap one (Argo Rollouts, Knative,
/// KServe, Seldon, KubeRay), some of which hold several.
pub(super) fn pod_spec_pointers(kind: &str, doc: &Value) -> Vec<String> {
    let one = |p: &str| vec![p.to_owned()];
    let each = |list: &str, inner: &str| -> Vec<String> {
        let n = doc
            .pointer(list)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        (0..n).map(|i| format!("{list}/{i}{inner}")).collect()
    };
    let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    match kind {
        "Pod" => one("/spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController"
        | "Rollout" => one("/spec/template/spec"),
        "Service" if api.starts_with("serving.knative.dev/") => one("/spec/template/spec"),
        "CronJob" => one("/spec/jobTemplate/spec/template/spec"),
        "PodTemplate" => one("/template/spec"),
        // A KServe component is a pod spec with its model container inline.
        "InferenceService" => ["predictor", "transformer", "explainer"]
            .map(|c| format!("/spec/{c}"))
            .to_vec(),
        "SeldonDeployment" => each("/spec/predictors", "")
            .iter()
            .flat_map(|p| {
                let n = doc
                    .pointer(&format!("{p}/componentSpecs"))
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                (0..n).map(move |j| format!("{p}/componentSpecs/{j}/spec"))
            })
            .collect(),
        "RayCluster" | "RayService" | "RayJob" => {
            let cluster = match kind {
                "RayService" => "/spec/rayClusterConfig",
                "RayJob" => "/spec/rayClusterSpec",
                _ => "/spec",
            };
            let mut specs = one(&format!("{cluster}/headGroupSpec/template/spec"));
            specs.extend(each(
                &format!("{cluster}/workerGroupSpecs"),
                "/template/spec",
            ));
            specs
        }
        _ => Vec::new(),
    }
}

/// A KServe component's container fields that are one container each: the
/// model, and the framework predictors of the v1beta1 API.
pub(super) const MODEL_CONTAINERS: &[&str] = &[
    "model",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "huggingface",
    "lightgbm",
    "paddle",
    "pmml",
];
