//! `RolloutPolicy` documents: the typed model of docs/rollout.md and loading with
//! `file:line:col` errors that name the field.

use crate::parse::Document;
use crate::policy::{typed_all, PolicyError, PolicyErrorKind, PolicySource};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RolloutSpec {
    /// Read as values so that every bad step is reported, not the first.
    steps: Vec<Value>,
    #[serde(default)]
    min_samples: u64,
    #[serde(default)]
    failure_limit: u32,
    /// Each check and environment is read on its own, so that one broken
    /// check does not hide the problems of the others.
    #[serde(default)]
    checks: Vec<Value>,
    #[serde(default)]
    environments: BTreeMap<String, Value>,
}

/// An environment replaces the fields it names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EnvironmentSpec {
    #[serde(default)]
    steps: Option<Vec<Value>>,
    #[serde(default)]
    min_samples: Option<u64>,
    #[serde(default)]
    failure_limit: Option<u32>,
    #[serde(default)]
    checks: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CheckSpec {
    name: String,
    metric: String,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    baseline: Option<BaselineBounds>,
    #[serde(default)]
    min_samples: Option<u64>,
    #[serde(default)]
    critical: bool,
    #[serde(default)]
    no_data: NoData,
    #[serde(default)]
    test: Option<TestSpec>,
}

/// Bounds of the candidate relative to the baseline; all inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BaselineBounds {
    #[serde(default)]
    pub max_increase: Option<f64>,
    #[serde(default)]
    pub max_increase_ratio: Option<f64>,
    #[serde(default)]
    pub max_decrease: Option<f64>,
    #[serde(default)]
    pub max_decrease_ratio: Option<f64>,
}

/// What a check without data counts as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoData {
    #[default]
    Hold,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestMethod {
    MannWhitney,
    TwoProportionZ,
}

impl TestMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TestMethod::MannWhitney => "mann-whitney",
            TestMethod::TwoProportionZ => "two-proportion-z",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    /// Read as text so that an unknown method is one located error among others.
    method: String,
    #[serde(default = "default_confidence")]
    confidence: f64,
}

fn default_confidence() -> f64 {
    0.95
}

/// A statistical test that backs a baseline bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    pub method: TestMethod,
    pub confidence: f64,
}

/// One check, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub metric: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub baseline: Option<BaselineBounds>,
    pub min_samples: Option<u64>,
    pub critical: bool,
    pub no_data: NoData,
    pub test: Option<Test>,
}

/// The settings in force for one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub steps: Vec<u32>,
    pub min_samples: u64,
    pub failure_limit: u32,
    pub checks: Vec<Check>,
}

/// A loaded rollout policy.
#[derive(Debug, Clone)]
pub struct RolloutPolicy {
    pub name: String,
    pub file: String,
    pub defaults: Settings,
    pub environments: BTreeMap<String, Settings>,
}

impl RolloutPolicy {
    /// The settings of `env`; an environment the policy does not define uses the defaults.
    pub fn settings(&self, env: &str) -> &Settings {
        self.environments.get(env).unwrap_or(&self.defaults)
    }
}

struct Ctx<'a> {
    file: &'a str,
    doc: &'a Document,
    errors: Vec<PolicyError>,
}

impl Ctx<'_> {
    fn error(&mut self, pointer: &str, message: String, hint: &str) {
        let pos = self.doc.map.locate(pointer).unwrap_or_default();
        let field = pointer.trim_start_matches('/').replace('/', ".");
        self.errors.push(
            PolicyError::at(
                PolicyErrorKind::Rollout,
                self.file,
                pos,
                format!("`{field}`: {message}"),
            )
            .with_hint(hint),
        );
    }

    fn steps(&mut self, base: &str, steps: &[Value]) -> Vec<u32> {
        const HINT: &str =
            "steps are candidate traffic percentages, strictly increasing, each in (0, 100]";
        if steps.is_empty() {
            self.error(
                &format!("{base}/steps"),
                "needs at least one step".to_owned(),
                HINT,
            );
        }
        let mut out = Vec::new();
        let mut last: Option<f64> = None;
        for (i, s) in steps.iter().enumerate() {
            let pointer = format!("{base}/steps/{i}");
            let Some(w) = s.as_f64() else {
                self.error(&pointer, format!("`{s}` is not a number"), HINT);
                continue;
            };
            if !(w > 0.0 && w <= 100.0) {
                self.error(&pointer, format!("{w} is not in (0, 100]"), HINT);
            } else if w.fract() != 0.0 {
                self.error(&pointer, format!("{w} is not a whole percentage"), HINT);
            } else if last.is_some_and(|l| w <= l) {
                self.error(
                    &pointer,
                    format!("{w} does not increase on the step before it"),
                    HINT,
                );
            } else {
                out.push(w as u32);
            }
            last = Some(w);
        }
        out
    }

    fn checks(&mut self, base: &str, checks: &[Value]) -> Vec<Check> {
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for (i, value) in checks.iter().enumerate() {
            let at = format!("{base}/checks/{i}");
            let before = self.errors.len();
            let (c, mut errors) = typed_all::<CheckSpec>(self.file, self.doc, &at, value);
            self.errors.append(&mut errors);
            let Some(c) = c else { continue };
            if c.name.is_empty() {
                self.error(
                    &format!("{at}/name"),
                    "must not be empty".to_owned(),
                    "name each check",
                );
            } else if !names.insert(c.name.clone()) {
                self.error(
                    &format!("{at}/name"),
                    format!("duplicate check name `{}`", c.name),
                    "check names must be unique within a policy",
                );
            }
            if c.metric.is_empty() {
                self.error(
                    &format!("{at}/metric"),
                    "must not be empty".to_owned(),
                    "a metric is a key of metrics.candidate / metrics.baseline",
                );
            }
            if c.min.is_none() && c.max.is_none() && c.baseline.is_none() {
                self.error(
                    &at,
                    format!("check `{}` has no bound", c.name),
                    "give `min`, `max` or `baseline`",
                );
            }
            if let (Some(min), Some(max)) = (c.min, c.max) {
                if min > max {
                    self.error(
                        &format!("{at}/min"),
                        format!("min {min} is above max {max}"),
                        "no value could pass",
                    );
                }
            }
            if let Some(b) = &c.baseline {
                let fields = [
                    ("maxIncrease", b.max_increase),
                    ("maxIncreaseRatio", b.max_increase_ratio),
                    ("maxDecrease", b.max_decrease),
                    ("maxDecreaseRatio", b.max_decrease_ratio),
                ];
                if fields.iter().all(|(_, v)| v.is_none()) {
                    self.error(
                        &format!("{at}/baseline"),
                        "has no bound".to_owned(),
                        "give maxIncrease, maxIncreaseRatio, maxDecrease or maxDecreaseRatio",
                    );
                }
                for (field, v) in fields {
                    if v.is_some_and(|v| v < 0.0) {
                        self.error(
                            &format!("{at}/baseline/{field}"),
                            "must not be negative".to_owned(),
                            "a bound is how far the candidate may move from the baseline",
                        );
                    }
                }
            }
            let mut method = None;
            if let Some(t) = &c.test {
                method = match t.method.as_str() {
                    "mann-whitney" => Some(TestMethod::MannWhitney),
                    "two-proportion-z" => Some(TestMethod::TwoProportionZ),
                    other => {
                        self.error(
                            &format!("{at}/test/method"),
                            format!("unknown method `{other}`"),
                            "use `mann-whitney` or `two-proportion-z`",
                        );
                        None
                    }
                };
                if c.baseline.is_none() {
                    self.error(
                        &format!("{at}/test"),
                        "a test needs a `baseline` bound to back".to_owned(),
                        "add `baseline: {maxIncrease: ...}` or remove `test`",
                    );
                }
                if !(t.confidence > 0.0 && t.confidence < 1.0) {
                    self.error(
                        &format!("{at}/test/confidence"),
                        format!("{} is not between 0 and 1", t.confidence),
                        "confidence is a probability such as 0.95",
                    );
                }
            }
            if self.errors.len() == before && c.test.is_some() == method.is_some() {
                out.push(Check {
                    name: c.name.clone(),
                    metric: c.metric.clone(),
                    min: c.min,
                    max: c.max,
                    baseline: c.baseline,
                    min_samples: c.min_samples,
                    critical: c.critical,
                    no_data: c.no_data,
                    test: c.test.as_ref().zip(method).map(|(t, method)| Test {
                        method,
                        confidence: t.confidence,
                    }),
                });
            }
        }
        out
    }
}

/// Loads one `RolloutPolicy` document; every problem is reported.
pub fn compile(source: &PolicySource) -> Result<RolloutPolicy, Vec<PolicyError>> {
    let file = source.file.as_str();
    let doc = &source.document;
    let (spec, errors) = typed_all::<RolloutSpec>(file, doc, "/spec", &source.header.spec);
    let mut ctx = Ctx { file, doc, errors };
    let Some(spec) = spec else {
        return Err(ctx.errors);
    };
    let defaults = Settings {
        steps: ctx.steps("/spec", &spec.steps),
        min_samples: spec.min_samples,
        failure_limit: spec.failure_limit,
        checks: ctx.checks("/spec", &spec.checks),
    };
    let mut environments = BTreeMap::new();
    for (name, value) in &spec.environments {
        let mut base = String::from("/spec/environments");
        crate::parse::push_segment(&mut base, name);
        let (e, mut errors) = typed_all::<EnvironmentSpec>(file, doc, &base, value);
        ctx.errors.append(&mut errors);
        let Some(e) = e else { continue };
        let settings = Settings {
            steps: match &e.steps {
                Some(s) => ctx.steps(&base, s),
                None => defaults.steps.clone(),
            },
            min_samples: e.min_samples.unwrap_or(defaults.min_samples),
            failure_limit: e.failure_limit.unwrap_or(defaults.failure_limit),
            checks: match &e.checks {
                Some(c) => ctx.checks(&base, c),
                None => defaults.checks.clone(),
            },
        };
        environments.insert(name.clone(), settings);
    }
    if !ctx.errors.is_empty() {
        return Err(ctx.errors);
    }
    Ok(RolloutPolicy {
        name: source.header.metadata.name.clone(),
        file: file.to_owned(),
        defaults,
        environments,
    })
}
