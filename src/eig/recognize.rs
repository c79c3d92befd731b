//! Recognition of SDP-representable problems: a small disciplined-convex check (issue 4,
//! item 2), in the spirit of disciplined convex programming (Grant, Boyd & Ye, "Disciplined
//! convex programming", 2006) restricted to the atoms of this crate.
//!
//! Rules, with f in minimization form (−f for `maximize`):
//! - f = Σⱼ cⱼ φⱼ(Aⱼ(x)) + ℓ(x) with ℓ affine, each Aⱼ affine in the real coordinates
//!   ([`super::affine`]), and each cⱼ φⱼ convex: cⱼ > 0 for the convex atoms `lambda_max`,
//!   `sum_largest`, `sigma_max`, `norm_nuc`, `norm2` (and `abs` of a scalar), `norm1`, `norm2sq`
//!   (and `abs2` of a scalar); cⱼ < 0 for the concave atoms `lambda_min` and `sum_smallest`,
//!   which are rewritten as −sum_smallest(A, k) = sum_largest(−A, k).
//!   Sums, differences, negation and multiplication or division by real constants propagate the
//!   sign; anything else must be affine.
//! - constraints: `==` between affine sides (a zero cone); `<=`/`>=` between affine real sides
//!   (a nonnegative cone); or, for scalar sides, convex `<=` affine, i.e. the difference
//!   (larger-side minus smaller-side, negated) decomposes as above.
//!
//! - generalized eigenvalues λ(K, M) ([`super::generalized`]): with M constant, an ordinary
//!   λ_max/λ_min atom of the whitened argument L⁻¹K(x)L⁻ᴴ (so every rule above applies); with
//!   M = M(x), quasiconvex/quasiconcave, so only alone — the whole objective (minimize λ_max,
//!   maximize λ_min, K constant; [`Recognized::quasi`]) or a constraint `λ_max ≤ c`,
//!   `λ_min ≥ c` with c constant ([`Recognized::generalized`]), each up to a positive factor and
//!   a constant.
//!
//! A violation names the offending atom and where it is (the objective, or constraint i with
//! its span in the problem file).

use super::affine::{affine_map, AffineMap, Coords};
use super::generalized::{self, GenConstraint, GenTerm, QuasiObjective};
use crate::cr::{Graph, NodeId, Op, Spectral, Trans, Unary};
use crate::expr::BinOp;
use crate::model::{Problem, Sense};
use crate::Diagnostic;
use num_complex::Complex64 as C64;
use std::cell::RefCell;

/// A convex atom φ(A(x)) with its argument's affine map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AtomKind {
    /// Sum of the k largest eigenvalues of a Hermitian argument (λ_max for k = 1; σ_max when
    /// the argument is the embedding [[0, A], [Aᴴ, 0]]).
    Largest(usize),
    /// ½ Σ|λᵢ| of a Hermitian argument (the nuclear norm of A on [[0, A], [Aᴴ, 0]]).
    HalfAbsSum,
    /// ‖a‖₂ (Frobenius for matrices; |a| for a scalar).
    Norm2,
    /// Σ|aᵢ|.
    Norm1,
    /// Σ|aᵢ|².
    Norm2Sq,
}

/// One term c·φ(A(x)) with c > 0.
#[derive(Clone, Debug)]
pub struct Atom {
    /// Which atom.
    pub kind: AtomKind,
    /// The graph node whose value is `sign`·φ(A(x)).
    pub node: NodeId,
    /// +1, or −1 for a concave atom rewritten as a convex one (−λ_min(A) = λ_max(−A)).
    pub sign: f64,
    /// The coefficient c > 0.
    pub coef: f64,
    /// The affine argument A(x) (already negated for rewritten concave atoms).
    pub arg: AffineMap,
    /// The atom's name in the expression language.
    pub name: String,
}

/// Σⱼ cⱼ φⱼ(Aⱼ(x)) + c₀ + Σᵢ ℓᵢ xᵢ.
#[derive(Clone, Debug, Default)]
pub struct ConvexExpr {
    /// The atoms.
    pub atoms: Vec<Atom>,
    /// Constant of the affine part.
    pub c0: f64,
    /// Dense coefficients of the affine part.
    pub lin: Vec<f64>,
}

/// A recognized linear constraint.
#[derive(Clone, Debug)]
pub enum Linear {
    /// Every entry of the map (real and imaginary parts) is 0.
    Zero(AffineMap),
    /// Every entry (real) is ≤ 0.
    NonPositive(AffineMap),
}

/// A problem recognized as SDP-representable.
#[derive(Clone, Debug)]
pub struct Recognized {
    /// The real coordinates.
    pub coords: Coords,
    /// The objective in minimization form.
    pub objective: ConvexExpr,
    /// Linear constraints, with their index in [`Problem::constraints`].
    pub linear: Vec<(usize, Linear)>,
    /// Convex scalar constraints expr ≤ 0, with their index.
    pub convex: Vec<(usize, ConvexExpr)>,
    /// The objective when it is a generalized eigenvalue (see [`super::generalized`]); then
    /// [`Self::objective`] holds only its constant d (no atoms, no linear part).
    pub quasi: Option<QuasiObjective>,
    /// Constraints λ_max(K, M) ≤ c and λ_min(K, M) ≥ c (LMIs), with their index.
    pub generalized: Vec<(usize, GenConstraint)>,
}

impl Recognized {
    /// Whether the problem has a generalized eigenvalue term (objective or constraint).
    pub fn has_generalized(&self) -> bool {
        self.quasi.is_some() || !self.generalized.is_empty()
    }
    /// The first generalized eigenvalue term and where it is (for messages).
    pub fn first_generalized(&self) -> Option<(String, Option<usize>)> {
        if let Some(q) = &self.quasi {
            return Some((q.term.name.clone(), None));
        }
        self.generalized
            .first()
            .map(|(i, c)| (c.term.name.clone(), Some(*i)))
    }
}

/// The name of the atom at `node`, for messages.
pub fn atom_name(g: &Graph, node: NodeId) -> String {
    let n = g.node(node);
    match &n.op {
        Op::SpectralValue(f) => {
            let embed = n
                .args
                .first()
                .is_some_and(|&a| matches!(g.node(a).op, Op::Embed));
            match (f, embed) {
                (Spectral::Largest(1), true) => "sigma_max".into(),
                (Spectral::Largest(1), false) => "lambda_max".into(),
                (Spectral::Largest(k), _) => format!("sum_largest(·, {k})"),
                (Spectral::Smallest(1), _) => "lambda_min".into(),
                (Spectral::Smallest(k), _) => format!("sum_smallest(·, {k})"),
                (Spectral::HalfAbsSum, _) => "norm_nuc".into(),
            }
        }
        Op::GenEigValue(true) => "lambda_max(A, B)".into(),
        Op::GenEigValue(false) => "lambda_min(A, B)".into(),
        Op::Norm2 => "norm2".into(),
        Op::Sum => match n.args.first().map(|&a| &g.node(a).op) {
            Some(Op::Unary(Unary::Abs)) => "norm1".into(),
            Some(Op::Unary(Unary::Abs2)) => "norm2sq".into(),
            _ => "sum".into(),
        },
        Op::Unary(u) => u.name().into(),
        Op::EMul => "an elementwise product".into(),
        Op::EDiv => "a division".into(),
        Op::MatMul(..) => "a matrix product".into(),
        Op::PowConst(_) => "a power".into(),
        op => format!("{op:?}"),
    }
}

struct Rec<'a> {
    g: &'a Graph,
    coords: &'a Coords,
    sense_max: bool,
    /// Generalized eigenvalue terms met by [`Rec::terms`], taken out by [`recognize`].
    gen: RefCell<Vec<GenTerm>>,
}

fn real_scalar_const(g: &Graph, id: NodeId) -> Option<f64> {
    match &g.node(id).op {
        Op::Const(t) if t.shape().is_scalar() && t.data()[0].im == 0.0 => Some(t.data()[0].re),
        _ => None,
    }
}

impl Rec<'_> {
    fn convexity_error(&self, node: NodeId, c: f64, constraint: bool) -> String {
        let name = atom_name(self.g, node);
        let concave = matches!(
            self.g.node(node).op,
            Op::SpectralValue(Spectral::Smallest(_)) | Op::GenEigValue(false)
        );
        let why = if concave {
            "is concave, so it may only be maximized or appear with a negative coefficient"
        } else {
            "is convex, so it may only be minimized or appear with a positive coefficient"
        };
        let how = if constraint {
            format!("it appears on the wrong side of an inequality (coefficient {c})")
        } else if self.sense_max {
            format!(
                "here it is maximized (coefficient {} in the maximized objective)",
                -c
            )
        } else {
            format!("here its coefficient is {c}")
        };
        format!("`{name}` {why}; {how}")
    }

    /// Adds c·(node) to `out`.
    fn terms(
        &self,
        node: NodeId,
        c: f64,
        out: &mut ConvexExpr,
        constraint: bool,
    ) -> Result<(), String> {
        if c == 0.0 {
            return Ok(());
        }
        let n = self.g.node(node);
        let atom = |kind: AtomKind, arg: NodeId, sign: f64, c: f64| -> Result<Atom, String> {
            let name = atom_name(self.g, node);
            let map = affine_map(self.g, arg, self.coords)
                .map_err(|e| format!("the argument of `{name}` is not affine: {e}"))?;
            Ok(Atom {
                kind,
                node,
                sign,
                coef: c,
                arg: if sign < 0.0 { map.scaled(-1.0) } else { map },
                name,
            })
        };
        match &n.op {
            Op::Add => {
                self.terms(n.args[0], c, out, constraint)?;
                self.terms(n.args[1], c, out, constraint)
            }
            Op::Sub => {
                self.terms(n.args[0], c, out, constraint)?;
                self.terms(n.args[1], -c, out, constraint)
            }
            Op::Neg => self.terms(n.args[0], -c, out, constraint),
            Op::Scale(s) if s.im == 0.0 && n.ty.shape.is_scalar() => {
                self.terms(n.args[0], c * s.re, out, constraint)
            }
            Op::Unary(Unary::Real) if n.ty.shape.is_scalar() => {
                self.terms(n.args[0], c, out, constraint)
            }
            Op::EMul
                if n.ty.shape.is_scalar() && real_scalar_const(self.g, n.args[0]).is_some() =>
            {
                let v = real_scalar_const(self.g, n.args[0]).unwrap_or(0.0);
                self.terms(n.args[1], c * v, out, constraint)
            }
            Op::EMul
                if n.ty.shape.is_scalar() && real_scalar_const(self.g, n.args[1]).is_some() =>
            {
                let v = real_scalar_const(self.g, n.args[1]).unwrap_or(0.0);
                self.terms(n.args[0], c * v, out, constraint)
            }
            Op::EDiv
                if n.ty.shape.is_scalar() && real_scalar_const(self.g, n.args[1]).is_some() =>
            {
                let v = real_scalar_const(self.g, n.args[1]).unwrap_or(0.0);
                if v == 0.0 {
                    return Err("division by zero".into());
                }
                self.terms(n.args[0], c / v, out, constraint)
            }
            Op::SpectralValue(f) => {
                let arg = n.args[0];
                let (kind, sign) = match *f {
                    Spectral::Largest(k) => (AtomKind::Largest(k), 1.0),
                    Spectral::Smallest(k) => (AtomKind::Largest(k), -1.0),
                    Spectral::HalfAbsSum => (AtomKind::HalfAbsSum, 1.0),
                };
                // The term is c·sign·φ; convex when c·sign > 0.
                let eff = c * sign;
                if eff < 0.0 {
                    return Err(self.convexity_error(node, c, constraint));
                }
                out.atoms.push(atom(kind, arg, sign, eff)?);
                Ok(())
            }
            Op::GenEigValue(max) => {
                let name = atom_name(self.g, node);
                let t = generalized::term(self.g, node, c, *max, name.clone(), self.coords)?;
                if generalized::is_constant(&t.m) {
                    // Constant M: λ(K(x), M) = λ(L⁻¹K(x)L⁻ᴴ), an ordinary convex/concave atom.
                    let sign = if *max { 1.0 } else { -1.0 };
                    let eff = c * sign;
                    if eff < 0.0 {
                        return Err(self.convexity_error(node, c, constraint));
                    }
                    let arg = generalized::whiten(&t)?;
                    out.atoms.push(Atom {
                        kind: AtomKind::Largest(1),
                        node,
                        sign,
                        coef: eff,
                        arg: if sign < 0.0 { arg.scaled(-1.0) } else { arg },
                        name,
                    });
                    return Ok(());
                }
                self.gen.borrow_mut().push(t);
                Ok(())
            }
            Op::Norm2 | Op::Unary(Unary::Abs) | Op::Unary(Unary::Abs2)
                if n.ty.shape.is_scalar() || matches!(n.op, Op::Norm2) =>
            {
                if c < 0.0 {
                    return Err(self.convexity_error(node, c, constraint));
                }
                let kind = if matches!(n.op, Op::Unary(Unary::Abs2)) {
                    AtomKind::Norm2Sq
                } else {
                    AtomKind::Norm2
                };
                out.atoms.push(atom(kind, n.args[0], 1.0, c)?);
                Ok(())
            }
            // Squares of real values and squared norms are norm2sq atoms: x^2 and x.^2 of a real
            // scalar, sum(r.^2) of a real r, norm2(r)^2, r' * r and transpose(r) * r (real r).
            Op::PowConst(p) if *p == C64::new(2.0, 0.0) && n.ty.shape.is_scalar() => {
                let a = n.args[0];
                let inner = self.g.node(a);
                let (r, ok) = match inner.op {
                    Op::Norm2 => (inner.args[0], true),
                    _ => (a, self.g.ty(a).real),
                };
                if !ok {
                    return self.affine_term(node, c, out);
                }
                if c < 0.0 {
                    return Err(self.convexity_error(node, c, constraint));
                }
                out.atoms.push(atom(AtomKind::Norm2Sq, r, 1.0, c)?);
                Ok(())
            }
            Op::Sum
                if matches!(self.g.node(n.args[0]).op, Op::PowConst(p) if p == C64::new(2.0, 0.0))
                    && self.g.ty(self.g.node(n.args[0]).args[0]).real =>
            {
                if c < 0.0 {
                    return Err(self.convexity_error(node, c, constraint));
                }
                let r = self.g.node(n.args[0]).args[0];
                out.atoms.push(atom(AtomKind::Norm2Sq, r, 1.0, c)?);
                Ok(())
            }
            Op::MatMul(Trans::H, Trans::N) | Op::MatMul(Trans::T, Trans::N)
                if n.args[0] == n.args[1]
                    && n.ty.shape.is_scalar()
                    && (matches!(n.op, Op::MatMul(Trans::H, _)) || self.g.ty(n.args[0]).real) =>
            {
                if c < 0.0 {
                    return Err(self.convexity_error(node, c, constraint));
                }
                out.atoms.push(atom(AtomKind::Norm2Sq, n.args[0], 1.0, c)?);
                Ok(())
            }
            Op::Sum
                if matches!(
                    self.g.node(n.args[0]).op,
                    Op::Unary(Unary::Abs) | Op::Unary(Unary::Abs2)
                ) =>
            {
                if c < 0.0 {
                    return Err(self.convexity_error(node, c, constraint));
                }
                let inner = self.g.node(n.args[0]);
                let kind = if matches!(inner.op, Op::Unary(Unary::Abs)) {
                    AtomKind::Norm1
                } else {
                    AtomKind::Norm2Sq
                };
                out.atoms.push(atom(kind, inner.args[0], 1.0, c)?);
                Ok(())
            }
            _ => self.affine_term(node, c, out),
        }
    }

    /// A term c·φ with φ affine in the real coordinates.
    fn affine_term(&self, node: NodeId, c: f64, out: &mut ConvexExpr) -> Result<(), String> {
        let map = affine_map(self.g, node, self.coords).map_err(|e| {
            format!(
                "the term `{}` is neither affine nor a supported convex atom: {e}",
                atom_name(self.g, node)
            )
        })?;
        if map.c0.len() != 1 {
            return Err(format!(
                "the term `{}` is not a scalar",
                atom_name(self.g, node)
            ));
        }
        out.c0 += c * map.c0[0].re;
        for &(j, a) in &map.rows[0] {
            out.lin[j] += c * a.re;
        }
        Ok(())
    }
}

fn located(msg: String, problem: &Problem, index: Option<usize>) -> Diagnostic {
    match index {
        None => Diagnostic::new(format!("the objective is not SDP-representable: {msg}")),
        Some(i) => {
            let d = Diagnostic::new(format!(
                "constraint {} is not SDP-representable: {msg}",
                i + 1
            ));
            match problem.constraints[i].span.clone() {
                Some(s) => d.at(s),
                None => d,
            }
        }
    }
    .with_note(
        "the sdp method takes nonnegative combinations of lambda_max, sum_largest, sigma_max, \
         norm_nuc, norm2, norm1 and norm2sq (and negative ones of lambda_min, sum_smallest) of \
         affine arguments, plus affine terms; constraints affine ==, <=, >= or convex <= affine; \
         a generalized eigenvalue lambda_max(K, M(x)) (lambda_min) alone, minimized (maximized), \
         with K constant, or bounded as lambda_max(K, M) <= c (lambda_min(K, M) >= c)",
    )
}

/// Checks that `problem` is SDP-representable and extracts its pieces.
pub fn recognize(problem: &Problem) -> Result<Recognized, Diagnostic> {
    let coords = Coords::new(&problem.var_types());
    let g = &problem.graph;
    let rec = Rec {
        g,
        coords: &coords,
        sense_max: problem.sense == Sense::Maximize,
        gen: RefCell::new(Vec::new()),
    };
    let n = coords.len();
    let mut objective = ConvexExpr {
        lin: vec![0.0; n],
        ..Default::default()
    };
    let c = if rec.sense_max { -1.0 } else { 1.0 };
    rec.terms(problem.objective, c, &mut objective, false)
        .map_err(|m| located(m, problem, None))?;
    let found = rec.gen.take();
    let quasi = if found.is_empty() {
        None
    } else {
        alone(&found, &objective, "the objective")
            .and_then(|t| generalized::objective(t, objective.c0))
            .map(Some)
            .map_err(|m| located(m, problem, None))?
    };
    let mut linear = Vec::new();
    let mut convex = Vec::new();
    let mut gen_constraints = Vec::new();
    for (i, con) in problem.constraints.iter().enumerate() {
        let (p, q) = match con.op {
            BinOp::Ge => (con.rhs, con.lhs),
            _ => (con.lhs, con.rhs),
        };
        let is_eq = matches!(con.op, BinOp::Eq);
        if !is_eq && !matches!(con.op, BinOp::Le | BinOp::Ge) {
            return Err(located(
                "only ==, <= and >= constraints are supported".into(),
                problem,
                Some(i),
            ));
        }
        let ap = affine_map(g, p, &coords);
        let aq = affine_map(g, q, &coords);
        match (ap, aq) {
            (Ok(a), Ok(b)) => {
                if a.c0.len() != b.c0.len() && b.c0.len() != 1 && a.c0.len() != 1 {
                    return Err(located(
                        "the two sides have different numbers of entries".into(),
                        problem,
                        Some(i),
                    ));
                }
                let d = broadcast_minus(&a, &b);
                if is_eq {
                    linear.push((i, Linear::Zero(d)));
                } else {
                    if d.is_complex() {
                        return Err(located(
                            "an inequality between complex values".into(),
                            problem,
                            Some(i),
                        ));
                    }
                    linear.push((i, Linear::NonPositive(d)));
                }
            }
            (ep, eq) => {
                if is_eq {
                    let (side, e) = match (ep, eq) {
                        (Err(e), _) => (p, e),
                        (_, Err(e)) => (q, e),
                        _ => unreachable!("one side is not affine"),
                    };
                    return Err(located(
                        format!(
                            "an equality constraint needs affine sides, but `{}` is not: {e}",
                            atom_name(g, side)
                        ),
                        problem,
                        Some(i),
                    ));
                }
                if !g.shape(p).is_scalar() || !g.shape(q).is_scalar() {
                    return Err(located(
                        "a constraint with a convex atom must be scalar (convex <= affine)".into(),
                        problem,
                        Some(i),
                    ));
                }
                let mut e = ConvexExpr {
                    lin: vec![0.0; n],
                    ..Default::default()
                };
                rec.terms(p, 1.0, &mut e, true)
                    .and_then(|_| rec.terms(q, -1.0, &mut e, true))
                    .map_err(|m| located(m, problem, Some(i)))?;
                let found = rec.gen.take();
                if found.is_empty() {
                    convex.push((i, e));
                } else {
                    let c = alone(&found, &e, "the constraint")
                        .and_then(|t| generalized::constraint(t, e.c0))
                        .map_err(|m| located(m, problem, Some(i)))?;
                    gen_constraints.push((i, c));
                }
            }
        }
    }
    Ok(Recognized {
        coords,
        objective,
        linear,
        convex,
        quasi,
        generalized: gen_constraints,
    })
}

/// The only generalized eigenvalue term of an expression, when nothing else in it depends on
/// the variables (a quasiconvex function plus other terms is not quasiconvex in general).
fn alone(found: &[GenTerm], e: &ConvexExpr, place: &str) -> Result<GenTerm, String> {
    let first = &found[0];
    let mut others: Vec<String> = found[1..].iter().map(|t| format!("`{}`", t.name)).collect();
    others.extend(e.atoms.iter().map(|a| format!("`{}`", a.name)));
    if e.lin.iter().any(|&v| v != 0.0) {
        others.push("a term affine in the variables".into());
    }
    if others.is_empty() {
        return Ok(first.clone());
    }
    Err(format!(
        "`{}` (a generalized eigenvalue) is quasiconvex or quasiconcave, not convex, so it must \
         be alone in {place} (up to a positive factor and a constant); here it is combined with \
         {}",
        first.name,
        others.join(", ")
    ))
}

/// a − b with a scalar side broadcast over the other.
fn broadcast_minus(a: &AffineMap, b: &AffineMap) -> AffineMap {
    let widen = |m: &AffineMap, len: usize, like: &AffineMap| {
        if m.c0.len() == len {
            m.clone()
        } else {
            AffineMap {
                shape: like.shape,
                c0: vec![m.c0[0]; len],
                rows: vec![m.rows[0].clone(); len],
            }
        }
    };
    let len = a.c0.len().max(b.c0.len());
    let aa = widen(a, len, if a.c0.len() == len { a } else { b });
    let bb = widen(b, len, if a.c0.len() == len { a } else { b });
    aa.minus(&bb)
}
