//! The statistics rollout checks need, matching scipy: the normal survival
//! function, the Mann-Whitney U test (`scipy.stats.mannwhitneyu` with its
//! defaults) and the pooled two-proportion z-test.

/// Which way the alternative hypothesis points, as scipy's `alternative=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// The first sample tends to be larger.
    Greater,
    /// The first sample tends to be smaller.
    Less,
    TwoSided,
}

/// How the Mann-Whitney p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MwuMethod {
    Exact,
    Asymptotic,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MwuResult {
    /// U of the first sample, as scipy's `statistic`.
    pub u: f64,
    pub p_value: f64,
    pub method: MwuMethod,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZResult {
    pub z: f64,
    pub p_value: f64,
}

/// Why a test could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    #[error("no samples on one side")]
    Empty,
    #[error("a sample is not a finite number")]
    NotFinite,
    #[error("counts must be between 0 and the number of requests, and requests above 0")]
    BadCounts,
    #[error("standard error is 0")]
    ZeroStandardError,
    #[error("a sum or the standard error overflows")]
    Overflow,
}

/// P(Z > z) for a standard normal Z; accurate in the far tails, where
/// `1 - cdf` would round to 0.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// P(Z <= z) for a standard normal Z.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Largest exact-distribution table built (entries); beyond it the
/// asymptotic method is used. Only reached when one sample has at most 8
/// values and the other millions, where scipy itself takes hours.
const MAX_EXACT_TABLE: usize = 1 << 24;

/// `scipy.stats.mannwhitneyu(x, y, alternative=...)` with the defaults:
/// method `auto` (exact when one sample has at most 8 values and there are
/// no ties, else asymptotic), continuity correction, tie correction.
pub fn mann_whitney_u(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
) -> Result<MwuResult, TestError> {
    if x.is_empty() || y.is_empty() {
        return Err(TestError::Empty);
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(TestError::NotFinite);
    }
    let (n1, n2) = (x.len(), y.len());
    let (rank_sum_x, tie_term, ties) = rank_sum_first(x, y);
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u1 = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let (u, factor) = match alternative {
        Alternative::Greater => (u1, 1.0),
        Alternative::Less => (u2, 1.0),
        Alternative::TwoSided => (u1.max(u2), 2.0),
    };
    let small = n1.min(n2);
    let exact = (n1 <= 8 || n2 <= 8) && !ties && small * n1.max(n2) / 2 < MAX_EXACT_TABLE;
    let (p, method) = if exact {
        (exact_sf(n1, n2, u), MwuMethod::Exact)
    } else {
        (asymptotic_sf(u, n1f, n2f, tie_term), MwuMethod::Asymptotic)
    };
    Ok(MwuResult {
        u: u1,
        p_value: (p * factor).clamp(0.0, 1.0),
        method,
    })
}

/// Sum of the average ranks of `x` in `x ++ y`, Σ(t³ − t) over tie groups,
/// and whether any value is tied.
fn rank_sum_first(x: &[f64], y: &[f64]) -> (f64, f64, bool) {
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut tie_term, mut ties) = (0.0, 0.0, false);
    let mut start = 0;
    while start < all.len() {
        let value = all.get(start).map_or(0.0, |e| e.0);
        // -0.0 and 0.0 are one value, as numpy ranks them.
        let end = all
            .iter()
            .skip(start)
            .position(|e| e.0 != value)
            .map_or(all.len(), |k| start + k);
        let t = (end - start) as f64;
        // Ranks start + 1 ..= end, averaged.
        let average = (start + 1 + end) as f64 / 2.0;
        let in_x = all
            .get(start..end)
            .map_or(0, |g| g.iter().filter(|e| e.1).count());
        rank_sum += average * in_x as f64;
        if end - start > 1 {
            ties = true;
            tie_term += t * t * t - t;
        }
        start = end;
    }
    (rank_sum, tie_term, ties)
}

/// Normal approximation with tie and continuity correction (scipy's `_get_mwu_z`).
fn asymptotic_sf(u: f64, n1: f64, n2: f64, tie_term: f64) -> f64 {
    let n = n1 + n2;
    let variance = n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    let numerator = u - n1 * n2 / 2.0 - 0.5;
    if variance <= 0.0 {
        // Every value tied: no spread at all.
        return if numerator < 0.0 { 1.0 } else { 0.0 };
    }
    normal_sf(numerator / variance.sqrt())
}

/// P(U >= u) under the null hypothesis, from the exact distribution of U.
fn exact_sf(n1: usize, n2: usize, u: f64) -> f64 {
    let mn = n1 * n2;
    // Without ties U is a whole number; rounding only removes float noise.
    let k = u.round().clamp(0.0, mn as f64) as usize;
    let complement = mn - k;
    // The distribution is symmetric: sum the shorter tail from the left.
    if k < complement {
        let pmf = exact_pmf_upto(n1, n2, k);
        let below: f64 = pmf.iter().take(k).sum();
        1.0 - below
    } else {
        exact_pmf_upto(n1, n2, complement).iter().sum()
    }
}

/// P(U = 0..=max) for samples of sizes `n1`, `n2`. The count of orderings
/// with U = u is the coefficient of q^u in the Gaussian binomial
/// [n1 + n2 choose m]_q = Π_{i=1..m} (1 − q^{n+i}) / (1 − q^i), m = min(n1, n2),
/// n = max: the standard counting recursion f(m, n, u) = f(m−1, n, u−n) + f(m, n−1, u)
/// solved as a product, in O(m · max) instead of O(m · n · max).
fn exact_pmf_upto(n1: usize, n2: usize, max: usize) -> Vec<f64> {
    let (m, n) = (n1.min(n2), n1.max(n2));
    let mut c = vec![0.0f64; max + 1];
    if let Some(first) = c.first_mut() {
        *first = 1.0;
    }
    for i in 1..=m {
        // Multiply by 1 / (1 − q^i): a running sum with stride i.
        for u in i..=max {
            let prev = c.get(u - i).copied().unwrap_or(0.0);
            if let Some(cu) = c.get_mut(u) {
                *cu += prev;
            }
        }
        // Multiply by (1 − q^{n+i}), from the top down.
        let d = n + i;
        for u in (d..=max).rev() {
            let prev = c.get(u - d).copied().unwrap_or(0.0);
            if let Some(cu) = c.get_mut(u) {
                *cu -= prev;
            }
        }
    }
    let total = binomial(n1 + n2, m);
    for v in &mut c {
        *v /= total;
    }
    c
}

/// C(n, k) as a float; exact while it fits in 53 bits.
fn binomial(n: usize, k: usize) -> f64 {
    let mut r = 1.0;
    for i in 0..k {
        r = r * (n - i) as f64 / (i + 1) as f64;
    }
    r.round()
}

/// Pooled two-proportion z-test of `x1/n1` against `x2/n2`; the p-value of
/// `alternative` for the first proportion (as statsmodels' `proportions_ztest`).
pub fn two_proportion_z(
    x1: f64,
    n1: f64,
    x2: f64,
    n2: f64,
    alternative: Alternative,
) -> Result<ZResult, TestError> {
    let valid =
        |x: f64, n: f64| x.is_finite() && n.is_finite() && n > 0.0 && (0.0..=n).contains(&x);
    if !valid(x1, n1) || !valid(x2, n2) {
        return Err(TestError::BadCounts);
    }
    let (p1, p2) = (x1 / n1, x2 / n2);
    let (x, n) = (x1 + x2, n1 + n2);
    if !x.is_finite() || !n.is_finite() {
        return Err(TestError::Overflow);
    }
    let pooled = x / n;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if !se.is_finite() {
        return Err(TestError::Overflow);
    }
    if se <= 0.0 {
        return Err(TestError::ZeroStandardError);
    }
    let z = (p1 - p2) / se;
    let p_value = match alternative {
        Alternative::Greater => normal_sf(z),
        Alternative::Less => normal_cdf(z),
        Alternative::TwoSided => 2.0 * normal_sf(z.abs()),
    };
    Ok(ZResult {
        z,
        p_value: p_value.clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tails() {
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_sf(1.959963984540054) - 0.025).abs() < 1e-12);
        // 1 - cdf would give 0 here.
        assert!((normal_sf(10.0) / 7.619853024160527e-24 - 1.0).abs() < 1e-9);
        assert!((normal_cdf(-10.0) / 7.619853024160527e-24 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn exact_distribution_sums_to_one_and_is_symmetric() {
        let pmf = exact_pmf_upto(4, 6, 24);
        let total: f64 = pmf.iter().sum();
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        for u in 0..=24 {
            let a = pmf.get(u).copied().unwrap_or(f64::NAN);
            let b = pmf.get(24 - u).copied().unwrap_or(f64::NAN);
            assert!((a - b).abs() < 1e-15, "{u}");
        }
        // 1 of C(10, 4) = 210 orderings has U = 0.
        assert!((pmf.first().copied().unwrap_or(0.0) - 1.0 / 210.0).abs() < 1e-15);
    }

    #[test]
    fn tests_that_cannot_run() {
        assert_eq!(
            mann_whitney_u(&[], &[1.0], Alternative::Greater),
            Err(TestError::Empty)
        );
        assert_eq!(
            mann_whitney_u(&[f64::NAN], &[1.0], Alternative::Greater),
            Err(TestError::NotFinite)
        );
        assert_eq!(
            two_proportion_z(0.0, 10.0, 0.0, 10.0, Alternative::Greater),
            Err(TestError::ZeroStandardError)
        );
        assert_eq!(
            two_proportion_z(11.0, 10.0, 0.0, 10.0, Alternative::Greater),
            Err(TestError::BadCounts)
        );
        // n1 + n2 overflows: the pooled proportion would be 0 and look like no spread.
        assert_eq!(
            two_proportion_z(1e307, 1e308, 1e307, 1e308, Alternative::Greater),
            Err(TestError::Overflow)
        );
    }

    #[test]
    fn exact_method_scales_to_a_large_second_sample() {
        // 8 against 100,000: exact (scipy's rule), close to the normal approximation.
        let y: Vec<f64> = (0..100_000).map(|i| f64::from(i) * 2.0).collect();
        let x: Vec<f64> = (0..8).map(|i| f64::from(i) * 25_000.0 + 1.0).collect();
        let exact = mann_whitney_u(&x, &y, Alternative::Greater);
        assert!(
            matches!(exact, Ok(r) if r.method == MwuMethod::Exact),
            "{exact:?}"
        );
        let p = exact.as_ref().map_or(f64::NAN, |r| r.p_value);
        let z = asymptotic_sf(
            exact.as_ref().map_or(f64::NAN, |r| r.u),
            8.0,
            100_000.0,
            0.0,
        );
        assert!((p - z).abs() < 0.01, "{p} {z}");
    }

    #[test]
    fn all_values_tied_is_no_evidence() {
        let r = mann_whitney_u(&[1.0; 20], &[1.0; 20], Alternative::Greater);
        assert_eq!(r.map(|r| r.p_value), Ok(1.0));
    }
}
