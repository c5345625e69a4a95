//! Percentiles of latency samples.

use std::time::Duration;

use serde::Serialize;

/// A latency distribution, in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub n: usize,
    pub min_us: f64,
    pub p50_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

/// Nearest-rank percentile of sorted samples (`q` in 0..=1).
fn rank(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    us(sorted[idx])
}

/// Microseconds as a float.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Summarises `samples` (sorted in place).
pub fn summarize(samples: &mut [Duration]) -> Summary {
    samples.sort_unstable();
    let n = samples.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        samples.iter().map(|d| us(*d)).sum::<f64>() / n as f64
    };
    Summary {
        n,
        min_us: rank(samples, 0.0),
        p50_us: rank(samples, 0.50),
        p95_us: rank(samples, 0.95),
        p99_us: rank(samples, 0.99),
        max_us: rank(samples, 1.0),
        mean_us: mean,
    }
}

/// `a / b`, or NaN when `b` is not positive.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        s.reverse();
        let sum = summarize(&mut s);
        assert_eq!(sum.n, 100);
        assert_eq!(sum.min_us, 1.0);
        assert_eq!(sum.p50_us, 50.0);
        assert_eq!(sum.p99_us, 99.0);
        assert_eq!(sum.max_us, 100.0);
    }

    #[test]
    fn empty_is_nan() {
        assert!(summarize(&mut []).p50_us.is_nan());
        assert!(ratio(1.0, 0.0).is_nan());
    }
}
