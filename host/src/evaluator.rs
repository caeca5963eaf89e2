//! What the native hosts (the CLI and the Python package) evaluate with:
//! YAML policies compiled natively, or a compiled `.wasm` module run by
//! wasmtime. Both answer the same questions, the module through core's call
//! API ([`Request`] in, [`Answer`] out), so each host only parses its
//! arguments, converts, and prints or raises what comes back.

pub use crate::error::{Duplicate, LoadError};
use crate::files::{
    display, is_module, load_policy_set_with, read_file, RefScope, MAX_MODULE_BYTES,
};
use crate::host::{Host, LoadedModule, ModuleError};
use assay_core::api::{self, Answer, ErrorAnswer, NamedText, PolicyInfo, Request, DECIDE_HINT};
use assay_core::check::patch::PatchType;
use assay_core::check::review::Admission;
use assay_core::check::{self, decode, failure, parse_failure, FileOutcome};
use assay_core::parse::Document;
use assay_core::report::{DocResult, Report};
use assay_core::rollout::{Decision, DecisionInput};
use assay_core::set::choose_rollout;
use assay_core::{Limits, PolicySet};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Policies ready to evaluate: a compiled set, or a module. Shared by
/// threads: a native set is evaluated by several at once, and a module's
/// calls take turns. Each checks within its limits (docs/limits.md): a
/// native set's are its own (`PolicySet::limits`), a module's go with each
/// request, and its calls run within their `module-time` and
/// `module-memory`.
pub enum Evaluator {
    Native(PolicySet),
    Module {
        /// The module's path, as messages name it.
        path: String,
        module: Box<LoadedModule>,
        /// The limits its requests ask it to check within.
        limits: Limits,
    },
}

// Python evaluates with the interpreter released, from any thread.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Evaluator>();
};

/// Why an evaluation gave no answer. Checks never fail (a failure is a
/// finding on the input); `decide`, `review_response` and the raw call do.
#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    /// A call into the module failed: a limit hit, a trap.
    #[error("{path}: {error}")]
    Module { path: String, error: ModuleError },
    /// The module's answer is not JSON, or not an answer of the call API;
    /// `problem` says which, and why.
    #[error("{path}: its answer is {problem}")]
    BadAnswer { path: String, problem: String },
    /// The module answered, but not what was asked (`expected` names it).
    #[error("{path}: no {expected} in the answer")]
    Unexpected {
        path: String,
        expected: &'static str,
    },
    /// No rollout policy to decide with: none is loaded, several are and
    /// none is named, or none has the name. `rollouts` is how many are loaded.
    #[error("{message}")]
    NoRollout { message: String, rollouts: usize },
    /// An input the policies cannot answer: the call API's error answer,
    /// with a hint and where in the input when known. A module's message
    /// is redacted (it is the call API's answer); a native decision's is
    /// not: hosts that show it to others redact it.
    #[error("{}", .0.message)]
    Input(ErrorAnswer),
}

/// Loads the policies of `-p` paths: the YAML files and directories into
/// one native set, each `.wasm` into a module; no paths: the built-in
/// library. A policy name loaded twice is refused.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Evaluator>, LoadError> {
    load_with(paths, RefScope::Root)
}

/// [`load`], with schemas' `$ref`s read in `scope`.
pub fn load_with(paths: &[PathBuf], scope: RefScope) -> Result<Vec<Evaluator>, LoadError> {
    load_within(paths, scope, &Limits::DEFAULT)
}

/// [`load_with`], every evaluator checking within `limits`.
pub fn load_within(
    paths: &[PathBuf],
    scope: RefScope,
    limits: &Limits,
) -> Result<Vec<Evaluator>, LoadError> {
    let (modules, yaml): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| is_module(p));
    let mut out = Vec::new();
    if !yaml.is_empty() || modules.is_empty() {
        let yaml: Vec<PathBuf> = yaml.into_iter().cloned().collect();
        let set = load_policy_set_with(&yaml, scope)?.with_limits(*limits);
        out.push(Evaluator::Native(set));
    }
    for p in modules {
        out.push(Evaluator::load_module(p)?.with_limits(*limits));
    }
    refuse_duplicate_names(&out)?;
    Ok(out)
}

/// Every policy name that more than one of `evaluators` loads.
fn refuse_duplicate_names(evaluators: &[Evaluator]) -> Result<(), LoadError> {
    let named: Vec<(String, String)> = evaluators
        .iter()
        .flat_map(|e| {
            let from = match e {
                Evaluator::Native(_) => None,
                Evaluator::Module { path, .. } => Some(path.clone()),
            };
            e.describe()
                .into_iter()
                .map(move |i| (i.name, from.clone().unwrap_or(i.file)))
        })
        .collect();
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut duplicates = Vec::new();
    for (name, from) in &named {
        match first.get(name.as_str()) {
            Some(earlier) => duplicates.push(Duplicate {
                name: name.clone(),
                file: from.clone(),
                earlier: (*earlier).to_owned(),
            }),
            None => {
                first.insert(name, from);
            }
        }
    }
    if duplicates.is_empty() {
        Ok(())
    } else {
        Err(LoadError::Duplicates(duplicates))
    }
}

/// The outcomes of several evaluators on the same input, as one: each
/// document counts once.
pub fn merge(mut outcomes: Vec<FileOutcome>) -> FileOutcome {
    if outcomes.len() == 1 {
        return outcomes.pop().unwrap_or_default();
    }
    let documents = outcomes.iter().map(|o| o.documents).max().unwrap_or(0);
    let mut results: Vec<DocResult> = outcomes.into_iter().flat_map(|o| o.results).collect();
    results.sort_by_key(|r| r.document);
    let checked = results
        .iter()
        .filter(|r| r.policy.is_some())
        .map(|r| r.document)
        .collect::<BTreeSet<_>>()
        .len();
    FileOutcome {
        documents,
        checked,
        results,
    }
}

impl Evaluator {
    /// Loads a module built by `assay build`, with this process's [`Host`].
    pub fn load_module(path: &Path) -> Result<Evaluator, LoadError> {
        let label = display(path);
        let bytes =
            read_file(path, MAX_MODULE_BYTES).map_err(|error| LoadError::UnreadableFile {
                path: label.clone(),
                error,
            })?;
        let host = Host::shared().map_err(LoadError::Host)?;
        let module = host.load(&bytes).map_err(|error| LoadError::Module {
            path: label.clone(),
            error,
        })?;
        Ok(Evaluator::Module {
            path: label,
            module: Box::new(module),
            limits: Limits::DEFAULT,
        })
    }

    /// This evaluator, checking within `limits`; a module's calls run
    /// within its `module-time` and `module-memory` too.
    pub fn with_limits(self, limits: Limits) -> Evaluator {
        match self {
            Evaluator::Native(set) => Evaluator::Native(set.with_limits(limits)),
            Evaluator::Module {
                path, mut module, ..
            } => {
                module.set_limits((&limits).into());
                Evaluator::Module {
                    path,
                    module,
                    limits,
                }
            }
        }
    }

    /// The limits it checks within.
    pub fn limits(&self) -> &Limits {
        match self {
            Evaluator::Native(set) => &set.limits,
            Evaluator::Module { limits, .. } => limits,
        }
    }

    /// The limits a request to a module carries: those the module checks
    /// within, when they are not its defaults (a module built by an older
    /// assay does not know the field).
    fn asked_limits(&self) -> Option<Limits> {
        let core = Limits {
            file_bytes: Limits::DEFAULT.file_bytes,
            run_bytes: Limits::DEFAULT.run_bytes,
            module_time: Limits::DEFAULT.module_time,
            module_memory: Limits::DEFAULT.module_memory,
            ..*self.limits()
        };
        (!core.is_default()).then_some(core)
    }

    /// Whether this is a compiled module run by wasmtime.
    pub fn is_module(&self) -> bool {
        matches!(self, Evaluator::Module { .. })
    }

    /// The policies: name, kind, file (a module lists those it was built from).
    pub fn describe(&self) -> Vec<PolicyInfo> {
        match self {
            Evaluator::Native(set) => api::describe(set),
            Evaluator::Module { module, .. } => module.metadata.policies.clone(),
        }
    }

    /// Checks one input given as bytes, as a file holds them; `file` names
    /// it in the results. A native set reports a document that is not
    /// UTF-8 where it is and checks the others; a module is given text, so
    /// bytes that are not UTF-8 are one parse failure.
    pub fn check(&self, file: Option<&str>, bytes: &[u8], env: &str, old: &[Value]) -> FileOutcome {
        match self {
            Evaluator::Native(set) => check::check_bytes(set, file, bytes, env, old),
            Evaluator::Module { .. } => match decode(bytes) {
                Ok(text) => self.check_module(Value::from(text), file, env, old),
                Err(e) => FileOutcome {
                    documents: 1,
                    checked: 0,
                    results: vec![parse_failure(file, &e)],
                },
            },
        }
    }

    /// Checks YAML or JSON text (a stream of documents).
    pub fn check_text(
        &self,
        file: Option<&str>,
        text: &str,
        env: &str,
        old: &[Value],
    ) -> FileOutcome {
        match self {
            Evaluator::Native(set) => check::check_text(set, file, text, env, old),
            Evaluator::Module { .. } => self.check_module(Value::from(text), file, env, old),
        }
    }

    /// Checks documents already parsed (a host's dicts); results name them
    /// by their index.
    pub fn check_values(
        &self,
        file: Option<&str>,
        documents: Vec<Value>,
        env: &str,
        old: &[Value],
    ) -> FileOutcome {
        match self {
            Evaluator::Native(set) => {
                let limits = set.limits.parse();
                let docs = documents
                    .into_iter()
                    .enumerate()
                    .map(|(index, value)| Document::within(index, value, limits));
                check::check_documents(set, file, docs, env, old, &[])
            }
            // The call API reads a value as one document: one call each.
            Evaluator::Module { limits, .. } => {
                let mut total = FileOutcome::default();
                for (index, value) in documents.into_iter().enumerate() {
                    if index == limits.documents {
                        let mut doc = Document::from_value(value);
                        doc.index = index;
                        let over = check::too_many_documents(file, &Ok(doc), limits.documents);
                        total.documents += 1;
                        total.results.push(over);
                        break;
                    }
                    let mut outcome = self.check_module(value, file, env, old);
                    outcome.results.iter_mut().for_each(|r| r.document = index);
                    total.append(outcome);
                }
                total
            }
        }
    }

    fn check_module(
        &self,
        input: Value,
        file: Option<&str>,
        env: &str,
        old: &[Value],
    ) -> FileOutcome {
        let request = Request::Check {
            input: Some(input),
            file: file.map(str::to_owned),
            env: env.to_owned(),
            old: (!old.is_empty()).then(|| Value::Array(old.to_vec())),
            old_file: None,
            limits: self.asked_limits(),
        };
        outcome_of(self.ask(request), file)
    }

    /// `check --base --patch`: the patched base, with the base as its
    /// previous version; `base` and `patch` are (name, text).
    pub fn check_patch(
        &self,
        base: (&str, &str),
        patch: (&str, &str),
        kind: PatchType,
        env: &str,
    ) -> FileOutcome {
        match self {
            Evaluator::Native(set) => check::check_patch(set, base, patch, kind, env),
            Evaluator::Module { .. } => {
                let named = |(file, text): (&str, &str)| NamedText {
                    file: file.to_owned(),
                    text: text.to_owned(),
                };
                let request = Request::CheckPatch {
                    base: named(base),
                    patch: named(patch),
                    patch_type: kind,
                    env: env.to_owned(),
                    limits: self.asked_limits(),
                };
                outcome_of(self.ask(request), Some(patch.0))
            }
        }
    }

    /// The results of reviewing an AdmissionReview the host has read (and
    /// refused when it is not one); a module is given its text.
    pub fn review(
        &self,
        admission: &Admission,
        text: &str,
        file: Option<&str>,
        env: &str,
    ) -> FileOutcome {
        match self {
            Evaluator::Native(set) => admission.check(set, file, env, &set.limits),
            Evaluator::Module { .. } => {
                let request = Request::Review {
                    review: Value::from(text),
                    file: file.map(str::to_owned),
                    env: env.to_owned(),
                    limits: self.asked_limits(),
                };
                outcome_of(self.ask(request), file)
            }
        }
    }

    /// The AdmissionReview response to `review` (its text, or the object),
    /// as the call API's `review` answers; a review that cannot be
    /// answered is an [`EvaluatorError::Input`] located in it.
    pub fn review_response(
        &self,
        review: Value,
        file: Option<&str>,
        env: &str,
    ) -> Result<Value, EvaluatorError> {
        let request = Request::Review {
            review,
            file: file.map(str::to_owned),
            env: env.to_owned(),
            limits: self.asked_limits(),
        };
        match self.ask(request)? {
            Answer::Review { review, .. } => Ok(review),
            Answer::Error { error } => Err(EvaluatorError::Input(error)),
            _ => Err(self.unexpected("review")),
        }
    }

    /// The name of the rollout policy that decides: the one named, or the
    /// only one loaded.
    pub fn rollout(&self, name: Option<&str>) -> Result<String, EvaluatorError> {
        let no_rollout = |message, rollouts| EvaluatorError::NoRollout { message, rollouts };
        match self {
            Evaluator::Native(set) => set
                .rollout(name)
                .map(|p| p.name.clone())
                .map_err(|e| no_rollout(e.to_string(), set.rollouts.len())),
            Evaluator::Module { module, .. } => {
                let names: Vec<&str> = module
                    .metadata
                    .policies
                    .iter()
                    .filter(|p| p.kind == "RolloutPolicy")
                    .map(|p| p.name.as_str())
                    .collect();
                choose_rollout(&names, name)
                    .map(|i| names[i].to_owned())
                    .map_err(|e| no_rollout(e.to_string(), names.len()))
            }
        }
    }

    /// A rollout decision (docs/rollout.md): `input` is `{env?, state,
    /// metrics}`, or that object as JSON text; `env` wins over the input's;
    /// `policy` names the rollout policy when several are loaded.
    pub fn decide(
        &self,
        input: Value,
        env: Option<&str>,
        policy: Option<&str>,
    ) -> Result<Decision, EvaluatorError> {
        match self {
            Evaluator::Native(set) => {
                let rollout = set.rollout(policy).map_err(|e| EvaluatorError::NoRollout {
                    message: e.to_string(),
                    rollouts: set.rollouts.len(),
                })?;
                let refused = |e: assay_core::rollout::InputError| {
                    EvaluatorError::Input(ErrorAnswer::redacted(&e.to_string(), DECIDE_HINT))
                };
                let input = match input {
                    Value::String(text) => DecisionInput::from_json(&text),
                    other => DecisionInput::from_value(other),
                }
                .map_err(refused)?;
                rollout.decide(&input, env).map_err(refused)
            }
            Evaluator::Module { .. } => {
                // Chosen here, as natively: the module's answer would blame the input.
                self.rollout(policy)?;
                let request = Request::Decide {
                    input,
                    env: env.map(str::to_owned),
                    policy: policy.map(str::to_owned),
                };
                match self.ask(request)? {
                    Answer::Decision { decision } => Ok(decision),
                    Answer::Error { error } => Err(EvaluatorError::Input(error)),
                    _ => Err(self.unexpected("decision")),
                }
            }
        }
    }

    /// Answers one typed request of the call API: natively without JSON
    /// text, or by the module.
    pub fn ask(&self, request: Request) -> Result<Answer, EvaluatorError> {
        match self {
            Evaluator::Native(set) => Ok(api::answer(set, request)),
            Evaluator::Module { path, module, .. } => {
                // Serializing a derived type to JSON cannot fail.
                let request = serde_json::to_vec(&request).unwrap_or_default();
                let answer =
                    module
                        .call_shared(&request)
                        .map_err(|error| EvaluatorError::Module {
                            path: path.clone(),
                            error,
                        })?;
                serde_json::from_str(&answer).map_err(|e| EvaluatorError::BadAnswer {
                    path: path.clone(),
                    problem: if e.is_data() {
                        format!("not an answer of the call API: {e}")
                    } else {
                        format!("not JSON: {e}")
                    },
                })
            }
        }
    }

    /// Answers one request of the call API given as JSON text, as JSON
    /// text: the same answer natively and from a module.
    pub fn call(&self, request: &[u8]) -> Result<String, EvaluatorError> {
        match self {
            Evaluator::Native(set) => Ok(api::call(set, request)),
            Evaluator::Module { path, module, .. } => {
                module
                    .call_shared(request)
                    .map_err(|error| EvaluatorError::Module {
                        path: path.clone(),
                        error,
                    })
            }
        }
    }

    fn unexpected(&self, expected: &'static str) -> EvaluatorError {
        let path = match self {
            Evaluator::Native(_) => String::new(),
            Evaluator::Module { path, .. } => path.clone(),
        };
        EvaluatorError::Unexpected { path, expected }
    }
}

/// A module's answer to a check or review: its report, or a finding on the
/// input `file` saying why there is none, so the other inputs are still
/// reported.
fn outcome_of(answer: Result<Answer, EvaluatorError>, file: Option<&str>) -> FileOutcome {
    // A call stopped at the module's time or memory limit is a `limit`
    // finding, as any limit a document goes over.
    let mut rule = "module";
    let report: Result<Report, String> = match answer {
        Ok(Answer::Report { report } | Answer::Review { report, .. }) => Ok(report),
        Ok(Answer::Error { error }) => Err(error.message),
        Ok(_) => Err("the module gave no report".to_owned()),
        Err(e) => {
            if let EvaluatorError::Module {
                error: ModuleError::Time(_) | ModuleError::Memory(_),
                ..
            } = &e
            {
                rule = "limit";
            }
            Err(e.to_string())
        }
    };
    match report {
        Ok(r) => FileOutcome {
            documents: r.summary.documents,
            checked: r.summary.checked,
            results: r.results,
        },
        Err(message) => FileOutcome {
            documents: 1,
            checked: 0,
            results: vec![failure(file, 0, rule, message, None)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn native(policy: &str) -> Evaluator {
        match PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]) {
            Ok(set) => Evaluator::Native(set),
            Err(e) => unreachable!("{e:?}"),
        }
    }

    const VALIDATION: &str = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - {name: small, expr: 'object.n < 10', path: /n}\n";
    const ROLLOUT: &str = "apiVersion: assay.dev/v1\nkind: RolloutPolicy\nmetadata: {name: r}\nspec:\n  steps: [10, 50, 100]\n  checks:\n    - {name: errors, metric: error_rate, max: 0.01}\n";

    #[test]
    fn a_native_check_of_bytes_text_and_values_agrees() {
        let e = native(VALIDATION);
        let of_bytes = e.check(Some("x.yaml"), b"n: 12\n", "", &[]);
        let of_text = e.check_text(Some("x.yaml"), "n: 12\n", "", &[]);
        let of_values = e.check_values(Some("x.yaml"), vec![serde_json::json!({"n": 12})], "", &[]);
        for o in [&of_bytes, &of_text, &of_values] {
            assert_eq!((o.documents, o.checked), (1, 1));
            assert_eq!(o.results[0].findings[0].rule, "small");
        }
    }

    #[test]
    fn a_native_decision_is_typed_and_its_errors_say_whose_they_are() {
        let e = native(ROLLOUT);
        let input = serde_json::json!({"state": {"weight": 10}, "metrics": {"baseline": {"requests": 50000, "error_rate": 0.001}, "candidate": {"requests": 5000, "error_rate": 0.001}}});
        let by_value = e.decide(input.clone(), None, None);
        let by_text = e.decide(Value::from(input.to_string()), None, None);
        assert!(
            matches!(&by_value, Ok(d) if d.policy == "r"),
            "{by_value:?}"
        );
        assert_eq!(by_value.ok(), by_text.ok());
        let nope = e.decide(input, None, Some("nope"));
        assert!(
            matches!(&nope, Err(EvaluatorError::NoRollout { rollouts: 1, .. })),
            "{nope:?}"
        );
        let broken = e.decide(Value::from("{\"state\": "), None, None);
        match broken {
            Err(EvaluatorError::Input(error)) => {
                assert!(error.message.contains("not valid JSON"), "{error:?}");
                assert_eq!(error.hint.as_deref(), Some(DECIDE_HINT));
            }
            other => unreachable!("{other:?}"),
        }
        assert_eq!(e.rollout(None).ok().as_deref(), Some("r"));
    }

    #[test]
    fn outcomes_merge_counting_each_document_once() {
        let e = native(VALIDATION);
        let one = e.check(Some("x.yaml"), b"n: 12\n", "", &[]);
        let two = e.check(Some("x.yaml"), b"n: 12\n", "", &[]);
        let merged = merge(vec![one, two]);
        assert_eq!((merged.documents, merged.checked), (1, 1));
        assert_eq!(merged.results.len(), 2);
    }

    #[test]
    fn a_policy_loaded_twice_is_refused_with_one_line_each() {
        let (a, b) = (native(VALIDATION), native(VALIDATION));
        let Err(e) = refuse_duplicate_names(&[a, b]) else {
            unreachable!("the same policy twice")
        };
        assert_eq!(
            e.to_string(),
            "p.yaml: policy `p` is also loaded from p.yaml; names must be unique in a set (hint: pass each policy once, as YAML or in a module)"
        );
        assert_eq!(e.located().map(|(file, ..)| file), Some("p.yaml"));
    }

    #[test]
    fn no_paths_load_the_built_in_library() {
        let loaded = load(&[]);
        assert!(
            matches!(loaded.as_deref(), Ok([Evaluator::Native(set)]) if !set.policies.is_empty()),
            "{:?}",
            loaded.err()
        );
    }
}
