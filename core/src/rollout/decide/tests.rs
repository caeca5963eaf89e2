use super::*;

#[test]
fn bounds_read_as_written() {
    // Binary floating point says 0.02 - 0.015 > 0.005.
    let (c, b) = (std::hint::black_box(0.02), 0.015);
    assert!(c - b > 0.005);
    assert!(at_most(c - b, 0.005));
    assert!(at_most(0.3, 0.1 + 0.2) && at_least(0.1 + 0.2, 0.3));
    // Beyond the 1e-9 relative tolerance a bound is broken.
    assert!(!at_most(0.005 * (1.0 + 1e-8), 0.005));
    assert!(!at_least(299.99, 300.0));
    // inf is not within a tolerance of anything (the tolerance is inf too).
    assert!(!at_most(f64::INFINITY, 0.01) && !at_least(f64::NEG_INFINITY, 0.01));
    assert!(!at_bound(f64::INFINITY, f64::INFINITY) && at_most(f64::INFINITY, f64::INFINITY));
    assert_eq!(diff(0.02, 0.015), "0.005");
    assert_eq!(fmt_num(0.015 + 0.005), "0.02");
}

#[test]
fn baseline_bound_with_large_operands_is_at_the_bound() {
    // c - b carries the rounding of 1e6-sized numbers; c vs b + d does not.
    let (c, b) = (1_000_000.005, 1_000_000.0);
    let bounds = BaselineBounds {
        max_increase: Some(0.005),
        ..BaselineBounds::default()
    };
    let (broken, _) = baseline_bounds(&bounds, c, b);
    assert!(broken.is_none());
    let (broken, _) = baseline_bounds(&bounds, 1_000_000.006, b);
    assert!(broken.is_some());
}

#[test]
fn whole_numbers_serialize_without_a_fraction() {
    let s = State {
        weight: 20.0,
        failed_checks: 1,
    };
    assert_eq!(
        serde_json::to_string(&s).unwrap_or_default(),
        r#"{"weight":20,"failedChecks":1}"#
    );
}
