//! Errors of the public API and the rendering of input diagnostics (file, line, column and a
//! snippet of the TOML text).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A rejected input: what is wrong, where (file and byte range in its text), and how to fix it.
///
/// ```
/// use wirtinger::Diagnostic;
/// let d = Diagnostic::new("unknown name `q`")
///     .in_file("p.toml", "minimize = \"q\"\n")
///     .at(12..13);
/// assert_eq!(d.line_col(), Some((1, 13)));
/// assert!(d.render().starts_with("error: p.toml:1:13: unknown name `q`"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The message (lowercase, one sentence).
    pub message: String,
    /// The file it refers to.
    pub file: Option<PathBuf>,
    /// The file's text (for the snippet and line/column).
    pub source: Option<Arc<str>>,
    /// Byte range inside `source`.
    pub span: Option<Range<usize>>,
    /// A hint on how to fix it.
    pub note: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message only.
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            file: None,
            source: None,
            span: None,
            note: None,
        }
    }
    /// Names the file and its text.
    pub fn in_file(mut self, file: impl AsRef<Path>, source: impl Into<Arc<str>>) -> Diagnostic {
        self.file = Some(file.as_ref().to_path_buf());
        self.source = Some(source.into());
        self
    }
    /// Names the file without text.
    pub fn for_file(mut self, file: impl AsRef<Path>) -> Diagnostic {
        self.file = Some(file.as_ref().to_path_buf());
        self
    }
    /// Points at a byte range of the source.
    pub fn at(mut self, span: Range<usize>) -> Diagnostic {
        self.span = Some(span);
        self
    }
    /// Adds a hint.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.note = Some(note.into());
        self
    }
    /// 1-based line and column (in characters) of the span's start.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let (src, span) = (self.source.as_deref()?, self.span.as_ref()?);
        Some(line_col(src, span.start))
    }
    /// The full message: a first line `error: FILE:LINE:COL: MESSAGE`, then a snippet of the
    /// source with the span underlined, then the note.
    pub fn render(&self) -> String {
        let file = self
            .file
            .as_ref()
            .map(|f| f.display().to_string())
            .unwrap_or_else(|| "<input>".into());
        let mut out = match self.line_col() {
            Some((l, c)) => format!("error: {file}:{l}:{c}: {}\n", self.message),
            None if self.file.is_some() => format!("error: {file}: {}\n", self.message),
            None => format!("error: {}\n", self.message),
        };
        if let (Some(src), Some(span)) = (self.source.as_deref(), self.span.clone()) {
            out.push_str(&snippet(&file, src, span, self.note.as_deref()));
        } else if let Some(n) = &self.note {
            out.push_str(&format!("  = note: {n}\n"));
        }
        out
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for Diagnostic {}

/// 1-based (line, column in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(src.len());
    while !src.is_char_boundary(off) {
        off -= 1;
    }
    let before = &src[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

fn snippet(file: &str, src: &str, span: Range<usize>, note: Option<&str>) -> String {
    use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
    let mut start = span.start.min(src.len());
    while !src.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, src.len());
    while !src.is_char_boundary(end) {
        end += 1;
    }
    let config = Config::default()
        .with_color(false)
        .with_index_type(IndexType::Byte);
    let mut report = Report::build(ReportKind::Error, (file, start..end))
        .with_config(config)
        .with_label(Label::new((file, start..end)).with_message("here"));
    if let Some(n) = note {
        report = report.with_note(n);
    }
    let mut buf = Vec::new();
    if report
        .finish()
        .write((file, Source::from(src)), &mut buf)
        .is_err()
    {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    // ariadne's first line repeats "Error:"; our own first line already carries the message.
    text.split_once('\n')
        .map(|x| x.1.to_string())
        .unwrap_or(text)
}

/// Errors of the library API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was rejected (exit code 2 on the command line).
    #[error("{0}")]
    Input(Box<Diagnostic>),
    /// Evaluation failed at a point (e.g. a non-Hermitian argument of an eigenvalue function).
    #[error("{0}")]
    Eval(#[from] crate::cr::EvalError),
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Error {
        Error::Input(Box::new(d))
    }
}
