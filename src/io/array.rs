//! In-memory results of the file readers, their error type and resource limits.
//!
//! Layout rules shared by every reader in this module tree:
//!
//! * A [`RawArray`] stores its entries **column-major**. For a 2-D shape `[m, n]`
//!   entry `(i, j)` is `data[i + j*m]`. A 3-D shape `[k, m, n]` is a stack of `k`
//!   column-major `m×n` matrices: entry `(s, i, j)` is `data[s*m*n + i + j*m]`.
//!   A 0-D array (`shape == []`) holds exactly one element and a 1-D array is the
//!   plain vector.
//! * Real data is stored as [`Complex64`] with a zero imaginary part and
//!   `is_complex == false`.
//! * A [`Triplets`] matrix holds 0-based coordinates. Symmetric, hermitian and
//!   skew-symmetric storage has already been expanded to both triangles, and
//!   duplicate coordinates are kept in file order; [`Triplets::to_dense`] sums them.
//! * Every reader refuses, **before allocating**, any array whose element count
//!   exceeds [`ReadLimits::max_elements`] or overflows `usize`, and every file
//!   larger than [`ReadLimits::max_file_bytes`].
//! * Error messages are lowercase and never contain the file path; the caller
//!   prefixes it. Text formats fill in the 1-based [`ReadError::line`] and
//!   [`ReadError::column`] when the position is known.

use num_complex::Complex64;
use std::io::Read;
use std::path::Path;

/// A dense array read from a file.
///
/// `data` is column-major: for 2-D shape `[m, n]`, entry `(i, j)` is `data[i + j*m]`;
/// for a 3-D stack `[k, m, n]` it is `k` consecutive column-major `m×n` matrices
/// (entry `(s, i, j)` at `data[s*m*n + i + j*m]`); 0-D has one element, 1-D is the
/// vector. `data.len()` always equals the product of `shape` (1 for 0-D).
#[derive(Debug, Clone, PartialEq)]
pub struct RawArray {
    /// Logical dimensions, outermost first (`[m, n]` or `[k, m, n]`).
    pub shape: Vec<usize>,
    /// Entries in the column-major layout described on the type.
    pub data: Vec<Complex64>,
    /// `true` when the source held complex numbers; real sources have zero imaginary parts.
    pub is_complex: bool,
}

/// Sparse matrix in coordinate form (0-based).
///
/// Symmetric/hermitian/skew storage is already expanded to both triangles and
/// duplicates are kept in file order (callers sum them, as [`Triplets::to_dense`] does).
#[derive(Debug, Clone, PartialEq)]
pub struct Triplets {
    /// Number of rows.
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// `(row, column, value)` entries with 0-based indices.
    pub entries: Vec<(usize, usize, Complex64)>,
    /// `true` when the source held complex numbers.
    pub is_complex: bool,
}

impl Triplets {
    /// Converts to a dense column-major `[nrows, ncols]` [`RawArray`], summing duplicates.
    ///
    /// Uses the default [`ReadLimits`]; see [`Triplets::to_dense_with_limits`].
    ///
    /// # Errors
    /// When `nrows * ncols` overflows or exceeds the default `max_elements`, when an
    /// entry lies outside the matrix, or when summing duplicates overflows to a
    /// non-finite value.
    pub fn to_dense(&self) -> Result<RawArray, ReadError> {
        self.to_dense_with_limits(&ReadLimits::default())
    }

    /// Like [`Triplets::to_dense`] but checks `nrows * ncols` against the given limits.
    ///
    /// # Errors
    /// See [`Triplets::to_dense`].
    pub fn to_dense_with_limits(&self, limits: &ReadLimits) -> Result<RawArray, ReadError> {
        let shape = [self.nrows, self.ncols];
        let count = element_count(&shape, limits)?;
        let mut data = vec![Complex64::new(0.0, 0.0); count];
        for &(i, j, v) in &self.entries {
            if i >= self.nrows || j >= self.ncols {
                return Err(ReadError::new(format!(
                    "entry ({i}, {j}) lies outside the {}x{} matrix",
                    self.nrows, self.ncols
                )));
            }
            // i < nrows and j < ncols, so the index is below nrows*ncols, which fits.
            let k = i + j * self.nrows;
            match data.get_mut(k) {
                Some(slot) => *slot += v,
                None => {
                    return Err(ReadError::new(format!(
                        "entry ({i}, {j}) lies outside the {}x{} matrix",
                        self.nrows, self.ncols
                    )))
                }
            }
        }
        for (k, v) in data.iter().enumerate() {
            if !v.re.is_finite() || !v.im.is_finite() {
                let (i, j) = (k % self.nrows.max(1), k / self.nrows.max(1));
                return Err(ReadError::new(format!(
                    "sum of duplicate entries at ({i}, {j}) is not finite"
                )));
            }
        }
        Ok(RawArray {
            shape: shape.to_vec(),
            data,
            is_complex: self.is_complex,
        })
    }
}

/// Why a file could not be read.
///
/// `line`/`column` are 1-based positions inside the file when known (text formats).
/// Columns count characters from the start of the line. The message never contains
/// the file path.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    /// Lowercase human-readable description of the problem.
    pub message: String,
    /// 1-based line number, when known.
    pub line: Option<usize>,
    /// 1-based column number, when known.
    pub column: Option<usize>,
}

impl ReadError {
    /// An error without a position.
    pub fn new(message: impl Into<String>) -> Self {
        ReadError {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// An error at a 1-based `line` and optional 1-based `column`.
    pub fn at(message: impl Into<String>, line: usize, column: Option<usize>) -> Self {
        ReadError {
            message: message.into(),
            line: Some(line),
            column,
        }
    }
}

impl std::fmt::Display for ReadError {
    /// Formats as `line L, column C: message`, `line L: message` or `message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            (None, Some(c)) => write!(f, "column {c}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ReadError {}

/// Resource limits for readers.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Largest number of array elements (or declared sparse entries) a reader will accept.
    pub max_elements: usize,
    /// Largest file size in bytes a reader will open.
    pub max_file_bytes: u64,
}

impl Default for ReadLimits {
    /// `max_elements = 1 << 28` (2^28 complex numbers = 4 GiB), `max_file_bytes = 8 << 30` (8 GiB).
    fn default() -> Self {
        ReadLimits {
            max_elements: 1 << 28,
            max_file_bytes: 8 << 30,
        }
    }
}

/// Product of `shape` (1 for an empty shape), refusing overflow and counts above
/// `limits.max_elements`.
pub(crate) fn element_count(shape: &[usize], limits: &ReadLimits) -> Result<usize, ReadError> {
    let mut count: usize = 1;
    for &d in shape {
        count = count.checked_mul(d).ok_or_else(|| {
            ReadError::new(format!(
                "shape {} has too many elements (the count overflows)",
                format_shape(shape)
            ))
        })?;
    }
    if count > limits.max_elements {
        return Err(ReadError::new(format!(
            "shape {} has {count} elements, more than the limit of {}",
            format_shape(shape),
            limits.max_elements
        )));
    }
    Ok(count)
}

/// Formats a shape or index as `[a, b, c]`.
pub(crate) fn format_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Reads a whole file after checking that it is a regular file no larger than
/// `limits.max_file_bytes`. `what` names the expected format for messages (e.g. ".npy").
pub(crate) fn read_regular_file(
    path: &Path,
    limits: &ReadLimits,
    what: &str,
) -> Result<Vec<u8>, ReadError> {
    // Check the type via the path first: opening a fifo for reading would block.
    let meta = std::fs::metadata(path)
        .map_err(|e| ReadError::new(format!("cannot access file: {}", lower_io(&e))))?;
    check_file_meta(&meta, limits, what)?;
    let file = std::fs::File::open(path)
        .map_err(|e| ReadError::new(format!("cannot open file: {}", lower_io(&e))))?;
    // Re-check on the open handle in case the path changed in between.
    let meta = file
        .metadata()
        .map_err(|e| ReadError::new(format!("cannot inspect file: {}", lower_io(&e))))?;
    check_file_meta(&meta, limits, what)?;
    let mut bytes = Vec::new();
    // Never read more than the limit allows, even if the file grows meanwhile.
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::new(format!("cannot read file: {}", lower_io(&e))))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ReadError::new(format!(
            "file is larger than the limit of {} bytes",
            limits.max_file_bytes
        )));
    }
    Ok(bytes)
}

fn check_file_meta(
    meta: &std::fs::Metadata,
    limits: &ReadLimits,
    what: &str,
) -> Result<(), ReadError> {
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(ReadError::new(format!(
            "is a directory, expected a regular {what} file"
        )));
    }
    if !ft.is_file() {
        return Err(ReadError::new(format!(
            "is not a regular file (a device, fifo or socket), expected a regular {what} file"
        )));
    }
    if meta.len() > limits.max_file_bytes {
        return Err(ReadError::new(format!(
            "file is {} bytes, more than the limit of {} bytes",
            meta.len(),
            limits.max_file_bytes
        )));
    }
    Ok(())
}

/// Lowercases the first character of an I/O error description ("No such file..." → "no such file...").
fn lower_io(e: &std::io::Error) -> String {
    let s = e.to_string();
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    #[test]
    fn to_dense_sums_duplicates_column_major() -> Result<(), ReadError> {
        let t = Triplets {
            nrows: 2,
            ncols: 3,
            entries: vec![
                (0, 0, c(1.0, 0.0)),
                (1, 2, c(2.0, 1.0)),
                (1, 2, c(3.0, -1.0)),
                (0, 1, c(4.0, 0.0)),
            ],
            is_complex: true,
        };
        let d = t.to_dense()?;
        assert_eq!(d.shape, vec![2, 3]);
        assert!(d.is_complex);
        let want = [
            c(1.0, 0.0),
            c(0.0, 0.0),
            c(4.0, 0.0),
            c(0.0, 0.0),
            c(0.0, 0.0),
            c(5.0, 0.0),
        ];
        assert_eq!(d.data, want);
        Ok(())
    }

    #[test]
    fn to_dense_rejects_out_of_range_and_huge() {
        let t = Triplets {
            nrows: 2,
            ncols: 2,
            entries: vec![(2, 0, c(1.0, 0.0))],
            is_complex: false,
        };
        assert!(t.to_dense().is_err());
        let t = Triplets {
            nrows: usize::MAX,
            ncols: 2,
            entries: vec![],
            is_complex: false,
        };
        let e = t.to_dense().err().map(|e| e.message).unwrap_or_default();
        assert!(e.contains("overflow"), "{e}");
        let t = Triplets {
            nrows: 100,
            ncols: 100,
            entries: vec![],
            is_complex: false,
        };
        let lim = ReadLimits {
            max_elements: 9999,
            max_file_bytes: 10,
        };
        let e = t
            .to_dense_with_limits(&lim)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(e.contains("more than the limit of 9999"), "{e}");
    }

    #[test]
    fn to_dense_rejects_overflowing_sum() {
        let t = Triplets {
            nrows: 1,
            ncols: 1,
            entries: vec![(0, 0, c(1e308, 0.0)), (0, 0, c(1e308, 0.0))],
            is_complex: false,
        };
        assert!(t.to_dense().is_err());
    }

    #[test]
    fn display_formats() {
        assert_eq!(ReadError::new("bad").to_string(), "bad");
        assert_eq!(ReadError::at("bad", 3, None).to_string(), "line 3: bad");
        assert_eq!(
            ReadError::at("bad", 3, Some(7)).to_string(),
            "line 3, column 7: bad"
        );
    }

    #[test]
    fn default_limits() {
        let l = ReadLimits::default();
        assert_eq!(l.max_elements, 1 << 28);
        assert_eq!(l.max_file_bytes, 8u64 << 30);
    }

    #[test]
    fn element_count_empty_shape_is_one() {
        assert_eq!(element_count(&[], &ReadLimits::default()), Ok(1));
        assert_eq!(element_count(&[0, 5], &ReadLimits::default()), Ok(0));
    }
}
