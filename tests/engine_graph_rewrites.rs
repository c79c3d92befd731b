//! The rewrites `Graph` applies while it is built (constant adjoints stored once, scale
//! folding, negations of scales, scales moved out of products onto smaller results, x.^1 = x,
//! Re and conj of constant adjoint seeds) leave values and derivatives unchanged: checked here on the graph's
//! structure and against finite differences of the compiled objectives.

use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::cr::{check_derivatives, Function, Graph, Op, Trans, Unary, MATERIALIZE_ENTRIES};
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::model::{Shape, Tensor, Ty};

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

fn matrix_3x2() -> Tensor {
    let data = vec![
        c(1.0, 2.0),
        c(-0.5, 0.0),
        c(3.0, -1.0),
        c(0.0, 1.0),
        c(2.0, 0.5),
        c(-1.0, -1.0),
    ];
    Tensor::new(Shape::Matrix(3, 2), data).expect("six entries")
}

#[test]
fn adjoint_products_of_constants_read_one_stored_copy() {
    let mut g = Graph::default();
    let a = g.constant(matrix_3x2(), false);
    let r = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(3)));
    let p1 = g.matmul(a, Trans::H, r, Trans::N);
    let p2 = g.matmul(a, Trans::H, r, Trans::N);
    let (n1, n2) = (g.node(p1).clone(), g.node(p2).clone());
    assert!(
        matches!(n1.op, Op::MatMul(Trans::N, Trans::N)),
        "{:?}",
        n1.op
    );
    assert_eq!(n1.args[0], n2.args[0], "one copy of Aᴴ for both products");
    let Op::Const(ah) = &g.node(n1.args[0]).op else {
        panic!("Aᴴ is a constant")
    };
    assert_eq!(ah.shape(), Shape::Matrix(2, 3));
    let m = matrix_3x2();
    for i in 0..3 {
        for j in 0..2 {
            assert_eq!(ah.data()[j + 2 * i], m.data()[i + 3 * j].conj());
        }
    }
    // Aᵀ and conj(A) are separate copies; a product with A itself makes none.
    let pt = g.matmul(a, Trans::T, r, Trans::N);
    assert_ne!(g.node(pt).args[0], n1.args[0]);
    let z = g.push(Op::Var(1), vec![], Ty::complex(Shape::Vector(2)));
    let pn = g.matmul(a, Trans::N, z, Trans::N);
    assert_eq!(g.node(pn).args[0], a);
}

/// Above `MATERIALIZE_ENTRIES` the product reads A itself under its op: A and a copy would no
/// longer stay in the cache together. The engine bench's 2000 × 500 A (16 MiB) is such a case:
/// with the copy its gradient took twice as long.
#[test]
fn large_constants_get_no_stored_adjoint() {
    let (rows, cols) = (2000, 500);
    assert!(rows * cols > MATERIALIZE_ENTRIES);
    let data = vec![c(1.0, -1.0); rows * cols];
    let big = Tensor::new(Shape::Matrix(rows, cols), data).expect("sizes agree");
    let mut g = Graph::default();
    let a = g.constant(big, false);
    let r = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(rows)));
    let p = g.matmul(a, Trans::H, r, Trans::N);
    assert!(matches!(g.node(p).op, Op::MatMul(Trans::H, Trans::N)));
    assert_eq!(g.node(p).args[0], a);
}

#[test]
fn scales_fold_and_unit_powers_vanish() {
    let mut g = Graph::default();
    let x = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(4)));
    assert_eq!(g.scale(c(1.0, 0.0), x), x);
    assert_eq!(g.pow_const(x, c(1.0, 0.0)), x);
    let s = g.scale(c(3.0, 0.0), x);
    let ss = g.scale(c(0.0, 2.0), s);
    assert!(matches!(g.node(ss).op, Op::Scale(v) if v == c(0.0, 6.0)));
    assert_eq!(g.node(ss).args, vec![x]);
    let two = g.real_scalar(2.0);
    let k = g.scale(c(0.5, 0.0), two);
    assert!(matches!(&g.node(k).op, Op::Const(t) if t.data()[0] == c(1.0, 0.0)));
    let b = g.broadcast(two, Shape::Vector(4));
    let e = g.emul(x, b);
    assert!(matches!(g.node(e).op, Op::Scale(v) if v == c(2.0, 0.0)));
    assert_eq!(g.node(e).args, vec![x]);
    let e2 = g.emul(b, x);
    assert!(matches!(g.node(e2).op, Op::Scale(v) if v == c(2.0, 0.0)));
}

/// Objectives whose gradients and Hessians go through the rewritten products and scales,
/// against finite differences.
#[test]
fn rewritten_objectives_match_finite_differences() {
    let mut data = BTreeMap::new();
    let dense = |t: Tensor, real: bool| DataValue::Dense {
        value: Arc::new(t),
        real,
    };
    data.insert("A".to_string(), dense(matrix_3x2(), false));
    let y = Tensor::new(
        Shape::Vector(3),
        vec![c(1.0, 0.0), c(2.0, 0.0), c(0.5, 0.0)],
    )
    .unwrap();
    data.insert("y".to_string(), dense(y, true));
    let vars = [("z".to_string(), Ty::complex(Shape::Vector(2)))];
    for text in [
        "sum((abs2(A * z) - y).^2) / 3",
        "norm2sq(A * z - y) + 2 * sum(abs2(z).^1)",
        "real(z' * (A' * (A * z))) * 0.5 * 3",
        "sum(abs2(A' * (A * z)))",
    ] {
        let f = compile_objective(text, &vars, &data).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let z = [c(0.3, -0.7), c(1.1, 0.4)];
        let rep = check_derivatives(&f, &z, 7).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert!(rep.passed(), "{text}: {rep:?}");
    }
}

#[test]
fn negated_scales_fold_and_scales_leave_products_for_smaller_results() {
    let mut g = Graph::default();
    let x = g.push(Op::Var(0), vec![], Ty::complex(Shape::Matrix(3, 3)));
    let z = g.push(Op::Var(1), vec![], Ty::complex(Shape::Vector(3)));
    // −(c·x) = (−c)·x; −(constant) is a constant.
    let s = g.scale(c(2.0, 1.0), x);
    let n = g.neg(s);
    assert!(matches!(g.node(n).op, Op::Scale(v) if v == c(-2.0, -1.0)));
    assert_eq!(g.node(n).args, vec![x]);
    let two = g.real_scalar(2.0);
    let m = g.neg(two);
    assert!(matches!(&g.node(m).op, Op::Const(t) if t.data()[0] == c(-2.0, 0.0)));
    // (c·X)ᴴ z = c̄·(Xᴴ z) and (c·X) z = c·(X z): the 3-vector is scaled, not the 3×3 matrix.
    for (t, want) in [(Trans::H, c(2.0, -1.0)), (Trans::N, c(2.0, 1.0))] {
        let p = g.matmul(s, t, z, Trans::N);
        assert!(matches!(g.node(p).op, Op::Scale(v) if v == want), "{t:?}");
        let inner = g.node(p).args[0];
        assert!(matches!(g.node(inner).op, Op::MatMul(tt, Trans::N) if tt == t));
        assert_eq!(g.node(inner).args, vec![x, z]);
    }
    // An outer product is larger than its factor: the scale stays on the factor.
    let sz = g.scale(c(0.0, 3.0), z);
    let outer = g.matmul(sz, Trans::N, z, Trans::H);
    assert!(matches!(g.node(outer).op, Op::MatMul(Trans::N, Trans::H)));
    assert_eq!(g.node(outer).args, vec![sz, z]);
}

/// The pullback of ‖M − zzᴴ‖²_F: the seed of the sum is a broadcast 1, whose Re folds away, so
/// the adjoint of M − zzᴴ is a scale of it (no elementwise product with ones, no negation
/// pass) and the scale −2 sits on the two n-vector products.
#[test]
fn rank_one_fit_gradient_has_no_passes_over_constant_seeds() {
    let mut data = BTreeMap::new();
    let m = Tensor::new(
        Shape::Matrix(2, 2),
        vec![c(2.0, 0.0), c(0.5, -1.0), c(0.5, 1.0), c(-1.0, 0.0)],
    )
    .unwrap();
    data.insert(
        "M".to_string(),
        DataValue::Dense {
            value: Arc::new(m),
            real: false,
        },
    );
    let vars = [("z".to_string(), Ty::complex(Shape::Vector(2)))];
    let f = compile_objective("norm2sq(M - z * z')", &vars, &data).expect("compiles");
    let nodes = f.graph().nodes();
    let matrix_passes = nodes
        .iter()
        .filter(|n| n.ty.shape == Shape::Matrix(2, 2))
        .filter(|n| matches!(n.op, Op::EMul | Op::Neg | Op::Unary(Unary::Real)))
        .count();
    assert_eq!(matrix_passes, 0, "{nodes:?}");
    let scaled_products = nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Scale(v) if v == c(-2.0, 0.0)))
        .filter(|n| matches!(nodes[n.args[0]].op, Op::MatMul(..)))
        .count();
    assert_eq!(scaled_products, 2, "{nodes:?}");
    let z = [c(0.3, -0.7), c(1.1, 0.4)];
    let rep = check_derivatives(&f, &z, 11).expect("finite");
    assert!(rep.passed(), "{rep:?}");
}

/// Complex scales moved out of products under every op, and negated scales: the value against
/// an entrywise recomputation, the derivatives against finite differences: f = ‖op(c·W) z − w‖² + ‖−(d·z)‖², with W = z zᵀ moving.
#[test]
fn scales_moved_out_of_products_match_finite_differences() {
    for t in [Trans::N, Trans::T, Trans::C, Trans::H] {
        let mut g = Graph::default();
        let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(3)));
        let zt = g.transpose(z, false);
        let outer = g.matmul(z, Trans::N, zt, Trans::N);
        let w = g.scale(c(1.5, -0.5), outer);
        let p = g.matmul(w, t, z, Trans::N);
        assert!(matches!(g.node(p).op, Op::Scale(_)), "{t:?}");
        let target = Tensor::new(
            Shape::Vector(3),
            vec![c(1.0, 0.0), c(0.0, -2.0), c(0.5, 0.5)],
        )
        .unwrap();
        let k = g.constant(target, false);
        let r = g.sub(p, k);
        let a = g.unary(Unary::Abs2, r);
        let f1 = g.sum(a);
        let dz = g.scale(c(0.0, 2.0), z);
        let nz = g.neg(dz);
        let a2 = g.unary(Unary::Abs2, nz);
        let f2 = g.sum(a2);
        let f = g.add(f1, f2);
        let fun = Function::new(g, f, vec![("z".into(), Ty::complex(Shape::Vector(3)))])
            .expect("compiles");
        let z0 = [c(0.3, -0.7), c(1.1, 0.4), c(-0.2, 0.9)];
        // The value, recomputed entry by entry: op(c·W)[i][j] from W[i][j] = zᵢzⱼ.
        let cw = |i: usize, j: usize| c(1.5, -0.5) * z0[i] * z0[j];
        let op = |i: usize, j: usize| match t {
            Trans::N => cw(i, j),
            Trans::T => cw(j, i),
            Trans::C => cw(i, j).conj(),
            Trans::H => cw(j, i).conj(),
        };
        let want = [c(1.0, 0.0), c(0.0, -2.0), c(0.5, 0.5)];
        let expected: f64 = (0..3)
            .map(|i| ((0..3).map(|j| op(i, j) * z0[j]).sum::<C64>() - want[i]).norm_sqr())
            .sum::<f64>()
            + z0.iter().map(|v| 4.0 * v.norm_sqr()).sum::<f64>();
        let (value, _) = fun.value_gradient(&z0).expect("finite");
        assert!(
            (value - expected).abs() <= 1e-12 * expected,
            "{t:?}: {value} vs {expected}"
        );
        let rep = check_derivatives(&fun, &z0, 5).expect("finite");
        assert!(rep.passed(), "{t:?}: {rep:?}");
    }
}

/// Forward tangents read only the values their rules use: along v, the gradient 2Aᴴ(Az − b) of
/// ‖Az − b‖² moves by 2Aᴴ(A v), and neither Az nor Az − b is evaluated on the way (each
/// would cost a product with A).
#[test]
fn linear_tangent_rules_evaluate_no_values() {
    use wirtinger::cr::{layout, propagate_tangents, split_point, Batch, Tangent, Values};
    let mut g = Graph::default();
    let a = g.constant(matrix_3x2(), false);
    let z = g.push(Op::Var(0), vec![], Ty::complex(Shape::Vector(2)));
    let az = g.matmul(a, Trans::N, z, Trans::N);
    let b = Tensor::new(
        Shape::Vector(3),
        vec![c(1.0, 0.0), c(0.0, 2.0), c(-1.0, 1.0)],
    )
    .unwrap();
    let bn = g.constant(b, false);
    let r = g.sub(az, bn);
    let ah_r = g.matmul(a, Trans::H, r, Trans::N);
    let grad = g.scale(c(2.0, 0.0), ah_r);
    let (infos, _) = layout(&[("z".to_string(), Ty::complex(Shape::Vector(2)))]);
    let vars = split_point(&infos, &[c(0.3, -0.7), c(1.1, 0.4)]);
    let mut vals = Values::new(&g, &vars, &[]);
    let v = [c(1.0, 0.5), c(-0.25, 2.0)];
    let dir = Tangent::Dense(Batch {
        rows: 2,
        k: 1,
        data: v.to_vec(),
    });
    let t = propagate_tangents(&g, &[grad], &mut vals, &[Some(dir)], &[]).expect("finite");
    assert!(vals.get(az).is_none(), "Az was evaluated");
    assert!(vals.get(r).is_none(), "Az − b was evaluated");
    let Some(Tangent::Dense(out)) = &t[grad] else {
        panic!("the gradient moves densely")
    };
    // 2Aᴴ(A v), entry by entry.
    let m = matrix_3x2();
    let at = |i: usize, j: usize| m.data()[i + 3 * j];
    let av: Vec<C64> = (0..3).map(|i| at(i, 0) * v[0] + at(i, 1) * v[1]).collect();
    for j in 0..2 {
        let want: C64 = (0..3).map(|i| at(i, j).conj() * av[i]).sum::<C64>() * 2.0;
        assert!(
            (out.data[j] - want).norm() <= 1e-13,
            "{} vs {want}",
            out.data[j]
        );
    }
}

/// The constant 2 × 3 matrices among a graph's nodes.
fn copies_2x3(g: &Graph) -> Vec<Arc<Tensor>> {
    g.nodes()
        .iter()
        .filter_map(|n| match &n.op {
            Op::Const(t) if t.shape() == Shape::Matrix(2, 3) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// A problem stores the copy Aᴴ that the gradient of A·z reads when it is built, and every
/// function compiled from it reads that same copy (no transpose per compile); a product of two
/// constants, which no gradient passes through, gets none.
#[test]
fn problems_store_the_pullback_copy_once_for_every_compile() {
    let text = "[data]\n\
        A = [[1, 2], [0, -1], [3, 0.5]]\n\
        b = [1, -1, 2]\n\
        c = [0.5, -2]\n\
        [variables]\n\
        z = { type = \"complex\", shape = [2] }\n\
        [objective]\n\
        minimize = \"norm2sq(A * z - b) + norm2sq(A * c)\"\n";
    let p = wirtinger::io::parse_problem(text, std::path::Path::new("copy.toml"))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let stored = copies_2x3(&p.graph);
    assert_eq!(stored.len(), 1, "one copy, for the product with z only");
    let a = match p.data.get("A") {
        Some(DataValue::Dense { value, .. }) => value.clone(),
        _ => panic!("A is dense"),
    };
    for i in 0..3 {
        for j in 0..2 {
            assert_eq!(stored[0].data()[j + 2 * i], a.data()[i + 3 * j].conj());
        }
    }
    for _ in 0..2 {
        let f = p.function().expect("compiles");
        let used = copies_2x3(f.graph());
        assert_eq!(used.len(), 1, "the compile made no second copy");
        assert!(
            Arc::ptr_eq(&used[0], &stored[0]),
            "the problem's copy is read"
        );
        let z = [c(0.3, -0.7), c(1.1, 0.4)];
        let rep = check_derivatives(&f, &z, 3).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(rep.passed(), "{rep:?}");
    }
    // A problem built in code stores it too.
    let mut b = wirtinger::model::builder::ProblemBuilder::new();
    let z = b.complex_var("z", &[2]);
    let a = b.data("A", (*a).clone(), false);
    b.minimize(wirtinger::model::builder::fns::norm2sq(&a * &z));
    let built = b.build().unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(copies_2x3(&built.graph).len(), 1);
}
