//! The first trial step of a quasi-Newton method, scaled to the problem.
//!
//! On its first iteration L-BFGS has no curvature pair yet: its direction is d₀ = −∇f(x₀) with
//! the identity as inverse Hessian, and argmin's `LBFGS` tries the step α = 1, whatever the size
//! of the gradient. The length of that trial step is ‖∇f(x₀)‖, so it depends on the units of f:
//! on a quartic such as phase retrieval it lands far past the minimum along d₀, and the line
//! search spends several evaluations to come back (six on the n = 128 bench instance).
//!
//! L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995; routine `lnsrlb` of the Fortran code, Zhu, Byrd,
//! Lu & Nocedal 1997) scales that one trial step to unit length, α₀ = 1/‖d₀‖; PyTorch's
//! `LBFGS` does the same with the 1-norm, capped at 1. From the second iteration on, the two-loop recursion scales its
//! direction by γ = sᵀy / yᵀy (Nocedal & Wright, *Numerical Optimization*, 2nd ed., eq. 7.20),
//! and α = 1 is the natural trial step again. [`FirstStepScaled`] does exactly this around any
//! argmin line search: argmin's `LBFGS` hands each new direction to the line search it keeps as a
//! template (and clones that template to run it), so the template sees the directions in order.

use argmin::core::{Error, Problem, Solver, State, TerminationStatus, KV};
use argmin::solver::linesearch::LineSearch;
use argmin_math::ArgminL2Norm;

/// A line search whose first direction is tried with a step of unit length, α₀ = 1/‖d₀‖, and
/// every later one with α = 1 (see the module documentation for the reason and references).
///
/// ```
/// use argmin::solver::linesearch::MoreThuenteLineSearch;
/// use argmin::solver::quasinewton::LBFGS;
/// use wirtinger::solve::complex_vec::CVec;
/// use wirtinger::solve::first_step::FirstStepScaled;
///
/// let ls: MoreThuenteLineSearch<CVec, CVec, f64> = MoreThuenteLineSearch::new();
/// let lbfgs: LBFGS<_, CVec, CVec, f64> = LBFGS::new(FirstStepScaled::new(ls), 10);
/// # let _ = lbfgs;
/// ```
#[derive(Clone, Debug)]
pub struct FirstStepScaled<L> {
    inner: L,
    /// Directions received so far (by the template the solver keeps and clones).
    directions: u64,
}

impl<L> FirstStepScaled<L> {
    /// Wraps `inner`, which is used unchanged apart from its trial steps.
    pub fn new(inner: L) -> Self {
        FirstStepScaled {
            inner,
            directions: 0,
        }
    }
}

impl<L, D> LineSearch<D, f64> for FirstStepScaled<L>
where
    L: LineSearch<D, f64>,
    D: ArgminL2Norm<f64>,
{
    /// Sets the trial step with the direction: 1/‖d‖ for the first, 1 for every later one. A
    /// zero or non-finite first direction keeps the inner search's own trial step (1), and the
    /// inner search reports the direction's problem itself.
    fn search_direction(&mut self, direction: D) {
        let alpha = if self.directions == 0 {
            1.0 / direction.l2_norm()
        } else {
            1.0
        };
        self.directions += 1;
        if alpha.is_finite() && alpha > 0.0 {
            // Only a step ≤ 0 is refused, and alpha > 0 here.
            let _ = self.inner.initial_step_length(alpha);
        }
        self.inner.search_direction(direction);
    }

    fn initial_step_length(&mut self, step_length: f64) -> Result<(), Error> {
        self.inner.initial_step_length(step_length)
    }
}

impl<O, I, L> Solver<O, I> for FirstStepScaled<L>
where
    L: Solver<O, I>,
    I: State,
{
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn init(&mut self, problem: &mut Problem<O>, state: I) -> Result<(I, Option<KV>), Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(&mut self, problem: &mut Problem<O>, state: I) -> Result<(I, Option<KV>), Error> {
        self.inner.next_iter(problem, state)
    }

    fn terminate_internal(&mut self, state: &I) -> TerminationStatus {
        self.inner.terminate_internal(state)
    }

    fn terminate(&mut self, state: &I) -> TerminationStatus {
        self.inner.terminate(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argmin::core::{CostFunction, Executor, Gradient};
    use argmin::solver::linesearch::MoreThuenteLineSearch;
    use std::sync::Mutex;

    /// f(x) = Σ xᵢ², recording every point it is evaluated at.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Vec<f64>>>);

    impl CostFunction for &Recorder {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
            self.0.lock().unwrap().push(x.clone());
            Ok(x.iter().map(|v| v * v).sum())
        }
    }

    impl Gradient for &Recorder {
        type Param = Vec<f64>;
        type Gradient = Vec<f64>;
        fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
            Ok(x.iter().map(|v| 2.0 * v).collect())
        }
    }

    /// The first point a search along `d` from x evaluates.
    fn first_trial(
        ls: &mut FirstStepScaled<MoreThuenteLineSearch<Vec<f64>, Vec<f64>, f64>>,
        x: &[f64],
        d: Vec<f64>,
    ) -> Vec<f64> {
        ls.search_direction(d);
        let rec = Recorder::default();
        let g: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        let f: f64 = x.iter().map(|v| v * v).sum();
        Executor::new(&rec, ls.clone())
            .configure(|s| s.param(x.to_vec()).gradient(g).cost(f))
            .ctrlc(false)
            .run()
            .unwrap();
        let first = rec.0.lock().unwrap()[0].clone();
        first
    }

    /// The first direction is tried at unit length, α = 1/‖d‖; later ones at α = 1, as the
    /// plain line search does.
    #[test]
    fn the_first_trial_step_has_unit_length_and_later_ones_are_one() {
        let mut ls = FirstStepScaled::new(MoreThuenteLineSearch::new());
        let x = [30.0, -40.0];
        // d = −∇f(x) = (−60, 80), ‖d‖ = 100: the first trial is x + d/100.
        let t = first_trial(&mut ls, &x, vec![-60.0, 80.0]);
        assert!(
            (t[0] - 29.4).abs() < 1e-12 && (t[1] + 39.2).abs() < 1e-12,
            "{t:?}"
        );
        // The second direction is tried with step 1: x + d.
        let t = first_trial(&mut ls, &x, vec![-15.0, 20.0]);
        assert!(
            (t[0] - 15.0).abs() < 1e-12 && (t[1] + 20.0).abs() < 1e-12,
            "{t:?}"
        );
    }
}
