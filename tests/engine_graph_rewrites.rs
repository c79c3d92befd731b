//! The rewrites `Graph` applies while it is built (constant adjoints stored once, scale
//! folding, x.^1 = x) leave values and derivatives unchanged: checked here on the graph's
//! structure and against finite differences of the compiled objectives.

use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::cr::{check_derivatives, Graph, Op, Trans};
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
