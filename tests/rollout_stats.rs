//! The rollout statistics against scipy: every case of
//! `tests/fixtures/rollout/pvalues.json` (written by `make_pvalues.py` beside
//! it, committed so that no test needs scipy) must match to 1e-6.

use assay_core::rollout::stats::{mann_whitney_u, two_proportion_z, Alternative, MwuMethod};
use serde_json::Value;

const FIXTURES: &str = include_str!("fixtures/rollout/pvalues.json");

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn num(c: &Value, key: &str) -> f64 {
    c[key].as_f64().unwrap_or(f64::NAN)
}

fn alternative(c: &Value) -> Result<Alternative, String> {
    match c["alternative"].as_str() {
        Some("greater") => Ok(Alternative::Greater),
        Some("less") => Ok(Alternative::Less),
        Some("two-sided") => Ok(Alternative::TwoSided),
        other => Err(format!("unknown alternative {other:?}")),
    }
}

/// 1e-6 absolute, and relative 1e-6 as well so that tiny tails count too.
fn close(got: f64, want: f64) -> bool {
    let diff = (got - want).abs();
    diff <= 1e-6 && (want.abs() < 1e-290 || diff <= 1e-6 * want.abs().max(1e-290) || diff < 1e-15)
}

#[test]
fn p_values_match_scipy() -> Result<(), String> {
    let fixtures: Value = serde_json::from_str(FIXTURES).map_err(|e| e.to_string())?;
    let cases = fixtures["cases"].as_array().ok_or("no cases")?;
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut problems = Vec::new();
    let (mut exact, mut asymptotic, mut z_tests) = (0, 0, 0);
    for c in cases {
        let name = c["name"].as_str().unwrap_or("?");
        let alt = alternative(c)?;
        let want = num(c, "p");
        match c["kind"].as_str() {
            Some("mann-whitney") => {
                let (x, y) = (numbers(&c["x"]), numbers(&c["y"]));
                let r = mann_whitney_u(&x, &y, alt).map_err(|e| format!("{name}: {e}"))?;
                let method = match r.method {
                    MwuMethod::Exact => {
                        exact += 1;
                        "exact"
                    }
                    MwuMethod::Asymptotic => {
                        asymptotic += 1;
                        "asymptotic"
                    }
                };
                if Some(method) != c["method"].as_str() {
                    problems.push(format!("{name}: method {method}, scipy {}", c["method"]));
                }
                if r.u != num(c, "u") {
                    problems.push(format!("{name}: U {} != {}", r.u, num(c, "u")));
                }
                if !close(r.p_value, want) {
                    problems.push(format!("{name}: p {} != scipy {want}", r.p_value));
                }
            }
            Some("two-proportion-z") => {
                z_tests += 1;
                let r =
                    two_proportion_z(num(c, "x1"), num(c, "n1"), num(c, "x2"), num(c, "n2"), alt)
                        .map_err(|e| format!("{name}: {e}"))?;
                if (r.z - num(c, "z")).abs() > 1e-9 {
                    problems.push(format!("{name}: z {} != {}", r.z, num(c, "z")));
                }
                if !close(r.p_value, want) {
                    problems.push(format!("{name}: p {} != scipy {want}", r.p_value));
                }
            }
            other => problems.push(format!("{name}: unknown kind {other:?}")),
        }
    }
    // The fixtures cover both methods and the z-test.
    assert!(
        exact >= 20 && asymptotic >= 20 && z_tests >= 10,
        "{exact} {asymptotic} {z_tests}"
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
