//! Reader for Matrix Market (`.mtx`) files, written by hand.
//!
//! Accepted format:
//!
//! * **Banner**, the first line (an optional UTF-8 byte-order mark before it is
//!   skipped): `%%MatrixMarket matrix <format> <field> <symmetry>` with
//!   format `coordinate` or `array`, field `real`, `complex`, `integer` or
//!   `pattern`, and symmetry `general`, `symmetric`, `hermitian` or
//!   `skew-symmetric`. Keywords are case-insensitive and separated by blanks.
//!   `pattern` is only allowed with `coordinate` and with `general` or `symmetric`
//!   symmetry (as in the Matrix Market specification); `hermitian` only with
//!   `complex`. `integer` values are read as real numbers.
//! * **Comment lines** (first non-blank character `%`) and **blank lines** may
//!   appear anywhere after the banner and are skipped.
//! * **Size line**: `m n nnz` for `coordinate`, `m n` for `array` (non-negative
//!   decimal integers). `symmetric`, `hermitian` and `skew-symmetric` require
//!   `m == n`. A coordinate file's `nnz`, or an array file's `m*n`, above
//!   [`ReadLimits::max_elements`] (or overflowing) is refused before anything is
//!   allocated; storage then grows with the entries actually present.
//! * **Coordinate entries**, exactly one per line: `i j` (pattern), `i j re`
//!   (real, integer) or `i j re im` (complex), with 1-based indices
//!   `1 <= i <= m`, `1 <= j <= n`. Exactly `nnz` entry lines must follow.
//!   Duplicates are kept in file order. For symmetric, hermitian and
//!   skew-symmetric files an entry strictly above the diagonal (`i < j`) is an
//!   error; each off-diagonal entry `(i, j, v)` is mirrored to `(j, i, v)`,
//!   `(j, i, conj v)` or `(j, i, -v)` respectively. A hermitian diagonal entry
//!   must have a zero imaginary part and a skew-symmetric diagonal entry must be
//!   zero. Pattern entries have the value 1.
//! * **Array entries**, exactly one value (`re`, or `re im` for complex) per line,
//!   in column-major order: all `m*n` entries for `general`; for `symmetric` and
//!   `hermitian` only the lower triangle including the diagonal, column by column
//!   (`n(n+1)/2` values); for `skew-symmetric` the lower triangle without the
//!   diagonal (`n(n-1)/2` values). The other triangle is filled by mirroring.
//! * **Numbers** use Rust's `f64` syntax (`1`, `-2.5`, `1e-3`, `.5`, `+3`), must
//!   be finite: `nan` and `inf` tokens and values that overflow to infinity are
//!   errors. Lines may end in `\n` or `\r\n`. The file must be valid UTF-8.
//! * After the last entry only blank and comment lines may follow.
//!
//! Every error carries the 1-based line and, when it concerns a token, the
//! 1-based column (counted in characters) of that token.

use super::array::{read_regular_file, RawArray, ReadError, ReadLimits, Triplets};
use num_complex::Complex64;
use std::path::Path;

/// A matrix read from a Matrix Market file.
#[derive(Debug, Clone, PartialEq)]
pub enum Mtx {
    /// An `array` file: a dense column-major `[m, n]` [`RawArray`], symmetric storage expanded.
    Dense(RawArray),
    /// A `coordinate` file: 0-based [`Triplets`], symmetric storage expanded, duplicates kept.
    Coordinate(Triplets),
}

/// Reads a Matrix Market file from `path`.
///
/// The path must name a regular file (directories, devices such as `/dev/zero`,
/// fifos and sockets are refused without being read) no larger than
/// `limits.max_file_bytes`; its bytes are then passed to [`parse_mtx`].
///
/// # Errors
/// Any I/O problem or format violation, described without the path.
pub fn read_mtx(path: &Path, limits: &ReadLimits) -> Result<Mtx, ReadError> {
    let bytes = read_regular_file(path, limits, "Matrix Market")?;
    parse_mtx(&bytes, limits)
}

/// Parses the bytes of a Matrix Market file (see the module documentation for the rules).
///
/// # Errors
/// Any format violation, with its line and column; never panics.
pub fn parse_mtx(text: &[u8], limits: &ReadLimits) -> Result<Mtx, ReadError> {
    let mut lines = Lines {
        text,
        pos: 0,
        line_no: 0,
    };
    let banner = parse_banner(&mut lines)?;

    // Size line.
    let (size_no, size_line) = loop {
        match lines.next_line()? {
            None => {
                return Err(ReadError::at(
                    format!("file ends before the size line ({})", banner.size_hint()),
                    lines.line_no.max(1),
                    None,
                ))
            }
            Some((_, l)) if is_skippable(l) => {}
            Some(x) => break x,
        }
    };
    let mut toks = Tokens::new(size_line);
    let nums_wanted = if banner.coordinate { 3 } else { 2 };
    let names = ["rows", "columns", "entries"];
    let mut nums = [0usize; 3];
    let mut cols = [0usize; 3];
    for k in 0..nums_wanted {
        let (col, tok) = toks.next().ok_or_else(|| {
            ReadError::at(
                format!(
                    "size line has {k} numbers, expected {nums_wanted} ({})",
                    banner.size_hint()
                ),
                size_no,
                Some(toks.end_column()),
            )
        })?;
        nums[k] = parse_count(tok, names[k], size_no, col)?;
        cols[k] = col;
    }
    if let Some((col, tok)) = toks.next() {
        return Err(ReadError::at(
            format!(
                "unexpected token '{}' on the size line, expected {}",
                show(tok),
                banner.size_hint()
            ),
            size_no,
            Some(col),
        ));
    }
    let (m, n) = (nums[0], nums[1]);
    if banner.symmetry != Symmetry::General && m != n {
        return Err(ReadError::at(
            format!(
                "a {} matrix must be square, but the size line declares {m}x{n}",
                banner.symmetry.name()
            ),
            size_no,
            Some(cols[0]),
        ));
    }

    if banner.coordinate {
        let nnz = nums[2];
        if nnz > limits.max_elements {
            return Err(ReadError::at(
                format!(
                    "the size line declares {nnz} entries, more than the limit of {}",
                    limits.max_elements
                ),
                size_no,
                Some(cols[2]),
            ));
        }
        read_coordinate(&mut lines, &banner, m, n, nnz).map(Mtx::Coordinate)
    } else {
        let count = m.checked_mul(n).ok_or_else(|| {
            ReadError::at(
                format!("a {m}x{n} matrix has too many elements (the count overflows)"),
                size_no,
                Some(cols[0]),
            )
        })?;
        if count > limits.max_elements {
            return Err(ReadError::at(
                format!(
                    "a {m}x{n} matrix has {count} elements, more than the limit of {}",
                    limits.max_elements
                ),
                size_no,
                Some(cols[0]),
            ));
        }
        read_array(&mut lines, &banner, m, n).map(Mtx::Dense)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Real,
    Complex,
    Integer,
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symmetry {
    General,
    Symmetric,
    Hermitian,
    Skew,
}

impl Symmetry {
    fn name(self) -> &'static str {
        match self {
            Symmetry::General => "general",
            Symmetry::Symmetric => "symmetric",
            Symmetry::Hermitian => "hermitian",
            Symmetry::Skew => "skew-symmetric",
        }
    }

    /// The value stored at the mirrored position `(j, i)` for value `v` at `(i, j)`.
    fn mirror(self, v: Complex64) -> Complex64 {
        match self {
            Symmetry::General | Symmetry::Symmetric => v,
            Symmetry::Hermitian => v.conj(),
            Symmetry::Skew => -v,
        }
    }
}

struct Banner {
    coordinate: bool,
    field: Field,
    symmetry: Symmetry,
}

impl Banner {
    fn size_hint(&self) -> &'static str {
        if self.coordinate {
            "'rows columns entries'"
        } else {
            "'rows columns'"
        }
    }

    /// Number of value tokens per entry.
    fn value_tokens(&self) -> usize {
        match self.field {
            Field::Pattern => 0,
            Field::Real | Field::Integer => 1,
            Field::Complex => 2,
        }
    }

    fn entry_hint(&self) -> &'static str {
        match (self.coordinate, self.field) {
            (true, Field::Pattern) => "'row column'",
            (true, Field::Complex) => "'row column real imaginary'",
            (true, _) => "'row column value'",
            (false, Field::Complex) => "'real imaginary'",
            (false, _) => "'value'",
        }
    }
}

const BANNER_FORM: &str = "'%%MatrixMarket matrix <coordinate|array> <real|complex|integer|pattern> <general|symmetric|hermitian|skew-symmetric>'";

fn parse_banner(lines: &mut Lines<'_>) -> Result<Banner, ReadError> {
    let (no, line) = match lines.next_line()? {
        Some(x) => x,
        None => {
            return Err(ReadError::new(format!(
                "empty file: expected the banner {BANNER_FORM}"
            )))
        }
    };
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let mut toks = Tokens::new(line);
    let missing = |toks: &Tokens<'_>, what: &str| {
        ReadError::at(
            format!("incomplete banner: missing the {what}; expected {BANNER_FORM}"),
            no,
            Some(toks.end_column()),
        )
    };
    match toks.next() {
        Some((_, t)) if t.eq_ignore_ascii_case("%%MatrixMarket") => {}
        _ => {
            return Err(ReadError::at(
                format!("missing banner: the first line must be {BANNER_FORM}"),
                no,
                Some(1),
            ))
        }
    }
    let (col, object) = toks.next().ok_or_else(|| missing(&toks, "object"))?;
    if !object.eq_ignore_ascii_case("matrix") {
        return Err(ReadError::at(
            format!("unsupported object '{}': expected 'matrix'", show(object)),
            no,
            Some(col),
        ));
    }
    let (fcol, format) = toks.next().ok_or_else(|| missing(&toks, "format"))?;
    let coordinate = if format.eq_ignore_ascii_case("coordinate") {
        true
    } else if format.eq_ignore_ascii_case("array") {
        false
    } else {
        return Err(ReadError::at(
            format!(
                "unsupported format '{}': expected 'coordinate' or 'array'",
                show(format)
            ),
            no,
            Some(fcol),
        ));
    };
    let (col, field_tok) = toks.next().ok_or_else(|| missing(&toks, "field"))?;
    let field = match field_tok.to_ascii_lowercase().as_str() {
        "real" => Field::Real,
        "complex" => Field::Complex,
        "integer" => Field::Integer,
        "pattern" => Field::Pattern,
        _ => {
            return Err(ReadError::at(
                format!(
                    "unsupported field '{}': expected 'real', 'complex', 'integer' or 'pattern'",
                    show(field_tok)
                ),
                no,
                Some(col),
            ))
        }
    };
    let field_col = col;
    let (col, sym_tok) = toks.next().ok_or_else(|| missing(&toks, "symmetry"))?;
    let symmetry = match sym_tok.to_ascii_lowercase().as_str() {
        "general" => Symmetry::General,
        "symmetric" => Symmetry::Symmetric,
        "hermitian" => Symmetry::Hermitian,
        "skew-symmetric" => Symmetry::Skew,
        _ => {
            return Err(ReadError::at(
                format!(
                    "unsupported symmetry '{}': expected 'general', 'symmetric', 'hermitian' or 'skew-symmetric'",
                    show(sym_tok)
                ),
                no,
                Some(col),
            ))
        }
    };
    if let Some((c, t)) = toks.next() {
        return Err(ReadError::at(
            format!("unexpected token '{}' after the banner", show(t)),
            no,
            Some(c),
        ));
    }
    if field == Field::Pattern && !coordinate {
        return Err(ReadError::at(
            "the 'pattern' field is only allowed with the 'coordinate' format",
            no,
            Some(field_col),
        ));
    }
    if field == Field::Pattern && matches!(symmetry, Symmetry::Hermitian | Symmetry::Skew) {
        return Err(ReadError::at(
            format!(
                "the 'pattern' field is only allowed with 'general' or 'symmetric', not '{}'",
                symmetry.name()
            ),
            no,
            Some(col),
        ));
    }
    if symmetry == Symmetry::Hermitian && field != Field::Complex {
        return Err(ReadError::at(
            "'hermitian' symmetry requires the 'complex' field",
            no,
            Some(col),
        ));
    }
    Ok(Banner {
        coordinate,
        field,
        symmetry,
    })
}

/// Reads one entry's value tokens; returns the value and the column of its last token.
fn read_values(
    toks: &mut Tokens<'_>,
    banner: &Banner,
    found: usize,
    no: usize,
) -> Result<(Complex64, usize), ReadError> {
    let wanted = found + banner.value_tokens();
    let take = |k: usize, toks: &mut Tokens<'_>| -> Result<(usize, f64), ReadError> {
        match toks.next() {
            Some((c, t)) => Ok((c, parse_real(t, no, c)?)),
            None => Err(ReadError::at(
                format!(
                    "entry line has {k} numbers, expected {wanted} ({})",
                    banner.entry_hint()
                ),
                no,
                Some(toks.end_column()),
            )),
        }
    };
    let v = match banner.field {
        Field::Pattern => (Complex64::new(1.0, 0.0), 0),
        Field::Real | Field::Integer => {
            let (c, re) = take(found, toks)?;
            (Complex64::new(re, 0.0), c)
        }
        Field::Complex => {
            let (_, re) = take(found, toks)?;
            let (c, im) = take(found + 1, toks)?;
            (Complex64::new(re, im), c)
        }
    };
    if let Some((c, t)) = toks.next() {
        return Err(ReadError::at(
            format!(
                "unexpected extra token '{}', expected {wanted} numbers ({})",
                show(t),
                banner.entry_hint()
            ),
            no,
            Some(c),
        ));
    }
    Ok(v)
}

fn read_coordinate(
    lines: &mut Lines<'_>,
    banner: &Banner,
    m: usize,
    n: usize,
    nnz: usize,
) -> Result<Triplets, ReadError> {
    // Each entry line takes at least 4 bytes ("1 1\n"), so never reserve more than
    // the rest of the file could hold, whatever nnz claims.
    let cap = nnz.min(lines.remaining() / 4 + 1);
    let mut entries = Vec::with_capacity(cap);
    let mut read = 0usize;
    while read < nnz {
        let (no, line) = match lines.next_line()? {
            Some(x) => x,
            None => return Err(ends_early(nnz, read, lines.line_no)),
        };
        if is_skippable(line) {
            continue;
        }
        let mut toks = Tokens::new(line);
        let (ci, ti) = toks
            .next()
            .ok_or_else(|| ReadError::at("empty entry", no, None))?;
        let i = parse_index(ti, "row", m, no, ci)?;
        let (cj, tj) = toks.next().ok_or_else(|| {
            ReadError::at(
                format!(
                    "entry line has 1 number, expected {} ({})",
                    2 + banner.value_tokens(),
                    banner.entry_hint()
                ),
                no,
                Some(toks.end_column()),
            )
        })?;
        let j = parse_index(tj, "column", n, no, cj)?;
        let (v, vcol) = read_values(&mut toks, banner, 2, no)?;
        let (i, j) = (i - 1, j - 1);
        if banner.symmetry != Symmetry::General {
            if i < j {
                return Err(ReadError::at(
                    format!(
                        "entry ({}, {}) lies above the diagonal; a {} file stores only the lower triangle (row >= column)",
                        i + 1,
                        j + 1,
                        banner.symmetry.name()
                    ),
                    no,
                    Some(ci),
                ));
            }
            if i == j {
                check_diagonal(banner.symmetry, v, i, no, vcol)?;
            }
        }
        entries.push((i, j, v));
        if banner.symmetry != Symmetry::General && i != j {
            entries.push((j, i, banner.symmetry.mirror(v)));
        }
        read += 1;
    }
    check_no_more(lines, nnz)?;
    Ok(Triplets {
        nrows: m,
        ncols: n,
        entries,
        is_complex: banner.field == Field::Complex,
    })
}

fn read_array(
    lines: &mut Lines<'_>,
    banner: &Banner,
    m: usize,
    n: usize,
) -> Result<RawArray, ReadError> {
    // m*n fits (checked by the caller); for symmetric kinds m == n.
    let stored = match banner.symmetry {
        Symmetry::General => m * n,
        Symmetry::Symmetric | Symmetry::Hermitian => triangle(n),
        Symmetry::Skew => triangle(n.saturating_sub(1)),
    };
    // First stored row of column j.
    let first_row = |j: usize| match banner.symmetry {
        Symmetry::General => 0,
        Symmetry::Symmetric | Symmetry::Hermitian => j,
        Symmetry::Skew => j + 1,
    };
    // Collect the stored values first (each needs at least 2 bytes of file), and
    // allocate the dense matrix only once they are all present.
    let mut values = Vec::with_capacity(stored.min(lines.remaining() / 2 + 1));
    let (mut i, mut j) = (first_row(0), 0usize);
    while values.len() < stored {
        let (no, line) = match lines.next_line()? {
            Some(x) => x,
            None => return Err(ends_early(stored, values.len(), lines.line_no)),
        };
        if is_skippable(line) {
            continue;
        }
        let mut toks = Tokens::new(line);
        let (v, vcol) = read_values(&mut toks, banner, 0, no)?;
        if i == j {
            check_diagonal(banner.symmetry, v, i, no, vcol)?;
        }
        values.push((i, j, v));
        i += 1;
        if i >= m {
            j += 1;
            i = first_row(j);
        }
    }
    check_no_more(lines, stored)?;

    let mut data = vec![Complex64::new(0.0, 0.0); m * n];
    for (i, j, v) in values {
        let slot = data
            .get_mut(i + j * m)
            .ok_or_else(|| ReadError::new("internal error: array entry outside the matrix"))?;
        *slot = v;
        if banner.symmetry != Symmetry::General && i != j {
            if let Some(slot) = data.get_mut(j + i * m) {
                *slot = banner.symmetry.mirror(v);
            }
        }
    }
    Ok(RawArray {
        shape: vec![m, n],
        data,
        is_complex: banner.field == Field::Complex,
    })
}

/// `k(k+1)/2` without intermediate overflow (the caller knows `k*k` fits).
fn triangle(k: usize) -> usize {
    // k(k+1)/2 <= k*k for k >= 1, so the result fits in usize.
    ((k as u128 * (k as u128 + 1)) / 2) as usize
}

fn check_diagonal(
    sym: Symmetry,
    v: Complex64,
    i: usize,
    no: usize,
    col: usize,
) -> Result<(), ReadError> {
    match sym {
        Symmetry::Hermitian if v.im != 0.0 => Err(ReadError::at(
            format!(
                "diagonal entry ({0}, {0}) of a hermitian matrix has nonzero imaginary part {1}",
                i + 1,
                v.im
            ),
            no,
            Some(col),
        )),
        Symmetry::Skew if v != Complex64::new(0.0, 0.0) => Err(ReadError::at(
            format!(
                "diagonal entry ({0}, {0}) of a skew-symmetric matrix must be zero",
                i + 1
            ),
            no,
            Some(col),
        )),
        _ => Ok(()),
    }
}

fn ends_early(wanted: usize, found: usize, last_line: usize) -> ReadError {
    ReadError::at(
        format!("expected {wanted} entries, found {found} (file ends at line {last_line})"),
        last_line.max(1),
        None,
    )
}

fn check_no_more(lines: &mut Lines<'_>, declared: usize) -> Result<(), ReadError> {
    while let Some((no, line)) = lines.next_line()? {
        if is_skippable(line) {
            continue;
        }
        let col = Tokens::new(line).next().map(|(c, _)| c);
        return Err(ReadError::at(
            format!("too many entries: the file declares {declared}"),
            no,
            col,
        ));
    }
    Ok(())
}

/// Blank or comment line.
fn is_skippable(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('%')
}

/// Shortens a token for an error message.
fn show(tok: &str) -> String {
    const MAX: usize = 40;
    if tok.chars().count() <= MAX {
        tok.to_string()
    } else {
        let mut s: String = tok.chars().take(MAX).collect();
        s.push_str("...");
        s
    }
}

fn parse_count(tok: &str, what: &str, no: usize, col: usize) -> Result<usize, ReadError> {
    if !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReadError::at(
            format!(
                "expected the number of {what} (a non-negative integer), found '{}'",
                show(tok)
            ),
            no,
            Some(col),
        ));
    }
    tok.parse::<usize>().map_err(|_| {
        ReadError::at(
            format!("number of {what} '{}' is too large", show(tok)),
            no,
            Some(col),
        )
    })
}

fn parse_index(
    tok: &str,
    what: &str,
    max: usize,
    no: usize,
    col: usize,
) -> Result<usize, ReadError> {
    if !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReadError::at(
            format!(
                "expected a {what} index (a positive integer), found '{}'",
                show(tok)
            ),
            no,
            Some(col),
        ));
    }
    let out_of_range = || {
        let range = if max == 0 {
            format!("(the matrix has no {what}s)")
        } else {
            format!("1..={max}")
        };
        ReadError::at(
            format!("{what} index {} out of range {range}", show(tok)),
            no,
            Some(col),
        )
    };
    let v = tok.parse::<usize>().map_err(|_| out_of_range())?;
    if v == 0 || v > max {
        return Err(out_of_range());
    }
    Ok(v)
}

fn parse_real(tok: &str, no: usize, col: usize) -> Result<f64, ReadError> {
    let v: f64 = tok.parse().map_err(|_| {
        ReadError::at(
            format!("expected a number, found '{}'", show(tok)),
            no,
            Some(col),
        )
    })?;
    if v.is_finite() {
        return Ok(v);
    }
    let lower = tok.to_ascii_lowercase();
    let msg = if lower.contains("nan") || lower.contains("inf") {
        format!("non-finite value '{}' is not allowed", show(tok))
    } else {
        format!(
            "value '{}' is out of range for a 64-bit float (it overflows to infinity)",
            show(tok)
        )
    };
    Err(ReadError::at(msg, no, Some(col)))
}

/// Splits the file into UTF-8 lines with 1-based numbers.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line_no: usize,
}

impl<'a> Lines<'a> {
    /// Bytes not yet consumed.
    fn remaining(&self) -> usize {
        self.text.len().saturating_sub(self.pos)
    }

    /// The next line without its terminator, or `None` at the end of the text.
    /// A final `\n` does not start another (empty) line.
    fn next_line(&mut self) -> Result<Option<(usize, &'a str)>, ReadError> {
        let rest = match self.text.get(self.pos..) {
            Some(r) if !r.is_empty() => r,
            _ => return Ok(None),
        };
        let (raw, advance) = match rest.iter().position(|&b| b == b'\n') {
            Some(k) => (&rest[..k], k + 1),
            None => (rest, rest.len()),
        };
        self.pos += advance;
        self.line_no += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(Some((self.line_no, s))),
            Err(e) => {
                let good = raw.get(..e.valid_up_to()).unwrap_or(&[]);
                let col = std::str::from_utf8(good).map_or(1, |s| s.chars().count() + 1);
                let byte = raw.get(e.valid_up_to()).copied().unwrap_or(0);
                Err(ReadError::at(
                    format!("line is not valid utf-8 (invalid byte 0x{byte:02x})"),
                    self.line_no,
                    Some(col),
                ))
            }
        }
    }
}

/// Whitespace-separated tokens with their 1-based character columns.
struct Tokens<'a> {
    s: &'a str,
    /// Byte offset of the unread rest.
    byte: usize,
    /// Character column (0-based) of `byte`.
    col: usize,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Self {
        Tokens { s, byte: 0, col: 0 }
    }

    /// Column just past the end of the line (for "missing token" errors).
    fn end_column(&self) -> usize {
        self.s.chars().count() + 1
    }

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let rest = self.s.get(self.byte..)?;
        let mut start = None;
        let mut col = self.col;
        for (off, ch) in rest.char_indices() {
            match (start, ch.is_whitespace()) {
                (None, true) => {}
                (None, false) => start = Some((off, col)),
                (Some((s, c)), true) => {
                    self.byte += off;
                    self.col = col;
                    return rest.get(s..off).map(|t| (c + 1, t));
                }
                (Some(_), false) => {}
            }
            col += 1;
        }
        self.byte = self.s.len();
        self.col = col;
        let (s, c) = start?;
        rest.get(s..).map(|t| (c + 1, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    fn lim() -> ReadLimits {
        ReadLimits::default()
    }

    fn parse(s: &str) -> Result<Mtx, ReadError> {
        parse_mtx(s.as_bytes(), &lim())
    }

    fn dense(s: &str) -> Result<RawArray, ReadError> {
        match parse(s)? {
            Mtx::Dense(a) => Ok(a),
            Mtx::Coordinate(_) => Err(ReadError::new("expected dense")),
        }
    }

    fn coo(s: &str) -> Result<Triplets, ReadError> {
        match parse(s)? {
            Mtx::Coordinate(t) => Ok(t),
            Mtx::Dense(_) => Err(ReadError::new("expected coordinate")),
        }
    }

    fn err(s: &str) -> ReadError {
        match parse(s) {
            Ok(m) => ReadError::new(format!("unexpected success: {m:?}")),
            Err(e) => e,
        }
    }

    #[test]
    fn coordinate_general_real() -> Result<(), ReadError> {
        let t = coo("%%MatrixMarket matrix coordinate real general\n% comment\n\n3 4 3\n1 1 1.5\n3 4 -2e3\n1 1 1\n")?;
        assert_eq!((t.nrows, t.ncols), (3, 4));
        assert!(!t.is_complex);
        assert_eq!(
            t.entries,
            vec![
                (0, 0, c(1.5, 0.0)),
                (2, 3, c(-2000.0, 0.0)),
                (0, 0, c(1.0, 0.0))
            ]
        );
        let d = t.to_dense()?;
        assert_eq!(d.data[0], c(2.5, 0.0));
        assert_eq!(d.data[2 + 3 * 3], c(-2000.0, 0.0));
        Ok(())
    }

    #[test]
    fn banner_case_insensitive_crlf_and_bom() -> Result<(), ReadError> {
        let t =
            coo("\u{feff}%%matrixmarket MATRIX Coordinate Integer GENERAL\r\n2 2 1\r\n2 1 7\r\n")?;
        assert_eq!(t.entries, vec![(1, 0, c(7.0, 0.0))]);
        Ok(())
    }

    #[test]
    fn coordinate_symmetric_hermitian_skew_pattern() -> Result<(), ReadError> {
        let t = coo("%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n2 1 5\n3 3 1\n")?;
        assert_eq!(
            t.entries,
            vec![
                (1, 0, c(5.0, 0.0)),
                (0, 1, c(5.0, 0.0)),
                (2, 2, c(1.0, 0.0))
            ]
        );
        let t =
            coo("%%MatrixMarket matrix coordinate complex hermitian\n2 2 2\n1 1 3 0\n2 1 1 2\n")?;
        assert!(t.is_complex);
        assert_eq!(
            t.entries,
            vec![
                (0, 0, c(3.0, 0.0)),
                (1, 0, c(1.0, 2.0)),
                (0, 1, c(1.0, -2.0))
            ]
        );
        let t = coo("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 4\n")?;
        assert_eq!(t.entries, vec![(1, 0, c(4.0, 0.0)), (0, 1, c(-4.0, 0.0))]);
        let t = coo("%%MatrixMarket matrix coordinate pattern symmetric\n2 2 1\n2 1\n")?;
        assert_eq!(t.entries, vec![(1, 0, c(1.0, 0.0)), (0, 1, c(1.0, 0.0))]);
        let t = coo("%%MatrixMarket matrix coordinate complex skew-symmetric\n2 2 1\n2 1 1 -1\n")?;
        assert_eq!(t.entries, vec![(1, 0, c(1.0, -1.0)), (0, 1, c(-1.0, 1.0))]);
        Ok(())
    }

    #[test]
    fn array_general_and_expanded() -> Result<(), ReadError> {
        let a = dense("%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n")?;
        assert_eq!(a.shape, vec![2, 3]);
        let re: Vec<f64> = a.data.iter().map(|z| z.re).collect();
        assert_eq!(re, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);

        // Lower triangle by columns: (0,0) (1,0) (2,0) (1,1) (2,1) (2,2).
        let a = dense("%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n")?;
        let re: Vec<f64> = a.data.iter().map(|z| z.re).collect();
        assert_eq!(re, vec![1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 3.0, 5.0, 6.0]);

        let a = dense("%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n")?;
        let re: Vec<f64> = a.data.iter().map(|z| z.re).collect();
        assert_eq!(re, vec![0.0, 1.0, 2.0, -1.0, 0.0, 3.0, -2.0, -3.0, 0.0]);

        let a = dense("%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 3\n4 0\n")?;
        assert!(a.is_complex);
        assert_eq!(
            a.data,
            vec![c(1.0, 0.0), c(2.0, 3.0), c(2.0, -3.0), c(4.0, 0.0)]
        );

        let a = dense("%%MatrixMarket matrix array real skew-symmetric\n1 1\n")?;
        assert_eq!(a.data, vec![c(0.0, 0.0)]);
        let a = dense("%%MatrixMarket matrix array real general\n0 5\n")?;
        assert!(a.data.is_empty());
        Ok(())
    }

    #[test]
    fn stored_counts() -> Result<(), ReadError> {
        for n in 0..7usize {
            let sym: String = (0..n * (n + 1) / 2)
                .map(|k| format!("{}\n", k + 1))
                .collect();
            let a = dense(&format!(
                "%%MatrixMarket matrix array real symmetric\n{n} {n}\n{sym}"
            ))?;
            assert_eq!(a.data.len(), n * n);
            let skew: String = (0..n * n.saturating_sub(1) / 2)
                .map(|k| format!("{}\n", k + 1))
                .collect();
            let a = dense(&format!(
                "%%MatrixMarket matrix array real skew-symmetric\n{n} {n}\n{skew}"
            ))?;
            for i in 0..n {
                for j in 0..n {
                    assert_eq!(a.data[i + j * n], -a.data[j + i * n]);
                }
            }
        }
        Ok(())
    }

    #[test]
    fn errors_carry_positions() {
        let e = err("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n");
        assert_eq!(e.message, "expected a number, found 'abc'");
        assert_eq!((e.line, e.column), (Some(3), Some(5)));

        let e = err("%%MatrixMarket matrix coordinate real general\n5 5 1\n7 1 1\n");
        assert_eq!(e.message, "row index 7 out of range 1..=5");
        assert_eq!((e.line, e.column), (Some(3), Some(1)));

        let e = err("%%MatrixMarket matrix coordinate real general\n5 5 1\n1  0 1\n");
        assert_eq!(e.message, "column index 0 out of range 1..=5");
        assert_eq!((e.line, e.column), (Some(3), Some(4)));

        let e = err("%%MatrixMarket matrix coordinate real general\n% c\n5 5 3\n1 1 1\n2 2 2\n");
        assert_eq!(
            e.message,
            "expected 3 entries, found 2 (file ends at line 5)"
        );
        assert_eq!(e.line, Some(5));

        let e = err("%%MatrixMarket matrix coordinate real general\n5 5 1\n1 1 1\n2 2 2\n");
        assert!(e.message.starts_with("too many entries"), "{}", e.message);
        assert_eq!((e.line, e.column), (Some(4), Some(1)));

        let e = err("%%MatrixMarket matrix coordinate real general\n5 5 1\n1 1\n");
        assert_eq!(
            e.message,
            "entry line has 2 numbers, expected 3 ('row column value')"
        );
        assert_eq!((e.line, e.column), (Some(3), Some(4)));

        let e = err("%%MatrixMarket matrix coordinate real general\n5 5 1\n1 1 1 9\n");
        assert!(
            e.message.starts_with("unexpected extra token '9'"),
            "{}",
            e.message
        );
        assert_eq!(e.column, Some(7));

        let e = err("%%MatrixMarket matrix array real general\n1 2\n1 2\n3\n");
        assert!(
            e.message.starts_with("unexpected extra token '2'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn rejects_non_finite() {
        for tok in ["NaN", "nan", "inf", "-Infinity", "+inf"] {
            let e = err(&format!(
                "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 {tok}\n"
            ));
            assert_eq!(
                e.message,
                format!("non-finite value '{tok}' is not allowed")
            );
            assert_eq!((e.line, e.column), (Some(3), Some(5)));
        }
        let e = err("%%MatrixMarket matrix array complex general\n1 1\n1 1e999\n");
        assert!(e.message.contains("overflows"), "{}", e.message);
        assert_eq!((e.line, e.column), (Some(3), Some(3)));
    }

    #[test]
    fn symmetry_rules() {
        let e = err("%%MatrixMarket matrix coordinate real symmetric\n3 3 1\n1 2 5\n");
        assert!(e.message.contains("above the diagonal"), "{}", e.message);
        assert_eq!(e.line, Some(3));
        let e = err("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 1\n2 2 5\n");
        assert!(e.message.contains("must be zero"), "{}", e.message);
        let e = err("%%MatrixMarket matrix coordinate complex hermitian\n2 2 1\n2 2 1 0.5\n");
        assert_eq!(
            e.message,
            "diagonal entry (2, 2) of a hermitian matrix has nonzero imaginary part 0.5"
        );
        assert_eq!((e.line, e.column), (Some(3), Some(7)));
        let e = err("%%MatrixMarket matrix array complex hermitian\n2 2\n1 1\n2 3\n4 0\n");
        assert!(e.message.contains("hermitian"), "{}", e.message);
        assert_eq!(e.line, Some(3));
        let e = err("%%MatrixMarket matrix coordinate real symmetric\n3 4 0\n");
        assert!(e.message.contains("must be square"), "{}", e.message);
        let e = err("%%MatrixMarket matrix array real hermitian\n2 2\n");
        assert!(
            e.message.contains("requires the 'complex' field"),
            "{}",
            e.message
        );
        let e = err("%%MatrixMarket matrix array pattern general\n2 2\n");
        assert!(e.message.contains("'pattern'"), "{}", e.message);
        let e = err("%%MatrixMarket matrix coordinate pattern skew-symmetric\n2 2 0\n");
        assert!(e.message.contains("'pattern'"), "{}", e.message);
    }

    #[test]
    fn banner_errors() {
        let e = err("");
        assert!(e.message.starts_with("empty file"), "{}", e.message);
        let e = err("3 3 1\n1 1 1\n");
        assert!(e.message.starts_with("missing banner"), "{}", e.message);
        assert_eq!(e.line, Some(1));
        let e = err("%%MatrixMarket vector coordinate real general\n");
        assert_eq!(e.message, "unsupported object 'vector': expected 'matrix'");
        assert_eq!(e.column, Some(16));
        let e = err("%%MatrixMarket matrix coordinate real\n");
        assert!(e.message.contains("missing the symmetry"), "{}", e.message);
        let e = err("%%MatrixMarket matrix coordinate double general\n");
        assert!(
            e.message.starts_with("unsupported field 'double'"),
            "{}",
            e.message
        );
        let e = err("%%MatrixMarket matrix coordinate real general\n% only comments\n");
        assert!(
            e.message.starts_with("file ends before the size line"),
            "{}",
            e.message
        );
        let e = err("%%MatrixMarket matrix coordinate real general\n3 3\n");
        assert!(
            e.message.starts_with("size line has 2 numbers, expected 3"),
            "{}",
            e.message
        );
        let e = err("%%MatrixMarket matrix array real general\n3 3 9\n");
        assert!(
            e.message.starts_with("unexpected token '9'"),
            "{}",
            e.message
        );
        let e = err("%%MatrixMarket matrix array real general\n3 -3\n");
        assert_eq!(e.column, Some(3));
    }

    #[test]
    fn limits_checked_before_allocating() {
        let small = ReadLimits {
            max_elements: 10,
            max_file_bytes: 1 << 20,
        };
        let r = parse_mtx(
            b"%%MatrixMarket matrix coordinate real general\n5 5 11\n",
            &small,
        );
        assert!(r.is_err_and(|e| e.message.contains("more than the limit of 10")));
        let r = parse_mtx(b"%%MatrixMarket matrix array real general\n4 3\n", &small);
        assert!(r.is_err_and(|e| e.message.contains("more than the limit of 10")));
        let huge = format!(
            "%%MatrixMarket matrix array real general\n{} 2\n",
            usize::MAX
        );
        let r = parse_mtx(huge.as_bytes(), &lim());
        assert!(r.is_err_and(|e| e.message.contains("overflows")));
        // A huge declared count within the limits does not allocate up front.
        let big = ReadLimits {
            max_elements: usize::MAX,
            max_file_bytes: u64::MAX,
        };
        let r = parse_mtx(
            b"%%MatrixMarket matrix coordinate real general\n10 10 1000000000000000\n1 1 1\n",
            &big,
        );
        assert!(r.is_err_and(|e| e
            .message
            .starts_with("expected 1000000000000000 entries, found 1")));
        let r = parse_mtx(
            b"%%MatrixMarket matrix array real general\n100000000 100000000\n1\n",
            &big,
        );
        assert!(r.is_err_and(|e| e.message.contains("found 1")));
    }

    #[test]
    fn non_utf8_reports_line() {
        let r = parse_mtx(
            b"%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 \xff\n",
            &lim(),
        );
        match r {
            Err(e) => {
                assert!(e.message.contains("utf-8"), "{}", e.message);
                assert_eq!((e.line, e.column), (Some(3), Some(5)));
            }
            Ok(m) => panic!("accepted {m:?}"),
        }
    }

    #[test]
    fn columns_count_characters() {
        let e = err("%%MatrixMarket matrix coordinate real general\n1 1 1\n1\u{a0}1 x\n");
        // U+00A0 is whitespace; 'x' is the fifth character.
        assert_eq!((e.line, e.column), (Some(3), Some(5)));
        let long = "9".repeat(200);
        let e = err(&format!(
            "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 x{long}\n"
        ));
        assert!(e.message.len() < 120, "{}", e.message);
    }

    #[test]
    fn no_panic_on_mutations_and_truncations() {
        let base = b"%%MatrixMarket matrix coordinate complex hermitian\n% x\n3 3 3\n1 1 1 0\n3 1 2 -1\n3 3 4 0\n".to_vec();
        for len in 0..=base.len() {
            let _ = parse_mtx(&base[..len], &lim());
        }
        let mut m = base.clone();
        for pos in 0..m.len() {
            let orig = m[pos];
            for v in [b'0', b'9', b' ', b'\n', b'%', b'-', b'e', 0xff, 0xc3, b'\r'] {
                m[pos] = v;
                let _ = parse_mtx(&m, &lim());
            }
            m[pos] = orig;
        }
        let arr = b"%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n".to_vec();
        let mut m = arr.clone();
        for pos in 0..m.len() {
            let orig = m[pos];
            for v in [b'0', b'9', b' ', b'\n', b'%', b'-', 0xff] {
                m[pos] = v;
                let _ = parse_mtx(&m, &lim());
            }
            m[pos] = orig;
        }
    }

    #[test]
    fn read_mtx_file_and_refusals() -> Result<(), Box<dyn std::error::Error>> {
        let p = std::env::temp_dir().join(format!(
            "wirtinger-mtx-test-{}-{:?}.mtx",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&p, "%%MatrixMarket matrix array real general\n1 1\n4\n")?;
        let ok = read_mtx(&p, &lim());
        let small = ReadLimits {
            max_elements: 10,
            max_file_bytes: 8,
        };
        let too_big = read_mtx(&p, &small);
        std::fs::remove_file(&p)?;
        assert!(matches!(ok?, Mtx::Dense(a) if a.data == vec![c(4.0, 0.0)]));
        assert!(too_big.is_err_and(|e| e.message.contains("more than the limit of 8 bytes")));
        assert!(
            read_mtx(&std::env::temp_dir(), &lim()).is_err_and(|e| e.message.contains("directory"))
        );
        let dz = Path::new("/dev/zero");
        if dz.exists() {
            assert!(read_mtx(dz, &lim()).is_err_and(|e| e.message.contains("not a regular file")));
        }
        Ok(())
    }
}
