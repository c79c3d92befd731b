use num_complex::Complex64 as C64;
use std::collections::BTreeMap;
use std::sync::Arc;
use wirtinger::expr::{compile_objective, DataValue};
use wirtinger::model::{Shape, Tensor, Ty};

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

#[test]
fn convention_abs2() {
    let f = compile_objective(
        "abs2(z)",
        &[("z".into(), Ty::complex(Shape::Scalar))],
        &BTreeMap::new(),
    )
    .unwrap();
    let (v, g) = f.value_gradient(&[c(1.0, 2.0)]).unwrap();
    assert_eq!(v, 5.0);
    assert_eq!(g[0], c(2.0, 4.0));
    let (h, k) = f.hessian(&[c(1.0, 2.0)]).unwrap();
    assert!((h[(0, 0)] - c(2.0, 0.0)).norm() < 1e-14, "{:?}", h);
    assert!(k[(0, 0)].norm() < 1e-14);
}

#[test]
fn widely_linear_quadratic() {
    // f = zᴴPz + Re(zᵀCz) − 2Re(bᴴz): H = 2P, K = conj(C + Cᵀ)
    let p = Tensor::new(
        Shape::Matrix(2, 2),
        vec![c(2.0, 0.0), c(0.5, -0.3), c(0.5, 0.3), c(3.0, 0.0)],
    )
    .unwrap();
    let cm = Tensor::new(
        Shape::Matrix(2, 2),
        vec![c(0.2, 0.1), c(-0.4, 0.3), c(0.7, -0.2), c(0.1, 0.5)],
    )
    .unwrap();
    let b = Tensor::new(Shape::Vector(2), vec![c(1.0, -1.0), c(0.5, 2.0)]).unwrap();
    let mut data = BTreeMap::new();
    data.insert(
        "P".to_string(),
        DataValue::Dense {
            value: Arc::new(p.clone()),
            real: false,
        },
    );
    data.insert(
        "C".to_string(),
        DataValue::Dense {
            value: Arc::new(cm.clone()),
            real: false,
        },
    );
    data.insert(
        "b".to_string(),
        DataValue::Dense {
            value: Arc::new(b),
            real: false,
        },
    );
    let f = compile_objective(
        "real(z' * P * z) + real(transpose(z) * C * z) - 2 * real(b' * z)",
        &[("z".into(), Ty::complex(Shape::Vector(2)))],
        &data,
    )
    .unwrap();
    let z = [c(0.3, -0.7), c(1.1, 0.4)];
    let (h, k) = f.hessian(&z).unwrap();
    for i in 0..2 {
        for j in 0..2 {
            let he = p.get(i, j) * 2.0;
            let ke = (cm.get(i, j) + cm.get(j, i)).conj();
            assert!(
                (h[(i, j)] - he).norm() < 1e-12,
                "H {i}{j}: {} vs {}",
                h[(i, j)],
                he
            );
            assert!(
                (k[(i, j)] - ke).norm() < 1e-12,
                "K {i}{j}: {} vs {}",
                k[(i, j)],
                ke
            );
        }
    }
}
