//! `DGESV`: LU factorization with partial pivoting and solve.

use core::ffi::c_int;

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::linalg::triangular_solve::{
    solve_unit_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::MatMut;

use super::{arg, lapack_int, mat_mut, par, usable, xerbla};

/// `DGESV`: solves A·X = B for a general n×n matrix A (`lda ≥ max(1, n)`) and n×nrhs B
/// (`ldb ≥ max(1, n)`) through A = P·L·U (`DGETRF`: partial pivoting, L unit lower triangular,
/// U upper triangular), then `DGETRS`.
///
/// On exit A holds L (strictly below the diagonal) and U, `ipiv[i]` (1-based) is the row that
/// was interchanged with row i at step i (interchanges applied in order i = 1, …, n), and B is
/// overwritten by X.
///
/// `info` (LAPACK `dgesv.f`): 0 on success; −i for an invalid i-th argument (1 n, 2 nrhs,
/// 4 lda, 7 ldb; a null array that would be referenced gives its own position); k > 0 if
/// U(k, k) is exactly zero: the factorization was completed, but U is singular and B is left
/// unchanged.
///
/// The factorization is faer's blocked partial-pivoting LU; if it meets an exact zero pivot, the
/// factorization is redone with the reference unblocked algorithm (`DGETF2`), so that the
/// factors left in A are the reference ones (no division by the zero pivot).
///
/// # Safety
/// Fortran contract: `a` valid for reads and writes of n×n with `lda`, `ipiv` for n writes, `b`
/// for reads and writes of n×nrhs with `ldb`, none overlapping; `info` valid for one write.
#[no_mangle]
pub unsafe extern "C" fn dgesv_(
    n: *const c_int,
    nrhs: *const c_int,
    a: *mut f64,
    lda: *const c_int,
    ipiv: *mut c_int,
    b: *mut f64,
    ldb: *const c_int,
    info: *mut c_int,
) {
    const NAME: &str = "DGESV";
    if !usable(info.cast_const()) {
        return xerbla(NAME, 8);
    }
    let fail = |i: c_int| {
        xerbla(NAME, i);
        // SAFETY: `info` was checked non-null and aligned; valid for writes by the contract.
        unsafe { info.write(-i) };
    };
    // SAFETY: scalar arguments are read through `arg`, which checks null and alignment.
    let (n, nrhs, lda, ldb) = unsafe { (arg(n), arg(nrhs), arg(lda), arg(ldb)) };
    let Some(n) = n.and_then(|v| usize::try_from(v).ok()) else {
        return fail(1);
    };
    let Some(nrhs) = nrhs.and_then(|v| usize::try_from(v).ok()) else {
        return fail(2);
    };
    let Some(lda) = lda
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return fail(4);
    };
    let Some(ldb) = ldb
        .and_then(|v| usize::try_from(v).ok())
        .filter(|&v| v >= n.max(1))
    else {
        return fail(7);
    };
    if n > 0 {
        if !usable(a.cast_const()) {
            return fail(3);
        }
        if !usable(ipiv.cast_const()) {
            return fail(5);
        }
        if nrhs > 0 && !usable(b.cast_const()) {
            return fail(6);
        }
    }
    // SAFETY: checked above.
    unsafe { info.write(0) };
    if n == 0 {
        return;
    }
    // SAFETY: `a` non-null and aligned, n > 0, lda ≥ n: the caller's matrix, exclusively ours;
    // `ipiv` non-null and aligned with n elements by the contract, disjoint from A.
    let (mut am, piv) = unsafe {
        (
            mat_mut(a, n, n, lda),
            core::slice::from_raw_parts_mut(ipiv, n),
        )
    };

    let par = par(n.max(nrhs));
    let mut lu = am.rb().to_owned();
    let mut perm = vec![0usize; n];
    let mut perm_inv = vec![0usize; n];
    let mut mem = MemBuffer::new(lu_in_place_scratch::<usize, f64>(
        n,
        n,
        par,
        Default::default(),
    ));
    lu_in_place(
        lu.as_mut(),
        &mut perm,
        &mut perm_inv,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    let singular = (0..n).any(|j| lu[(j, j)] == 0.0);
    let zero_pivot = if singular {
        getf2(am.rb_mut(), piv)
    } else {
        am.copy_from(&lu);
        transpositions(&perm, piv);
        None
    };
    if let Some(k) = zero_pivot {
        // SAFETY: checked above.
        unsafe { info.write(lapack_int(k + 1)) };
        return;
    }
    if nrhs == 0 {
        return;
    }
    // SAFETY: `b` non-null and aligned, ldb ≥ n; n×nrhs, exclusively ours, disjoint from A.
    let mut bm = unsafe { mat_mut(b, n, nrhs, ldb) };
    for (i, &p) in piv.iter().enumerate() {
        let p = (p - 1) as usize;
        if p != i {
            for j in 0..nrhs {
                let t = bm[(i, j)];
                bm[(i, j)] = bm[(p, j)];
                bm[(p, j)] = t;
            }
        }
    }
    let am = am.rb();
    solve_unit_lower_triangular_in_place(am, bm.rb_mut(), par);
    solve_upper_triangular_in_place(am, bm, par);
}

/// Converts faer's row permutation (row i of P·A is row `perm[i]` of A) into LAPACK's sequence
/// of interchanges: at step i, rows i and `ipiv[i] − 1` are swapped.
fn transpositions(perm: &[usize], ipiv: &mut [c_int]) {
    let n = perm.len();
    // `rows[p]` is the original row currently at position p; `pos` its inverse.
    let mut rows: Vec<usize> = (0..n).collect();
    let mut pos: Vec<usize> = (0..n).collect();
    for i in 0..n {
        let j = pos[perm[i]];
        ipiv[i] = lapack_int(j + 1);
        let (ri, rj) = (rows[i], rows[j]);
        rows.swap(i, j);
        pos[ri] = j;
        pos[rj] = i;
    }
}

/// The reference unblocked right-looking LU with partial pivoting (LAPACK `DGETF2`) in place;
/// returns the 0-based index of the first exactly zero pivot, if any.
fn getf2(mut a: MatMut<'_, f64>, ipiv: &mut [c_int]) -> Option<usize> {
    let n = a.nrows();
    let mut first_zero = None;
    for j in 0..n {
        // First index of the largest |a_ij|, i ≥ j (IDAMAX).
        let mut p = j;
        for i in j + 1..n {
            if a[(i, j)].abs() > a[(p, j)].abs() {
                p = i;
            }
        }
        ipiv[j] = lapack_int(p + 1);
        if a[(p, j)] != 0.0 {
            if p != j {
                for c in 0..n {
                    let t = a[(j, c)];
                    a[(j, c)] = a[(p, c)];
                    a[(p, c)] = t;
                }
            }
            let pivot = a[(j, j)];
            if pivot.abs() >= f64::MIN_POSITIVE {
                let r = 1.0 / pivot;
                for i in j + 1..n {
                    a[(i, j)] *= r;
                }
            } else {
                for i in j + 1..n {
                    a[(i, j)] /= pivot;
                }
            }
        } else if first_zero.is_none() {
            first_zero = Some(j);
        }
        for c in j + 1..n {
            let ajc = a[(j, c)];
            for i in j + 1..n {
                let lij = a[(i, j)];
                a[(i, c)] -= lij * ajc;
            }
        }
    }
    first_zero
}

#[cfg(test)]
mod tests {
    use super::transpositions;

    #[test]
    fn permutation_to_interchanges() {
        // P·A has rows (2, 0, 3, 1) of A.
        let perm = [2, 0, 3, 1];
        let mut ipiv = [0; 4];
        transpositions(&perm, &mut ipiv);
        // Applying the interchanges in order to (0, 1, 2, 3) must give perm.
        let mut rows = [0, 1, 2, 3];
        for (i, &p) in ipiv.iter().enumerate() {
            rows.swap(i, (p - 1) as usize);
        }
        assert_eq!(rows, perm);
    }
}
