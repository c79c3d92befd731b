//! Memory estimates, checked before anything large is allocated (issue 6, item 2).
//!
//! Each method that forms a dense matrix has its peak estimated here from the problem's sizes,
//! and a solve whose estimate exceeds the memory limit is refused (exit 2) with the estimate,
//! the limit and a method that would fit. Matrix-free methods (`lbfgs`, `steepest_descent`,
//! `trust_region`, matrix-free Gauss–Newton) use memory proportional to the data and the
//! parameter vector, and are not refused.
//!
//! # The limit
//!
//! `[solver] memory_limit` (GiB) in the problem file, overridden by `--memory-limit GIB` on
//! the command line (or [`super::SolveOptions::memory_limit`]); by default
//! [`DEFAULT_FRACTION`] of the physical memory (`MemTotal` in `/proc/meminfo`), or
//! [`FALLBACK_GIB`] GiB where that cannot be read. The estimates are upper bounds of the
//! largest allocations, not of the process's resident size (the data itself, already loaded,
//! is not counted).
//!
//! # The estimates (bytes; N complex parameters, p ≤ 2N real ones, M residuals)
//!
//! A complex number takes 16 bytes, a real one 8. The engine's forward-over-reverse pass
//! carries, for a batch of k directions, k tangents per active node; the dense Hessian pair is
//! assembled with the 2N directions [I, iI] in chunks of at most
//! [`crate::cr::TANGENT_ENTRIES`] entries per node (so at most
//! A · max(2¹⁶, w) · 16 bytes of tangents for A active nodes of largest size w), the
//! Jacobians in one batch (A · w · 2N · 16 bytes at most).
//!
//! | method | peak |
//! |---|---|
//! | `newton`, `pseudo_newton` | directions and products 2 · 32N², (H, K) 32N², real 2N system and its factor 2 · 32N², plus tangents |
//! | `argmin_newton_cg`, `argmin_trust_region` | (H, K) assembly 96N², real Hessian `Vec<Vec<f64>>` twice (state and subproblem) 16p², plus tangents |
//! | `argmin_bfgs` | inverse Hessian and argmin's update temporaries, 6 · 8p² |
//! | dense `gauss_newton`, `levenberg_marquardt` | tangents of the Jacobian batch, the batch's output 32MN, (J, J̃) 32MN, Gauss–Newton matrix and factor 2 · 32N² |
//! | `sdp` | see [`sdp`] |
use super::Method;
use crate::cr::{Function, LeastSquares};
use crate::Diagnostic;

/// Default share of the physical memory.
pub const DEFAULT_FRACTION: f64 = 0.75;
/// Default limit (GiB) where the physical memory cannot be read.
pub const FALLBACK_GIB: f64 = 8.0;
/// Bytes per GiB.
pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A memory limit and where it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryLimit {
    /// The limit in bytes.
    pub bytes: f64,
    /// Where it comes from (for messages).
    pub origin: String,
}

impl MemoryLimit {
    /// The limit in force: `option` (command line or API, GiB), else `setting` (`[solver]
    /// memory_limit`, GiB), else the default ([`MemoryLimit::default_limit`]).
    ///
    /// ```
    /// use wirtinger::solve::budget::{MemoryLimit, GIB};
    /// let l = MemoryLimit::resolve(Some(2.0), Some(64.0));
    /// assert_eq!(l.bytes, 2.0 * GIB);
    /// assert_eq!(l.origin, "--memory-limit");
    /// ```
    pub fn resolve(option: Option<f64>, setting: Option<f64>) -> MemoryLimit {
        match (option, setting) {
            (Some(g), _) => MemoryLimit {
                bytes: g * GIB,
                origin: "--memory-limit".into(),
            },
            (None, Some(g)) => MemoryLimit {
                bytes: g * GIB,
                origin: "[solver] memory_limit".into(),
            },
            (None, None) => MemoryLimit::default_limit(),
        }
    }

    /// [`DEFAULT_FRACTION`] of `MemTotal`, or [`FALLBACK_GIB`].
    pub fn default_limit() -> MemoryLimit {
        match physical_memory() {
            Some(b) => MemoryLimit {
                bytes: DEFAULT_FRACTION * b as f64,
                origin: format!(
                    "the default, {:.0}% of the physical memory",
                    100.0 * DEFAULT_FRACTION
                ),
            },
            None => MemoryLimit {
                bytes: FALLBACK_GIB * GIB,
                origin: format!(
                    "the default where the physical memory is unknown, {FALLBACK_GIB} GiB"
                ),
            },
        }
    }
}

/// `MemTotal` from `/proc/meminfo`, in bytes (None where it cannot be read).
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// The `MemTotal:  N kB` line of a `/proc/meminfo` text, in bytes.
///
/// ```
/// use wirtinger::solve::budget::parse_meminfo;
/// assert_eq!(parse_meminfo("MemTotal:       2048 kB\nMemFree: 1 kB\n"), Some(2048 * 1024));
/// assert_eq!(parse_meminfo("nothing"), None);
/// ```
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut it = line["MemTotal:".len()..].split_whitespace();
    let kb: u64 = it.next()?.parse().ok()?;
    match it.next() {
        Some("kB") | None => kb.checked_mul(1024),
        _ => None,
    }
}

/// An estimate of the peak memory of one piece of work.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Bytes (a float: products of sizes may exceed `u64`).
    pub bytes: f64,
    /// What is allocated, e.g. "the dense Hessian pair (H, K) and the real 2N system".
    pub what: String,
}

impl Estimate {
    /// Refuses the estimate when it exceeds the limit: a message with both in GiB and the
    /// suggestion.
    pub fn check(
        &self,
        limit: &MemoryLimit,
        method: &str,
        suggestion: &str,
    ) -> Result<(), Diagnostic> {
        if self.bytes <= limit.bytes {
            return Ok(());
        }
        Err(Diagnostic::new(format!(
            "method `{method}` would need about {} GiB for {}, more than the memory limit of {} GiB ({})",
            gib(self.bytes),
            self.what,
            gib(limit.bytes),
            limit.origin
        ))
        .with_note(format!(
            "{suggestion}; or raise the limit with `--memory-limit GIB` or `[solver] memory_limit`"
        )))
    }
}

/// Bytes as GiB for messages: three significant digits.
pub fn gib(bytes: f64) -> String {
    let g = bytes / GIB;
    if g >= 100.0 {
        format!("{g:.0}")
    } else if g >= 1.0 {
        format!("{g:.2}")
    } else if g >= 1e-3 {
        format!("{g:.3}")
    } else {
        format!("{g:.2e}")
    }
}

/// Sizes of the engine's graph that bound its tangent batches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GraphSize {
    /// Nodes that depend on a variable (they carry tangents).
    pub active: f64,
    /// Entries of the widest such node.
    pub widest: f64,
}

impl GraphSize {
    /// Of a compiled objective.
    pub fn of(f: &Function) -> GraphSize {
        let g = f.graph();
        let last = g.len().saturating_sub(1);
        let act = crate::cr::active_nodes(g, last);
        let mut active = 0.0;
        let mut widest: f64 = 1.0;
        for (n, a) in g.nodes().iter().zip(&act) {
            if *a {
                active += 1.0;
                widest = widest.max(n.ty.shape.numel() as f64);
            }
        }
        GraphSize { active, widest }
    }
}

const C: f64 = 16.0;
const R: f64 = 8.0;

/// The estimate of a smooth method on N complex parameters (`real_dim` = p), or None when the
/// method is matrix-free (its memory is proportional to the data and to N).
///
/// `residuals` is M for the least-squares methods, `matrix_free` whether Gauss–Newton/LM run
/// with conjugate gradients.
pub fn smooth(
    method: Method,
    n: usize,
    real_dim: usize,
    graph: GraphSize,
    residuals: Option<usize>,
    matrix_free: bool,
) -> Option<Estimate> {
    let nf = n as f64;
    let p = real_dim as f64;
    let chunk = (crate::cr::TANGENT_ENTRIES as f64).max(graph.widest);
    let hessian_tangents = graph.active * chunk.min(graph.widest * 2.0 * nf) * C;
    let (bytes, what) = match method {
        Method::Newton | Method::PseudoNewton => (
            2.0 * 2.0 * C * nf * nf
                + 2.0 * C * nf * nf
                + 2.0 * 4.0 * R * nf * nf
                + hessian_tangents,
            format!(
                "the dense Hessian pair (H, K) and the real {}×{} Newton system",
                2 * n,
                2 * n
            ),
        ),
        Method::ArgminNewtonCg | Method::ArgminTrustRegion => (
            (2.0 * 2.0 + 2.0) * C * nf * nf + 2.0 * R * p * p + hessian_tangents,
            format!("the dense real {real_dim}×{real_dim} Hessian"),
        ),
        Method::ArgminBfgs => (
            6.0 * R * p * p,
            format!("the dense {real_dim}×{real_dim} inverse-Hessian approximation"),
        ),
        Method::GaussNewton | Method::LevenbergMarquardt if !matrix_free => {
            let m = residuals.unwrap_or(0) as f64;
            (
                graph.active * graph.widest * 2.0 * nf * C
                    + 2.0 * 2.0 * C * m * nf
                    + 2.0 * 4.0 * R * nf * nf,
                format!(
                    "the dense Jacobians J, J̃ ({} residuals × {n} parameters) and the Gauss–Newton matrix",
                    residuals.unwrap_or(0)
                ),
            )
        }
        _ => return None,
    };
    Some(Estimate { bytes, what })
}

/// What to use instead of a method whose dense matrices do not fit.
pub fn suggestion(method: Method) -> &'static str {
    match method {
        Method::GaussNewton | Method::LevenbergMarquardt => {
            "use method = \"lbfgs\" or \"trust_region\" (matrix-free), or matrix-free \
             Gauss–Newton (`SolveOptions::matrix_free = Some(true)` in the Rust API; the \
             least-squares methods run matrix-free by themselves above real dimension 2000)"
        }
        _ => "use method = \"lbfgs\" or \"trust_region\" (matrix-free Hessian–vector products)",
    }
}

/// Checks a smooth method against the limit (nothing to check for matrix-free methods).
pub fn check_smooth(
    method: Method,
    f: &Function,
    ls: Option<&LeastSquares>,
    matrix_free: Option<bool>,
    limit: &MemoryLimit,
) -> Result<(), Diagnostic> {
    let real_dim: usize = f
        .vars()
        .iter()
        .map(|v| v.shape.numel() * if v.real { 1 } else { 2 })
        .sum();
    // The least-squares methods' own choice (`lm::use_matrix_free`) when not forced.
    let matrix_free = matrix_free.unwrap_or(real_dim > super::newton::DENSE_LIMIT);
    match smooth(
        method,
        f.dim(),
        real_dim,
        GraphSize::of(f),
        ls.map(LeastSquares::len),
        matrix_free,
    ) {
        Some(e) => e.check(limit, method.name(), suggestion(method)),
        None => Ok(()),
    }
}

/// The estimate of the interior-point solve of a conic program with `vars` variables, `rows`
/// constraint rows, `nnz` nonzeros in A and PSD blocks of the given sizes k.
///
/// Clarabel's KKT matrix is sparse except for the scaling block of each PSD cone, which is
/// dense over its t = k(k+1)/2 rows; with the LDLᵀ factor (at least as dense) and the KKT
/// copy, at 8 bytes per value and 8 per index, the peak is taken as
/// 3 · 16 · (vars + rows + nnz + Σ t²) bytes. Every eigenvalue of a Hermitian argument of
/// size n becomes a real block of size 2n (DESIGN.md §3).
///
/// ```
/// use wirtinger::solve::budget::sdp;
/// // One PSD block of size 100: t = 5050 rows, t² ≈ 2.55e7 dense entries: about 1.14 GiB.
/// let e = sdp(10, 5050, 5050, &[100]);
/// assert!((e.bytes / (1u64 << 30) as f64 - 1.14).abs() < 0.01);
/// ```
pub fn sdp(vars: usize, rows: usize, nnz: usize, blocks: &[usize]) -> Estimate {
    let t2: f64 = blocks
        .iter()
        .map(|&k| {
            let t = k as f64 * (k as f64 + 1.0) / 2.0;
            t * t
        })
        .sum();
    let largest = blocks.iter().copied().max().unwrap_or(0);
    Estimate {
        bytes: 3.0 * 16.0 * (vars as f64 + rows as f64 + nnz as f64 + t2),
        what: format!(
            "the interior-point KKT system ({} PSD block{}, the largest of size {largest})",
            blocks.len(),
            if blocks.len() == 1 { "" } else { "s" }
        ),
    }
}

/// Checks the conic program of a recognized problem against the limit (before Clarabel).
pub fn check_sdp(
    rec: &crate::eig::recognize::Recognized,
    limit: &MemoryLimit,
) -> Result<(), Diagnostic> {
    let conic = crate::eig::conic::build(rec);
    let blocks: Vec<usize> = conic
        .cones
        .iter()
        .filter_map(|c| match c {
            clarabel::solver::SupportedConeT::PSDTriangleConeT(k) => Some(*k),
            _ => None,
        })
        .collect();
    let e = sdp(conic.q.len(), conic.b.len(), conic.a.nzval.len(), &blocks);
    e.check(limit, "sdp", SDP_SUGGESTION)
}

/// What to use instead of `sdp` when it does not fit.
pub const SDP_SUGGESTION: &str =
    "use method = \"spectral_bundle\" (first-order, no KKT system) for large eigenvalue problems";

#[cfg(test)]
mod tests {
    use super::*;

    /// Newton on N = 10⁴ complex parameters: 160N² = 1.6e10 bytes ≈ 14.9 GiB of matrices,
    /// refused under 8 GiB with the numbers in the message.
    #[test]
    fn newton_estimate_and_refusal() {
        let g = GraphSize {
            active: 3.0,
            widest: 1e4,
        };
        let e = smooth(Method::Newton, 10_000, 20_000, g, None, false).unwrap();
        let mats = 160.0 * 1e8;
        assert!(e.bytes >= mats && e.bytes < mats * 1.1, "{}", e.bytes);
        let limit = MemoryLimit::resolve(Some(8.0), None);
        let d = e
            .check(&limit, "newton", suggestion(Method::Newton))
            .unwrap_err();
        let text = d.render();
        assert!(
            text.contains("GiB") && text.contains("8.00 GiB") && text.contains("lbfgs"),
            "{text}"
        );
        assert!(smooth(Method::Lbfgs, 10_000, 20_000, g, None, false).is_none());
        assert!(smooth(Method::TrustRegion, 10_000, 20_000, g, None, false).is_none());
        assert!(smooth(Method::LevenbergMarquardt, 10, 20, g, Some(100), true).is_none());
    }

    #[test]
    fn least_squares_estimate_grows_with_the_residuals() {
        let g = GraphSize {
            active: 2.0,
            widest: 1e6,
        };
        let e = smooth(
            Method::LevenbergMarquardt,
            100,
            200,
            g,
            Some(1_000_000),
            false,
        )
        .unwrap();
        // (J, J̃) and the batch output: 64 · M · N = 6.4e9 bytes at least.
        assert!(e.bytes >= 6.4e9, "{}", e.bytes);
    }

    #[test]
    fn meminfo_parsing() {
        assert_eq!(parse_meminfo("MemTotal: 16 kB"), Some(16384));
        assert_eq!(parse_meminfo("MemTotal: x kB"), None);
        assert_eq!(parse_meminfo("MemTotal: 16 MB"), None);
        let d = MemoryLimit::default_limit();
        assert!(d.bytes > 0.0 && d.bytes.is_finite());
    }
}
