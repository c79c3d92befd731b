//! Helpers shared by the SDP test files: problem-file text for dense matrices and the small
//! matrices the problems are built from.
#![allow(dead_code)]

/// A TOML array of arrays for a dense real matrix.
pub fn mat(m: &[Vec<f64>]) -> String {
    let rows: Vec<String> = m
        .iter()
        .map(|r| {
            let v: Vec<String> = r.iter().map(|x| format!("{x:?}")).collect();
            format!("[{}]", v.join(", "))
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

/// The n × n zero matrix.
pub fn zeros(n: usize) -> Vec<Vec<f64>> {
    vec![vec![0.0; n]; n]
}

/// The Laplacian (e_i − e_j)(e_i − e_j)ᵀ of the edge (i, j).
pub fn edge_laplacian(n: usize, i: usize, j: usize) -> Vec<Vec<f64>> {
    let mut m = zeros(n);
    m[i][i] = 1.0;
    m[j][j] = 1.0;
    m[i][j] = -1.0;
    m[j][i] = -1.0;
    m
}

/// A seeded n × n matrix with entries uniform in [−1, 1) (xorshift).
pub fn rand_mat(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    (0..n).map(|_| (0..n).map(|_| next()).collect()).collect()
}
