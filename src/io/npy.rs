//! Reader for NumPy `.npy` files holding `float64` or `complex128` arrays.
//!
//! Accepted format (NumPy format versions 1.0, 2.0 and 3.0):
//!
//! * Magic `\x93NUMPY`, major and minor version byte (`1 0`, `2 0` or `3 0`), the
//!   header length (little-endian `u16` for 1.0, `u32` for 2.0/3.0), then the
//!   header: a Python dict literal with exactly the keys `'descr'`, `'fortran_order'`
//!   and `'shape'` (single- or double-quoted keys, optional trailing comma), padded
//!   with spaces and usually ending in `\n`. Header alignment is not enforced.
//! * `descr` must be `'<f8'` or `'>f8'` (float64) or `'<c16'` or `'>c16'`
//!   (complex128, real part first). Every other dtype, including structured
//!   dtypes, is rejected.
//! * `fortran_order` is `True` or `False`; both orders are accepted.
//! * `shape` is a tuple (or list) of 0 to 3 non-negative integers (`()`, `(n,)`, `(m, n)`,
//!   `(k, m, n)`); 4-D and higher is rejected. Python 2's `3L` suffix is tolerated.
//! * The element count (product of the shape, 1 for `()`) must not overflow and
//!   must not exceed [`ReadLimits::max_elements`]; the data section must then be
//!   exactly `count * itemsize` bytes long. Both are checked before any memory is
//!   allocated for the data. Extra trailing bytes are an error.
//! * Every value must be finite; a NaN or infinity is reported with its index in
//!   the file's logical shape, e.g. `[2, 3]`.
//!
//! The result is a [`RawArray`] in column-major layout whatever the file order:
//! a C-order 2-D array is transposed into column-major storage and a 3-D array of
//! shape `(k, m, n)` becomes `k` consecutive column-major `m×n` matrices.
//!
//! Implementation note: the header is parsed by hand rather than with
//! `npyz::NpyHeader`, because npyz 0.8 multiplies the shape without overflow
//! checks (a panic in debug builds on hostile input) and allocates a buffer of the
//! declared header length before reading it. npyz is used in the tests to write
//! reference files.

use super::array::{
    element_count, format_shape, read_regular_file, RawArray, ReadError, ReadLimits,
};
use num_complex::Complex64;
use std::path::Path;

/// Reads a `.npy` file from `path`.
///
/// The path must name a regular file (directories, devices such as `/dev/zero`,
/// fifos and sockets are refused without being read) no larger than
/// `limits.max_file_bytes`; its bytes are then passed to [`parse_npy`].
///
/// # Errors
/// Any I/O problem or format violation, described without the path.
pub fn read_npy(path: &Path, limits: &ReadLimits) -> Result<RawArray, ReadError> {
    let bytes = read_regular_file(path, limits, ".npy")?;
    parse_npy(&bytes, limits)
}

/// Parses the bytes of a `.npy` file (see the module documentation for the rules).
///
/// # Errors
/// Any format violation; never panics.
pub fn parse_npy(bytes: &[u8], limits: &ReadLimits) -> Result<RawArray, ReadError> {
    let header = parse_header(bytes)?;
    let nd = header.shape.len();
    if nd > 3 {
        return Err(ReadError::new(format!(
            "unsupported .npy array with {nd} dimensions (shape {}): expected 0 to 3",
            format_shape(&header.shape)
        )));
    }
    let count = element_count(&header.shape, limits)?;
    let item = if header.complex { 16 } else { 8 };
    let needed = count.checked_mul(item).ok_or_else(|| {
        ReadError::new(format!(
            "shape {} is too large (byte count overflows)",
            format_shape(&header.shape)
        ))
    })?;
    let payload = bytes.get(header.data_offset..).unwrap_or(&[]);
    if payload.len() < needed {
        return Err(ReadError::new(format!(
            "data section has {} bytes but shape {} of '{}' needs {needed} bytes (file is truncated)",
            payload.len(),
            format_shape(&header.shape),
            header.descr
        )));
    }
    if payload.len() > needed {
        return Err(ReadError::new(format!(
            "file has {} bytes after the data",
            payload.len() - needed
        )));
    }

    // View the array as (k, m, n), padding missing leading axes with extent 1.
    let mut dims = [1usize; 3];
    let mut strides = [0usize; 3];
    let first = 3 - nd;
    for a in 0..nd {
        dims[first + a] = header.shape[a];
        strides[first + a] = if header.fortran {
            header.shape[..a].iter().product()
        } else {
            header.shape[a + 1..].iter().product()
        };
    }
    let [k, m, n] = dims;
    let [sk, sm, sn] = strides;

    let mut data = Vec::with_capacity(count);
    if count > 0 {
        for s in 0..k {
            for j in 0..n {
                for i in 0..m {
                    // Each term is below `count`, whose byte size fits in usize.
                    let pos = (s * sk + i * sm + j * sn) * item;
                    let value = read_value(payload, pos, header.complex, header.big_endian)
                        .ok_or_else(|| {
                            ReadError::new("internal error: element outside the data")
                        })?;
                    if !value.re.is_finite() || !value.im.is_finite() {
                        let logical = [s, i, j];
                        let idx = format_shape(&logical[first..]);
                        let msg = if !header.complex {
                            format!("non-finite value {} at index {idx}", value.re)
                        } else if !value.re.is_finite() {
                            format!("non-finite value {} (real part) at index {idx}", value.re)
                        } else {
                            format!(
                                "non-finite value {} (imaginary part) at index {idx}",
                                value.im
                            )
                        };
                        return Err(ReadError::new(msg));
                    }
                    data.push(value);
                }
            }
        }
    }
    Ok(RawArray {
        shape: header.shape,
        data,
        is_complex: header.complex,
    })
}

fn read_f64(bytes: &[u8], pos: usize, big_endian: bool) -> Option<f64> {
    let chunk: [u8; 8] = bytes.get(pos..pos.checked_add(8)?)?.try_into().ok()?;
    Some(if big_endian {
        f64::from_be_bytes(chunk)
    } else {
        f64::from_le_bytes(chunk)
    })
}

fn read_value(bytes: &[u8], pos: usize, complex: bool, big_endian: bool) -> Option<Complex64> {
    let re = read_f64(bytes, pos, big_endian)?;
    let im = if complex {
        read_f64(bytes, pos.checked_add(8)?, big_endian)?
    } else {
        0.0
    };
    Some(Complex64::new(re, im))
}

/// The interpreted header.
struct Header {
    descr: String,
    complex: bool,
    big_endian: bool,
    fortran: bool,
    shape: Vec<usize>,
    data_offset: usize,
}

const MAGIC: &[u8] = b"\x93NUMPY";
const EXPECTED_DTYPE: &str = "expected float64 ('<f8') or complex128 ('<c16')";

fn parse_header(bytes: &[u8]) -> Result<Header, ReadError> {
    if bytes.get(..MAGIC.len()) != Some(MAGIC) {
        return Err(ReadError::new(
            "not a .npy file: it does not start with the magic string '\\x93NUMPY'",
        ));
    }
    let (major, minor) = match (bytes.get(6), bytes.get(7)) {
        (Some(&a), Some(&b)) => (a, b),
        _ => return Err(ReadError::new("file ends inside the .npy preamble")),
    };
    let (len_bytes, start) = match (major, minor) {
        (1, 0) => (2usize, 10usize),
        (2, 0) | (3, 0) => (4, 12),
        _ => {
            return Err(ReadError::new(format!(
                "unsupported .npy format version {major}.{minor}: expected 1.0, 2.0 or 3.0"
            )))
        }
    };
    let len_field = bytes
        .get(8..8 + len_bytes)
        .ok_or_else(|| ReadError::new("file ends inside the .npy preamble"))?;
    let header_len = len_field
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let available = (bytes.len() - start.min(bytes.len())) as u64;
    if header_len > available {
        return Err(ReadError::new(format!(
            "file ends inside the header: it declares {header_len} header bytes but only {available} follow"
        )));
    }
    // header_len <= available <= bytes.len(), so it fits in usize.
    let end = start + header_len as usize;
    let text = bytes
        .get(start..end)
        .ok_or_else(|| ReadError::new("file ends inside the header"))?;

    let mut p = PyParser { s: text, pos: 0 };
    let dict = match p.value(0)? {
        PyVal::Dict(d) => d,
        _ => {
            return Err(ReadError::new(
                "malformed .npy header: expected a dict literal",
            ))
        }
    };
    p.skip_ws();
    if p.pos < text.len() {
        return Err(ReadError::new(format!(
            "malformed .npy header: unexpected text after the dict at header byte {}",
            p.pos
        )));
    }

    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (key, val) in dict {
        let slot_taken = match key.as_str() {
            "descr" => descr.replace(val).is_some(),
            "fortran_order" => fortran.replace(val).is_some(),
            "shape" => shape.replace(val).is_some(),
            other => {
                return Err(ReadError::new(format!(
                    "malformed .npy header: unexpected key '{other}' (expected 'descr', 'fortran_order' and 'shape')"
                )))
            }
        };
        if slot_taken {
            return Err(ReadError::new(format!(
                "malformed .npy header: key '{key}' appears twice"
            )));
        }
    }
    let missing = |k: &str| ReadError::new(format!("malformed .npy header: missing key '{k}'"));

    let descr = match descr.ok_or_else(|| missing("descr"))? {
        PyVal::Str(s) => s,
        _ => {
            return Err(ReadError::new(format!(
                "unsupported .npy dtype (structured or non-string descr): {EXPECTED_DTYPE}"
            )))
        }
    };
    let (complex, big_endian) = match descr.as_str() {
        "<f8" => (false, false),
        ">f8" => (false, true),
        "<c16" => (true, false),
        ">c16" => (true, true),
        _ => {
            return Err(ReadError::new(format!(
                "unsupported .npy dtype '{descr}': {EXPECTED_DTYPE}"
            )))
        }
    };
    let fortran = match fortran.ok_or_else(|| missing("fortran_order"))? {
        PyVal::Bool(b) => b,
        _ => {
            return Err(ReadError::new(
                "malformed .npy header: 'fortran_order' must be True or False",
            ))
        }
    };
    let shape = match shape.ok_or_else(|| missing("shape"))? {
        PyVal::Tuple(items) => {
            let mut dims = Vec::with_capacity(items.len().min(8));
            for it in items {
                match it {
                    PyVal::Int(d) => dims.push(d),
                    _ => return Err(ReadError::new(
                        "malformed .npy header: 'shape' must be a tuple of non-negative integers",
                    )),
                }
            }
            dims
        }
        _ => {
            return Err(ReadError::new(
                "malformed .npy header: 'shape' must be a tuple of non-negative integers",
            ))
        }
    };
    Ok(Header {
        descr,
        complex,
        big_endian,
        fortran,
        shape,
        data_offset: end,
    })
}

/// The subset of Python literals that can appear in a `.npy` header.
enum PyVal {
    Str(String),
    Bool(bool),
    Int(usize),
    /// Tuple or list.
    Tuple(Vec<PyVal>),
    Dict(Vec<(String, PyVal)>),
}

struct PyParser<'a> {
    s: &'a [u8],
    pos: usize,
}

const MAX_DEPTH: usize = 8;
/// More items than this in one tuple, list or dict is certainly not a supported header.
const MAX_ITEMS: usize = 64;

impl PyParser<'_> {
    fn err(&self, what: &str) -> ReadError {
        ReadError::new(format!(
            "malformed .npy header: {what} at header byte {}",
            self.pos
        ))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyVal, ReadError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.skip_ws();
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => Ok(PyVal::Str(self.string(q)?)),
            Some(b'T') if self.s[self.pos..].starts_with(b"True") => {
                self.pos += 4;
                Ok(PyVal::Bool(true))
            }
            Some(b'F') if self.s[self.pos..].starts_with(b"False") => {
                self.pos += 5;
                Ok(PyVal::Bool(false))
            }
            Some(b'0'..=b'9') => self.int(),
            Some(b'-') => Err(self.err("negative number")),
            Some(open @ (b'(' | b'[')) => {
                let close = if open == b'(' { b')' } else { b']' };
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(close) {
                        break;
                    }
                    if items.len() >= MAX_ITEMS {
                        return Err(self.err("too many items in a tuple"));
                    }
                    items.push(self.value(depth + 1)?);
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(close) {
                        break;
                    }
                    return Err(self.err("expected ',' or a closing bracket"));
                }
                Ok(PyVal::Tuple(items))
            }
            Some(b'{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    if items.len() >= MAX_ITEMS {
                        return Err(self.err("too many keys in a dict"));
                    }
                    self.skip_ws();
                    let key = match self.peek() {
                        Some(q @ (b'\'' | b'"')) => self.string(q)?,
                        _ => return Err(self.err("expected a quoted dict key")),
                    };
                    if !self.eat(b':') {
                        return Err(self.err("expected ':' after a dict key"));
                    }
                    let v = self.value(depth + 1)?;
                    items.push((key, v));
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b'}') {
                        break;
                    }
                    return Err(self.err("expected ',' or '}'"));
                }
                Ok(PyVal::Dict(items))
            }
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of header")),
        }
    }

    fn string(&mut self, quote: u8) -> Result<String, ReadError> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                Some(c) if c == quote => break,
                Some(b'\\') => return Err(self.err("escape sequences are not supported")),
                Some(b'\n') | None => return Err(self.err("unterminated string")),
                Some(_) => self.pos += 1,
            }
        }
        let raw = &self.s[start..self.pos];
        self.pos += 1;
        Ok(String::from_utf8_lossy(raw).into_owned())
    }

    fn int(&mut self) -> Result<PyVal, ReadError> {
        let mut v: usize = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(c - b'0')))
                .ok_or_else(|| self.err("shape dimension too large"))?;
            self.pos += 1;
        }
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.pos += 1;
        }
        Ok(PyVal::Int(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::WriterBuilder;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    /// Builds a version 1.0 `.npy` file by hand.
    fn npy(descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
        npy_descr(&format!("'{descr}'"), fortran, shape, payload)
    }

    /// Like `npy` but with the descr given as a Python literal.
    fn npy_descr(descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
        let fo = if fortran { "True" } else { "False" };
        let mut h = format!("{{'descr': {descr}, 'fortran_order': {fo}, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn le(vals: &[f64]) -> Vec<u8> {
        vals.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn be(vals: &[f64]) -> Vec<u8> {
        vals.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    fn seq(n: usize) -> Vec<f64> {
        (0..n).map(|x| x as f64).collect()
    }

    fn lim() -> ReadLimits {
        ReadLimits::default()
    }

    fn err_msg(r: Result<RawArray, ReadError>) -> String {
        match r {
            Ok(a) => format!("unexpected success: {a:?}"),
            Err(e) => e.message,
        }
    }

    fn reals(a: &RawArray) -> Vec<f64> {
        a.data.iter().map(|z| z.re).collect()
    }

    #[test]
    fn c_order_2d_is_transposed() -> Result<(), ReadError> {
        // C order (2, 3): entry (i, j) = 3i + j.
        let a = parse_npy(&npy("<f8", false, "(2, 3)", &le(&seq(6))), &lim())?;
        assert_eq!(a.shape, vec![2, 3]);
        assert!(!a.is_complex);
        assert_eq!(reals(&a), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        Ok(())
    }

    #[test]
    fn fortran_order_2d_is_copied() -> Result<(), ReadError> {
        let a = parse_npy(&npy("<f8", true, "(2, 3)", &le(&seq(6))), &lim())?;
        assert_eq!(reals(&a), seq(6));
        Ok(())
    }

    #[test]
    fn three_d_both_orders() -> Result<(), ReadError> {
        let (k, m, n) = (2usize, 2usize, 3usize);
        let a = parse_npy(&npy("<f8", false, "(2, 2, 3)", &le(&seq(12))), &lim())?;
        assert_eq!(a.shape, vec![2, 2, 3]);
        let b = parse_npy(&npy("<f8", true, "(2, 2, 3)", &le(&seq(12))), &lim())?;
        for s in 0..k {
            for i in 0..m {
                for j in 0..n {
                    let out = s * m * n + i + j * m;
                    assert_eq!(a.data[out].re, (s * m * n + i * n + j) as f64);
                    assert_eq!(b.data[out].re, (s + i * k + j * k * m) as f64);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn zero_and_one_d() -> Result<(), ReadError> {
        let a = parse_npy(&npy("<f8", false, "()", &le(&[2.5])), &lim())?;
        assert_eq!(a.shape, Vec::<usize>::new());
        assert_eq!(a.data, vec![c(2.5, 0.0)]);
        let b = parse_npy(&npy("<f8", true, "(4,)", &le(&seq(4))), &lim())?;
        assert_eq!(b.shape, vec![4]);
        assert_eq!(reals(&b), seq(4));
        let e = parse_npy(&npy("<f8", false, "(0, 7)", &[]), &lim())?;
        assert!(e.data.is_empty());
        // An empty array with a huge other axis must not loop over it.
        let e = parse_npy(&npy("<f8", false, "(0, 1000000000000000)", &[]), &lim())?;
        assert!(e.data.is_empty());
        Ok(())
    }

    #[test]
    fn complex_and_big_endian() -> Result<(), ReadError> {
        let a = parse_npy(
            &npy("<c16", false, "(1, 2)", &le(&[1.0, 2.0, 3.0, -4.0])),
            &lim(),
        )?;
        assert!(a.is_complex);
        assert_eq!(a.data, vec![c(1.0, 2.0), c(3.0, -4.0)]);
        let b = parse_npy(
            &npy(">c16", false, "(1, 2)", &be(&[1.0, 2.0, 3.0, -4.0])),
            &lim(),
        )?;
        assert_eq!(a, b);
        let r = parse_npy(&npy(">f8", false, "(2,)", &be(&[1.5, -2.0])), &lim())?;
        assert_eq!(reals(&r), vec![1.5, -2.0]);
        Ok(())
    }

    #[test]
    fn version_2_and_double_quotes() -> Result<(), ReadError> {
        let h = "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2L,)}\n";
        let mut f = b"\x93NUMPY\x02\x00".to_vec();
        f.extend_from_slice(&(h.len() as u32).to_le_bytes());
        f.extend_from_slice(h.as_bytes());
        f.extend_from_slice(&le(&[1.0, 2.0]));
        let a = parse_npy(&f, &lim())?;
        assert_eq!(reals(&a), vec![1.0, 2.0]);
        Ok(())
    }

    #[test]
    fn matches_npyz_writer() -> Result<(), Box<dyn std::error::Error>> {
        for &order in &[npyz::Order::C, npyz::Order::Fortran] {
            for shape in [vec![3u64, 4], vec![2, 3, 4], vec![5], vec![]] {
                let count: u64 = shape.iter().product();
                let vals: Vec<Complex64> = (0..count)
                    .map(|x| c(x as f64 + 0.5, -(x as f64) * 2.0))
                    .collect();
                let mut buf = Vec::new();
                {
                    let mut w = npyz::WriteOptions::new()
                        .dtype(npyz::DType::new_scalar("<c16".parse()?))
                        .shape(&shape)
                        .order(order)
                        .writer(&mut buf)
                        .begin_nd()?;
                    w.extend(vals.iter().copied())?;
                    w.finish()?;
                }
                let a = parse_npy(&buf, &lim())?;
                let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
                assert_eq!(a.shape, dims);
                // Reference: the file's i-th element has multi-index given by the order.
                for (p, v) in vals.iter().enumerate() {
                    let mut idx = vec![0usize; dims.len()];
                    let mut rest = p;
                    let axes: Vec<usize> = match order {
                        npyz::Order::C => (0..dims.len()).rev().collect(),
                        npyz::Order::Fortran => (0..dims.len()).collect(),
                    };
                    for ax in axes {
                        idx[ax] = rest % dims[ax];
                        rest /= dims[ax];
                    }
                    let out = match dims.len() {
                        0 => 0,
                        1 => idx[0],
                        2 => idx[0] + idx[1] * dims[0],
                        _ => idx[0] * dims[1] * dims[2] + idx[1] + idx[2] * dims[1],
                    };
                    assert_eq!(a.data[out], *v, "order {order:?} shape {shape:?} p {p}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn rejects_other_dtypes() {
        let m = err_msg(parse_npy(&npy("<i4", false, "(2,)", &[0; 8]), &lim()));
        assert_eq!(
            m,
            "unsupported .npy dtype '<i4': expected float64 ('<f8') or complex128 ('<c16')"
        );
        let m = err_msg(parse_npy(&npy("<f4", false, "(2,)", &[0; 8]), &lim()));
        assert!(m.contains("'<f4'"), "{m}");
        let f = npy_descr("[('a', '<f8')]", false, "(2,)", &[0; 16]);
        let m = err_msg(parse_npy(&f, &lim()));
        assert!(m.contains("unsupported .npy dtype"), "{m}");
    }

    #[test]
    fn rejects_four_d() {
        let m = err_msg(parse_npy(
            &npy("<f8", false, "(1, 1, 1, 1)", &le(&[1.0])),
            &lim(),
        ));
        assert!(m.contains("4 dimensions"), "{m}");
    }

    #[test]
    fn rejects_too_many_elements_before_allocating() {
        let small = ReadLimits {
            max_elements: 5,
            max_file_bytes: 1 << 20,
        };
        let m = err_msg(parse_npy(
            &npy("<f8", false, "(2, 3)", &le(&seq(6))),
            &small,
        ));
        assert!(m.contains("more than the limit of 5"), "{m}");
        let m = err_msg(parse_npy(
            &npy("<f8", false, "(4294967296, 4294967296, 4294967296)", &[]),
            &lim(),
        ));
        assert!(m.contains("overflow"), "{m}");
        // Huge claimed shape within the limit but with no data: rejected without allocation.
        let big = ReadLimits {
            max_elements: usize::MAX,
            max_file_bytes: u64::MAX,
        };
        let m = err_msg(parse_npy(
            &npy("<c16", false, "(1000000000000,)", &[]),
            &big,
        ));
        assert!(m.contains("truncated"), "{m}");
        let m = err_msg(parse_npy(
            &npy("<c16", false, "(1152921504606846976,)", &[]),
            &big,
        ));
        assert!(m.contains("overflows"), "{m}");
    }

    #[test]
    fn rejects_short_and_long_data() {
        let m = err_msg(parse_npy(
            &npy("<f8", false, "(2, 3)", &le(&seq(5))),
            &lim(),
        ));
        assert_eq!(
            m,
            "data section has 40 bytes but shape [2, 3] of '<f8' needs 48 bytes (file is truncated)"
        );
        let mut payload = le(&seq(6));
        payload.extend_from_slice(&[1, 2, 3]);
        let m = err_msg(parse_npy(&npy("<f8", false, "(2, 3)", &payload), &lim()));
        assert_eq!(m, "file has 3 bytes after the data");
    }

    #[test]
    fn reports_non_finite_with_logical_index() {
        // C order (3, 4): file position 2*4 + 3 = 11 is index [2, 3].
        let mut v = seq(12);
        v[11] = f64::NAN;
        let m = err_msg(parse_npy(&npy("<f8", false, "(3, 4)", &le(&v)), &lim()));
        assert_eq!(m, "non-finite value NaN at index [2, 3]");
        // Fortran order (3, 4): position 2 + 3*3 = 11 is also [2, 3].
        let m = err_msg(parse_npy(&npy("<f8", true, "(3, 4)", &le(&v)), &lim()));
        assert_eq!(m, "non-finite value NaN at index [2, 3]");
        let mut v = vec![0.0; 4];
        v[3] = f64::NEG_INFINITY;
        let m = err_msg(parse_npy(&npy("<c16", false, "(2,)", &le(&v)), &lim()));
        assert_eq!(m, "non-finite value -inf (imaginary part) at index [1]");
        let m = err_msg(parse_npy(
            &npy("<f8", false, "()", &le(&[f64::INFINITY])),
            &lim(),
        ));
        assert_eq!(m, "non-finite value inf at index []");
    }

    #[test]
    fn rejects_malformed_headers() {
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\x93NUMP".to_vec(),
            b"\x93NUMPY\x04\x00\x00\x00".to_vec(),
            b"\x93NUMPY\x01\x00\xff\xff{}".to_vec(),
            npy("<f8", false, "(-2,)", &[]),
            npy("<f8", false, "(2.0,)", &[]),
            npy("<f8", false, "(99999999999999999999999,)", &[]),
            npy("<f8", false, "((((((((((2))))))))),)", &[]),
            npy("<f8", false, "[2]", &le(&[1.0, 2.0])),
        ];
        for (n, f) in cases.iter().enumerate() {
            let r = parse_npy(f, &lim());
            // The list form of shape is not a tuple in numpy, but accepting it is harmless.
            if n == 8 {
                assert!(r.is_ok());
            } else {
                assert!(r.is_err(), "case {n} accepted");
            }
        }
        let m = err_msg(parse_npy(b"hello world", &lim()));
        assert!(m.starts_with("not a .npy file"), "{m}");
        let h = "{'descr': '<f8', 'shape': (1,)}\n";
        let mut f = b"\x93NUMPY\x01\x00".to_vec();
        f.extend_from_slice(&(h.len() as u16).to_le_bytes());
        f.extend_from_slice(h.as_bytes());
        f.extend_from_slice(&le(&[1.0]));
        let m = err_msg(parse_npy(&f, &lim()));
        assert!(m.contains("missing key 'fortran_order'"), "{m}");
    }

    #[test]
    fn no_panic_on_mutations_and_truncations() {
        let mut base = npy("<c16", false, "(2, 3)", &le(&seq(12)));
        for len in 0..base.len() {
            assert!(parse_npy(&base[..len], &lim()).is_err());
        }
        let header_end = base.len() - 96;
        for pos in 0..header_end {
            let orig = base[pos];
            for v in [
                0u8, b'(', b')', b'\'', b'9', b',', 0xff, b' ', b'{', b'}', b'L',
            ] {
                base[pos] = v;
                let _ = parse_npy(&base, &lim());
            }
            base[pos] = orig;
        }
    }

    fn temp_path(tag: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "wirtinger-npy-test-{}-{tag}-{:?}.npy",
            std::process::id(),
            std::thread::current().id()
        ))
    }

    #[test]
    fn read_npy_file_and_refusals() -> Result<(), Box<dyn std::error::Error>> {
        let p = temp_path("ok");
        std::fs::write(&p, npy("<f8", true, "(2, 2)", &le(&seq(4))))?;
        let a = read_npy(&p, &lim());
        let small = ReadLimits {
            max_elements: 100,
            max_file_bytes: 10,
        };
        let too_big = read_npy(&p, &small);
        std::fs::remove_file(&p)?;
        assert_eq!(reals(&a?), seq(4));
        let m = err_msg(too_big);
        assert!(m.contains("more than the limit of 10 bytes"), "{m}");

        let m = err_msg(read_npy(&std::env::temp_dir(), &lim()));
        assert!(m.contains("directory"), "{m}");
        let dz = Path::new("/dev/zero");
        if dz.exists() {
            let m = err_msg(read_npy(dz, &lim()));
            assert!(m.contains("not a regular file"), "{m}");
        }
        let missing = temp_path("missing");
        let m = err_msg(read_npy(&missing, &lim()));
        assert!(m.starts_with("cannot access file"), "{m}");
        assert!(!m.contains("wirtinger-npy-test"), "{m}");
        Ok(())
    }
}
