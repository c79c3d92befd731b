//! What a solve returns ([`Report`]) and what observers see each iteration ([`IterationInfo`]).

use num_complex::Complex64 as C64;

/// How a solve ended (contract §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The method's optimality test passed (see [`crate::solve`] for the tests).
    Optimal,
    /// `max_iter` iterations were done.
    MaxIterations,
    /// The time limit was reached.
    TimeLimit,
    /// No further progress was possible short of optimality.
    Stalled,
    /// Infeasible (SDP methods; not produced by the smooth methods).
    Infeasible,
    /// Unbounded below.
    Unbounded,
    /// A non-finite value or a failed evaluation; the point is the last finite iterate.
    NumericalError,
    /// Interrupted by the user.
    Interrupted,
}

impl Status {
    /// The name used in the result file.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::MaxIterations => "max_iterations",
            Status::TimeLimit => "time_limit",
            Status::Stalled => "stalled",
            Status::Infeasible => "infeasible",
            Status::Unbounded => "unbounded",
            Status::NumericalError => "numerical_error",
            Status::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Numbers of evaluations of the objective's pieces (actual engine calls; cached repeats are not
/// counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evaluations {
    /// Objective values (a value-and-gradient call counts here and in `gradient`).
    pub value: u64,
    /// Gradients.
    pub gradient: u64,
    /// Hessian–vector products.
    pub hvp: u64,
    /// Dense Hessian pairs (H, K).
    pub hessian: u64,
    /// Residual evaluations (least-squares methods).
    pub residual: u64,
    /// Jacobian–vector products and their adjoints (matrix-free least squares).
    pub jvp: u64,
    /// Dense Jacobian pairs (J, J̃).
    pub jacobian: u64,
}

/// One line of the iteration history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryEntry {
    /// Iteration number (0 is the starting point).
    pub iter: u64,
    /// Objective: in the problem's own sense in reports of [`crate::solve::solve`] (f, also for
    /// `maximize`); in the minimization form the method saw in reports of
    /// [`crate::solve::solve_objective`].
    pub value: f64,
    /// ‖g‖.
    pub gradient_norm: f64,
    /// ‖z_k − z_{k−1}‖ (0 at the start and for rejected trial steps).
    pub step: f64,
}

/// What an observer sees after each iteration (and once for the starting point, `iter = 0`).
#[derive(Clone, Copy, Debug)]
pub struct IterationInfo<'a> {
    /// Iteration number.
    pub iter: u64,
    /// Objective in minimization form.
    pub value: f64,
    /// ‖g‖.
    pub gradient_norm: f64,
    /// Length of the last step.
    pub step: f64,
    /// The current point.
    pub point: &'a [C64],
    /// Seconds since the start.
    pub elapsed: f64,
    /// The method's name.
    pub method: &'a str,
}

/// The outcome of [`crate::solve::solve`].
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub status: Status,
    /// The canonical name of the method that ran (for `auto`, the one it chose).
    pub method: String,
    /// Why `auto` chose it (None when a method was named).
    pub method_reason: Option<String>,
    /// The objective at `point`, in the problem's own sense (for `maximize`, the maximum).
    pub objective: f64,
    /// The returned point, variables stacked in order (real variables have zero imaginary
    /// parts).
    pub point: Vec<C64>,
    /// The method's own iterations.
    pub iterations: u64,
    /// ‖g‖ at `point` (gradient of the objective in the problem's own sense; same norm); NaN
    /// where the method has none (`sdp`), written as `null` in the result file.
    pub gradient_norm: f64,
    /// Evaluation counts.
    pub evaluations: Evaluations,
    /// Wall time of the solve.
    pub time_seconds: f64,
    /// The tolerance in force (0: never stop on tolerance).
    pub tol: f64,
    /// The iteration limit in force.
    pub max_iter: u64,
    /// A sentence on why it stopped.
    pub message: String,
    /// Iteration history, thinned uniformly once it exceeds
    /// [`crate::solve::SolveOptions::history_limit`] entries.
    pub history: Vec<HistoryEntry>,
    /// What the `sdp` method adds (None for the other methods).
    pub sdp: Option<SdpInfo>,
    /// What the `spectral_bundle` method adds (None for the other methods).
    pub bundle: Option<BundleInfo>,
}

/// Extra results of the `sdp` method (see [`crate::eig::verify`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SdpInfo {
    /// |primal − dual objective| of the conic program at Clarabel's solution.
    pub duality_gap: f64,
    /// Clarabel's relative duality gap.
    pub relative_gap: f64,
    /// Largest relative difference between an atom recomputed at x* and its epigraph value, or
    /// constraint violation (the verification; `optimal` needs it ≤ 1e-6).
    pub verification: f64,
    /// What that largest difference was about.
    pub verification_worst: String,
    /// Clarabel's own status.
    pub clarabel_status: String,
    /// Size of the largest PSD block (after the Hermitian → real embedding).
    pub largest_psd_block: usize,
    /// Variables and constraint rows of the conic program.
    pub conic_size: (usize, usize),
    /// Seconds per phase: `recognize`, `build`, `clarabel` (its own solve time), `verify`.
    pub timings: Vec<(&'static str, f64)>,
    /// The dual certificate (see [`crate::eig::certificate`]), when Clarabel returned a solution.
    pub certificate: Option<crate::eig::certificate::Certificate>,
}

/// Extra results of the `spectral_bundle` method (see [`crate::eig::bundle`]): the certified
/// bracket of the optimal value, in the problem's own sense (for `minimize`, the objective is the
/// upper bound; for `maximize`, the lower bound).
#[derive(Clone, Debug, PartialEq)]
pub struct BundleInfo {
    /// Lower bound on the optimal value.
    pub lower_bound: f64,
    /// Upper bound on the optimal value.
    pub upper_bound: f64,
    /// upper − lower (≥ 0 up to rounding).
    pub gap: f64,
    /// gap / max(1, |upper|, |lower|), the quantity tested against `tol`.
    pub relative_gap: f64,
    /// Serious steps (the center moved).
    pub serious_steps: u64,
    /// Null steps (the model was enriched, the center kept).
    pub null_steps: u64,
    /// Columns of the subspace basis in the last subproblem.
    pub subspace_size: usize,
    /// Size n of the largest eigenvalue argument (before any Hermitian embedding).
    pub matrix_size: usize,
    /// How the extreme eigenpairs were computed (`dense` or `lanczos`).
    pub eigensolver: String,
    /// Seconds per phase.
    pub timings: Vec<(&'static str, f64)>,
}
