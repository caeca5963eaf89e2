//! `decide`: state and metrics in, one decision and the new state out. Pure:
//! every host decides identically (docs/rollout.md).

use super::decision::{diff, fmt_num, fmt_p, tidy, Action, CheckResult, Decision, Outcome, State};
use super::input::{input_error, kind, DecisionInput, InputError};
use super::policy::{BaselineBounds, Check, NoData, RolloutPolicy, TestMethod};
use super::stats::{self, Alternative};
use serde_json::{Map, Value};

/// Relative tolerance: values this close to a bound count as at it.
const TOLERANCE: f64 = 1e-9;

/// Only finite numbers are near each other: `inf` is not "at" any bound
/// (the tolerance would be `inf` too).
fn at_bound(a: f64, b: f64) -> bool {
    a.is_finite() && b.is_finite() && (a - b).abs() <= TOLERANCE * a.abs().max(b.abs())
}

fn at_most(a: f64, b: f64) -> bool {
    a <= b || at_bound(a, b)
}

fn at_least(a: f64, b: f64) -> bool {
    a >= b || at_bound(a, b)
}

/// A metric of one variant, read as a number.
enum Read {
    Value(f64),
    Missing(String),
}

fn finite(v: &Value) -> Option<f64> {
    v.as_f64().filter(|f| f.is_finite())
}

fn samples<'m>(variant: &'m Map<String, Value>, metric: &str) -> Option<&'m Vec<Value>> {
    variant
        .get("samples")
        .and_then(Value::as_object)
        .and_then(|s| s.get(metric))
        .and_then(Value::as_array)
}

fn numbers(values: &[Value]) -> Option<Vec<f64>> {
    values.iter().map(finite).collect()
}

/// The check's value for a variant: the scalar, else the mean of its
/// samples, else its event count over its requests.
fn value_of(variant: &Map<String, Value>, side: &str, metric: &str) -> Read {
    match variant.get(metric) {
        Some(Value::Null) | None => {}
        Some(v) => {
            return match finite(v) {
                Some(f) => Read::Value(f),
                None => Read::Missing(format!("{side} `{metric}` is {}, not a number", kind(v))),
            }
        }
    }
    match samples(variant, metric) {
        Some(list) if list.is_empty() => {
            Read::Missing(format!("{side} `samples.{metric}` is empty"))
        }
        Some(list) => match numbers(list) {
            Some(nums) => derived(nums.iter().sum::<f64>() / nums.len() as f64, || {
                format!("{side} mean of `samples.{metric}`")
            }),
            None => Read::Missing(format!(
                "{side} `samples.{metric}` holds a value that is not a number"
            )),
        },
        None => match counts(variant, metric) {
            // An event count reads as its proportion of requests.
            Some(count) => match requests(variant) {
                Some(n) if n > 0.0 => derived(count / n, || {
                    format!("{side} `counts.{metric}` / `requests`")
                }),
                _ => Read::Missing(format!("{side} `counts.{metric}` without `requests`")),
            },
            None => Read::Missing(format!("no `{metric}` for the {side}")),
        },
    }
}

/// A value computed from the input (a mean, a rate): one that overflows is
/// no data, as a NaN is.
fn derived(v: f64, what: impl FnOnce() -> String) -> Read {
    if v.is_finite() {
        Read::Value(v)
    } else {
        Read::Missing(format!("{} is not finite", what()))
    }
}

fn counts(variant: &Map<String, Value>, metric: &str) -> Option<f64> {
    variant
        .get("counts")
        .and_then(Value::as_object)
        .and_then(|c| c.get(metric))
        .and_then(finite)
}

fn requests(variant: &Map<String, Value>) -> Option<f64> {
    variant.get("requests").and_then(finite)
}

/// Which way a baseline bound counts the candidate as worse.
#[derive(Clone)]
struct Broken {
    bound: f64,
    worse: Alternative,
    message: String,
}

struct Judge<'a> {
    check: &'a Check,
    result: CheckResult,
    /// A broken `min` or `max`: it needs only the candidate's value, so it
    /// fails the check even when the baseline or the test's data is missing.
    broken_absolute: Option<(f64, String)>,
}

impl<'a> Judge<'a> {
    fn new(check: &'a Check) -> Judge<'a> {
        Judge {
            check,
            result: CheckResult {
                name: check.name.clone(),
                metric: check.metric.clone(),
                result: Outcome::Pass,
                value: None,
                bound: None,
                baseline: None,
                p_value: None,
                critical: check.critical,
                message: String::new(),
            },
            broken_absolute: None,
        }
    }

    fn done(mut self, outcome: Outcome, message: String) -> CheckResult {
        self.result.result = outcome;
        self.result.message = message;
        self.result
    }

    fn no_data(mut self, message: String) -> CheckResult {
        if let Some((bound, broken)) = self.broken_absolute.take() {
            self.result.bound = Some(bound);
            return self.done(Outcome::Fail, broken);
        }
        match self.check.no_data {
            NoData::Hold => self.done(Outcome::Nodata, format!("no data: {message}")),
            NoData::Fail => self.done(Outcome::Fail, format!("no data: {message} (noData: fail)")),
        }
    }
}

/// The candidate's `min` or `max` that `c` breaks, and the message saying so.
fn broken_absolute(check: &Check, c: f64) -> Option<(f64, String)> {
    if let Some(min) = check.min.filter(|&min| !at_least(c, min)) {
        return Some((min, format!("{} < min {}", fmt_num(c), fmt_num(min))));
    }
    let max = check.max.filter(|&max| !at_most(c, max))?;
    Some((max, format!("{} > max {}", fmt_num(c), fmt_num(max))))
}

fn judge(
    check: &Check,
    candidate: &Map<String, Value>,
    baseline: &Map<String, Value>,
) -> CheckResult {
    let mut j = Judge::new(check);
    let metric = check.metric.as_str();
    let c = match value_of(candidate, "candidate", metric) {
        Read::Value(v) => v,
        Read::Missing(m) => return j.no_data(m),
    };
    j.result.value = Some(tidy(c));
    j.broken_absolute = broken_absolute(check, c);
    let b = match &check.baseline {
        Some(_) => match value_of(baseline, "baseline", metric) {
            Read::Value(v) => {
                j.result.baseline = Some(tidy(v));
                Some(v)
            }
            Read::Missing(m) => return j.no_data(m),
        },
        None => None,
    };

    // The test's data, needed before anything is judged: a test that cannot
    // run is no data.
    let test_data = match check.test.map(|t| t.method) {
        Some(TestMethod::MannWhitney) => {
            match (samples(candidate, metric), samples(baseline, metric)) {
                (Some(x), Some(y)) => match (numbers(x), numbers(y)) {
                    (Some(x), Some(y)) if !x.is_empty() && !y.is_empty() => {
                        Some(TestData::Samples(x, y))
                    }
                    (Some(_), Some(_)) => {
                        return j.no_data(format!("`samples.{metric}` is empty on one side"))
                    }
                    _ => {
                        return j.no_data(format!(
                            "`samples.{metric}` holds a value that is not a number"
                        ))
                    }
                },
                _ => return j.no_data(format!("`samples.{metric}` is missing on one side")),
            }
        }
        Some(TestMethod::TwoProportionZ) => {
            match (
                counts(candidate, metric),
                requests(candidate),
                counts(baseline, metric),
                requests(baseline),
            ) {
                (Some(x1), Some(n1), Some(x2), Some(n2)) => Some(TestData::Counts(x1, n1, x2, n2)),
                _ => {
                    return j.no_data(format!(
                        "`counts.{metric}` or `requests` missing on one side"
                    ))
                }
            }
        }
        None => None,
    };

    if let Some(min) = check.min_samples {
        let (nc, nb) = match &test_data {
            Some(TestData::Samples(x, y)) => (x.len() as f64, y.len() as f64),
            _ => (
                requests(candidate).unwrap_or(0.0),
                requests(baseline).unwrap_or(0.0),
            ),
        };
        let low = if b.is_some() { nc.min(nb) } else { nc };
        if low < min as f64 {
            return j.done(
                Outcome::Inconclusive,
                format!("too few samples: {} < minSamples {min}", fmt_num(low)),
            );
        }
    }

    if let Some((bound, message)) = j.broken_absolute.take() {
        j.result.bound = Some(bound);
        return j.done(Outcome::Fail, message);
    }
    let (Some(bounds), Some(b)) = (&check.baseline, b) else {
        j.result.bound = check.max.or(check.min);
        let message = match (check.min, check.max) {
            (Some(min), Some(max)) => {
                format!("{} within [{}, {}]", fmt_num(c), fmt_num(min), fmt_num(max))
            }
            (Some(min), None) => format!("{} >= min {}", fmt_num(c), fmt_num(min)),
            (None, Some(max)) => format!("{} <= max {}", fmt_num(c), fmt_num(max)),
            (None, None) => String::new(),
        };
        return j.done(Outcome::Pass, message);
    };

    let uses_ratio = bounds.max_increase_ratio.is_some() || bounds.max_decrease_ratio.is_some();
    if uses_ratio && b == 0.0 {
        return j.no_data("a ratio against a zero baseline".to_owned());
    }
    let (broken, first) = baseline_bounds(bounds, c, b);
    let shown = broken.as_ref().unwrap_or(&first);
    if !shown.bound.is_finite() {
        return j.no_data(format!(
            "the bound from the baseline ({}) is not finite",
            fmt_num(b)
        ));
    }
    j.result.bound = Some(tidy(shown.bound));

    let Some(data) = test_data else {
        return match broken {
            Some(br) => j.done(Outcome::Fail, br.message),
            None => j.done(Outcome::Pass, first.message),
        };
    };
    let Some(test) = check.test else {
        return j.done(Outcome::Pass, first.message);
    };
    let worse = shown.worse;
    let p = match data {
        TestData::Samples(x, y) => stats::mann_whitney_u(&x, &y, worse).map(|r| r.p_value),
        TestData::Counts(x1, n1, x2, n2) => {
            stats::two_proportion_z(x1, n1, x2, n2, worse).map(|r| r.p_value)
        }
    };
    let p = match (p, &broken) {
        (Ok(p), _) if p.is_finite() => p,
        // No spread at all (no errors on either side): nothing to test, and
        // a bound that holds passes.
        (Err(stats::TestError::ZeroStandardError), None) => {
            let why = "the test has nothing to weigh: standard error is 0";
            return j.done(Outcome::Pass, format!("{} ({why})", first.message));
        }
        (Ok(_), _) => {
            return j.no_data(format!("the {} test gave no p-value", test.method.as_str()))
        }
        (Err(e), _) => {
            return j.no_data(format!("the {} test cannot run: {e}", test.method.as_str()))
        }
    };
    j.result.p_value = Some(p);
    // 1 - 0.95 is 0.050000000000000044 in binary: a p-value at alpha (within
    // the bounds' tolerance) is not below it, at every confidence.
    let alpha = tidy(1.0 - test.confidence);
    let significant = p < alpha && !at_bound(p, alpha);
    match broken {
        None => j.done(
            Outcome::Pass,
            format!("{} (p = {})", first.message, fmt_p(p)),
        ),
        Some(br) if significant => j.done(
            Outcome::Fail,
            format!(
                "{}, significant: p = {} < {}",
                br.message,
                fmt_p(p),
                fmt_num(alpha)
            ),
        ),
        Some(br) => j.done(
            Outcome::Inconclusive,
            format!(
                "{}, not significant: p = {} >= {}",
                br.message,
                fmt_p(p),
                fmt_num(alpha)
            ),
        ),
    }
}

enum TestData {
    Samples(Vec<f64>, Vec<f64>),
    Counts(f64, f64, f64, f64),
}

/// Judges each baseline bound; gives the first broken one, and the first
/// bound (to report when none is broken).
fn baseline_bounds(bounds: &BaselineBounds, c: f64, b: f64) -> (Option<Broken>, Broken) {
    let mut judged: Vec<(bool, Broken)> = Vec::with_capacity(4);
    let (cs, bs) = (fmt_num(c), fmt_num(b));
    if let Some(d) = bounds.max_increase {
        // Both readings: the difference against d, and the candidate against
        // baseline + d, which has no cancellation in c - b.
        let ok = at_most(c - b, d) || at_most(c, b + d);
        let rel = if ok { "<=" } else { ">" };
        judged.push((
            ok,
            Broken {
                bound: b + d,
                worse: Alternative::Greater,
                message: format!(
                    "{cs} - {bs} = {} {rel} maxIncrease {}",
                    diff(c, b),
                    fmt_num(d)
                ),
            },
        ));
    }
    if let Some(r) = bounds.max_increase_ratio {
        let limit = b * (1.0 + r);
        let ok = at_most(c, limit);
        let rel = if ok { "<=" } else { ">" };
        judged.push((
            ok,
            Broken {
                bound: limit,
                worse: Alternative::Greater,
                message: format!(
                    "{cs} {rel} {bs} * (1 + maxIncreaseRatio {}) = {}",
                    fmt_num(r),
                    fmt_num(limit)
                ),
            },
        ));
    }
    if let Some(d) = bounds.max_decrease {
        let ok = at_most(b - c, d) || at_least(c, b - d);
        let rel = if ok { "<=" } else { ">" };
        judged.push((
            ok,
            Broken {
                bound: b - d,
                worse: Alternative::Less,
                message: format!(
                    "{bs} - {cs} = {} {rel} maxDecrease {}",
                    diff(b, c),
                    fmt_num(d)
                ),
            },
        ));
    }
    if let Some(r) = bounds.max_decrease_ratio {
        let limit = b * (1.0 - r);
        let ok = at_least(c, limit);
        let rel = if ok { ">=" } else { "<" };
        judged.push((
            ok,
            Broken {
                bound: limit,
                worse: Alternative::Less,
                message: format!(
                    "{cs} {rel} {bs} * (1 - maxDecreaseRatio {}) = {}",
                    fmt_num(r),
                    fmt_num(limit)
                ),
            },
        ));
    }
    let broken = judged.iter().find(|(ok, _)| !ok).map(|(_, b)| b.clone());
    // With bounds on both sides and none broken, the test looks the way the
    // candidate leans.
    let mut first = judged.first().map(|(_, b)| b.clone()).unwrap_or(Broken {
        bound: b,
        worse: Alternative::Greater,
        message: String::new(),
    });
    let both = judged.iter().any(|(_, x)| x.worse == Alternative::Greater)
        && judged.iter().any(|(_, x)| x.worse == Alternative::Less);
    if both {
        first.worse = if c >= b {
            Alternative::Greater
        } else {
            Alternative::Less
        };
    }
    (broken, first)
}

impl RolloutPolicy {
    /// Decides one analysis. `env` (the CLI's `--env`, the API's `env=`) wins
    /// over the input's `"env"`.
    pub fn decide(&self, input: &DecisionInput, env: Option<&str>) -> Result<Decision, InputError> {
        let env = env
            .filter(|e| !e.is_empty())
            .or(input.env.as_deref())
            .unwrap_or("");
        let settings = self.settings(env);
        input.check_counts()?;
        let weight = input.state.weight;
        let Some(step) = settings.steps.iter().position(|&s| f64::from(s) == weight) else {
            let steps: Vec<String> = settings.steps.iter().map(u32::to_string).collect();
            return Err(input_error(format!(
                "`state.weight`: {} is not a step of policy `{}`{} (steps: {})",
                fmt_num(weight),
                self.name,
                if env.is_empty() {
                    String::new()
                } else {
                    format!(" in environment `{env}`")
                },
                steps.join(", ")
            )));
        };
        let failed = input.state.failed_checks;
        let at = format!("{}%", fmt_num(weight));
        let decision =
            |action: Action, weight: f64, failed: u64, checks: Vec<CheckResult>, reason: String| {
                Decision {
                    decision: action,
                    weight,
                    state: State {
                        weight,
                        failed_checks: failed,
                    },
                    checks,
                    reason,
                    policy: self.name.clone(),
                    env: env.to_owned(),
                }
            };

        // 1. Samples.
        let (rc, rb) = (requests(&input.candidate), requests(&input.baseline));
        let min = settings.min_samples as f64;
        let short_of = match (rc, rb) {
            (None, _) => Some("the candidate has no `requests`".to_owned()),
            (_, None) => Some("the baseline has no `requests`".to_owned()),
            (Some(c), Some(b)) if c < min || b < min => Some(format!(
                "too few samples: candidate {} and baseline {} requests, {} needed each",
                fmt_num(c),
                fmt_num(b),
                settings.min_samples
            )),
            _ => None,
        };
        if let Some(why) = short_of {
            return Ok(decision(
                Action::Hold,
                weight,
                failed,
                Vec::new(),
                format!("{why}; holding at {at}"),
            ));
        }

        let checks: Vec<CheckResult> = settings
            .checks
            .iter()
            .map(|c| judge(c, &input.candidate, &input.baseline))
            .collect();
        let names = |f: &dyn Fn(&CheckResult) -> bool| -> Vec<String> {
            checks
                .iter()
                .filter(|c| f(c))
                .map(|c| format!("`{}`", c.name))
                .collect()
        };

        // 2. Critical failure.
        let critical = names(&|c| c.critical && c.result == Outcome::Fail);
        if !critical.is_empty() {
            let reason = format!(
                "critical {} {} failed at {at}; rolling back",
                plural(&critical, "check", "checks"),
                critical.join(", ")
            );
            return Ok(decision(Action::Rollback, 0.0, failed, checks, reason));
        }
        // 3. Failure: one analysis counts once.
        let failing = names(&|c| c.result == Outcome::Fail);
        if !failing.is_empty() {
            let count = failed.saturating_add(1);
            let what = format!(
                "{} {} failed at {at}",
                plural(&failing, "check", "checks"),
                failing.join(", ")
            );
            let limit = settings.failure_limit;
            return Ok(if count > u64::from(limit) {
                let reason = format!("{what}; {count} failed analyses exceed the failure limit {limit}; rolling back");
                decision(Action::Rollback, 0.0, count, checks, reason)
            } else {
                let reason = format!(
                    "{what}; {count} of {limit} tolerated failed analyses used; holding at {at}"
                );
                decision(Action::Hold, weight, count, checks, reason)
            });
        }
        // 4. No data / inconclusive.
        let missing = names(&|c| c.result == Outcome::Nodata);
        let unsure = names(&|c| c.result == Outcome::Inconclusive);
        if !missing.is_empty() || !unsure.is_empty() {
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("no data for {}", missing.join(", ")));
            }
            if !unsure.is_empty() {
                parts.push(format!("{} inconclusive", unsure.join(", ")));
            }
            let reason = format!("{}; holding at {at}", parts.join("; "));
            return Ok(decision(Action::Hold, weight, failed, checks, reason));
        }
        // 5. Pass.
        Ok(match settings.steps.get(step + 1) {
            Some(&next) => {
                let reason = format!("all checks passed at {at}; advancing to {next}%");
                decision(Action::Advance, f64::from(next), failed, checks, reason)
            }
            None => {
                let reason = format!("all checks passed at the last step ({at}); promoting");
                decision(Action::Promote, 100.0, failed, checks, reason)
            }
        })
    }
}

fn plural<'s>(items: &[String], one: &'s str, many: &'s str) -> &'s str {
    if items.len() == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests;
