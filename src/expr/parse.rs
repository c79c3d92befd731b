//! Parser for objective and constraint expressions such as
//! `sum((abs2(G * z) - y).^2) / 512` or `x[0] + x[1] <= 1`.
//!
//! # Grammar
//!
//! Lowest precedence first:
//!
//! | level | operators                | associativity                        |
//! |-------|--------------------------|--------------------------------------|
//! | 1     | `==` `<=` `>=`           | none (`a <= b <= c` is an error)     |
//! | 2     | `+` `-`                  | left                                 |
//! | 3     | `*` `/` `.*` `./`        | left                                 |
//! | 4     | unary `-`, unary `+`     | prefix                               |
//! | 5     | `^` `.^`                 | right; right operand may be `-x`     |
//! | 6     | postfix `'`, `x[i, j]`   | postfix, any number in sequence      |
//!
//! Primaries are numbers (`2`, `0.5`, `1e-3`, `.5`), imaginary literals
//! (`2i`, `1.5i`), names (`[A-Za-z_][A-Za-z0-9_]*`), calls `f(a, b)` / `f()`
//! and parenthesized expressions. So `-x^2` is `-(x^2)`, `2^-x^2` is
//! `2^(-(x^2))`, `x^y^z` is `x^(y^z)` and `2.*x` is `2 .* x`.
//!
//! # Implementation
//!
//! [winnow] is used for the token-level recognizers (names, number literals,
//! whitespace). The expression grammar itself is a hand-written,
//! **non-recursive** operator-precedence parser with an explicit stack of
//! pending frames (unary operators, binary operators waiting for their right
//! operand, open parentheses, calls and index brackets). Reasons:
//!
//! * the parser uses a constant amount of native stack whatever the input
//!   (100 000 `(` or `-` cannot overflow it, even on a 256 KiB thread, in
//!   debug builds);
//! * the nesting limit is an explicit counter, so the error can point at the
//!   exact token where [`MAX_DEPTH`] is exceeded;
//! * every error is produced at the first offending token with a specific,
//!   hand-written message, which is easier to control than winnow's
//!   backtracking error merging.
//!
//! # Depth limit
//!
//! The nesting depth is the number of levels between the root and the
//! deepest leaf, where a level is a parenthesis pair, a unary operator, a
//! binary operator, a call, an index or a postfix `'`. Chains count too:
//! `a + b + c` is `(a + b) + c`, two levels. Limiting the *tree* height (and
//! not only the parser's work stack) guarantees that every recursive consumer
//! of the AST (`Display`, `Drop`, `Clone`, evaluators) is safe.

use super::ast::{BinOp, Expr, ExprKind, Span};
use std::fmt;
use winnow::ascii::{digit1, multispace0};
use winnow::combinator::{alt, opt};
use winnow::token::{one_of, take_while};
use winnow::Parser as _;

/// Maximum nesting depth of an expression (see the module docs).
pub const MAX_DEPTH: usize = 200;

/// Maximum length of an expression in bytes.
pub const MAX_LEN: usize = 1 << 20;

/// A syntax error: the first problem found in the expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Lowercase description, e.g. `expected an expression after '+'`.
    pub message: String,
    /// Byte range of the offending token (empty at the end of input for
    /// errors detected there). Always on `char` boundaries of the source.
    pub span: Span,
    /// Optional extra hint, e.g. where an unclosed parenthesis was opened.
    pub note: Option<String>,
}

impl ParseError {
    fn new(message: impl Into<String>, span: Span) -> Self {
        ParseError {
            message: message.into(),
            span,
            note: None,
        }
    }

    fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.span.start)?;
        if let Some(note) = &self.note {
            write!(f, "; note: {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Parses one expression; the whole input must be consumed.
///
/// Returns the first syntax error found. Never panics, for any input.
pub fn parse_expression(src: &str) -> Result<Expr, ParseError> {
    if src.len() > MAX_LEN {
        return Err(ParseError::new(
            format!("expression too long ({} bytes; limit {MAX_LEN})", src.len()),
            0..0,
        ));
    }
    Parser {
        src,
        lexer: Lexer { src, pos: 0 },
        peeked: None,
        frames: Vec::new(),
    }
    .run()
}

// ---------------------------------------------------------------- tokens --

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Num(f64),
    Imag(f64),
    Ident(&'a str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Quote,
    Op(BinOp),
    Eof,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    span: Span,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `[A-Za-z_][A-Za-z0-9_]*`
fn ident<'a>(input: &mut &'a str) -> Result<&'a str, ()> {
    (one_of(is_ident_start), take_while(0.., is_ident_char))
        .take()
        .parse_next(input)
}

/// `(digits ('.' digits)? | '.' digits) ([eE] [+-]? digits)?`
///
/// A `.` only belongs to the number when a digit follows, so `2.*x` lexes
/// as `2`, `.*`, `x`. An `e` without exponent digits is not consumed (it
/// then shows up as an invalid suffix). Values that overflow `f64` are
/// rejected ("number out of range"); values that underflow become `0.0`.
fn number<'a>(input: &mut &'a str) -> Result<&'a str, ()> {
    let mantissa = alt(((digit1, opt(('.', digit1))).void(), ('.', digit1).void()));
    let exponent = (one_of(['e', 'E']), opt(one_of(['+', '-'])), digit1);
    (mantissa, opt(exponent)).take().parse_next(input)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn offset_of(&self, rest: &str) -> usize {
        self.src.len() - rest.len()
    }

    fn next_token(&mut self) -> Result<Token<'a>, ParseError> {
        let mut rest = self.rest();
        let _ = multispace0::<_, ()>.parse_next(&mut rest);
        let start = self.offset_of(rest);
        self.pos = start;
        let mut chars = rest.chars();
        let Some(c) = chars.next() else {
            return Ok(Token {
                tok: Tok::Eof,
                span: start..start,
            });
        };
        let next = chars.next();
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|d| d.is_ascii_digit())) {
            return self.number(rest, start);
        }
        if is_ident_start(c) {
            let name = ident.parse_next(&mut rest).unwrap_or("");
            return Ok(self.token(Tok::Ident(name), start, self.offset_of(rest)));
        }
        let one = |tok| Ok(self_token(tok, start, 1));
        let two = |tok| Ok(self_token(tok, start, 2));
        let result = match (c, next) {
            ('(', _) => one(Tok::LParen),
            (')', _) => one(Tok::RParen),
            ('[', _) => one(Tok::LBracket),
            (']', _) => one(Tok::RBracket),
            (',', _) => one(Tok::Comma),
            ('\'', _) => one(Tok::Quote),
            ('+', _) => one(Tok::Op(BinOp::Add)),
            ('-', _) => one(Tok::Op(BinOp::Sub)),
            ('*', Some('*')) => Err(ParseError::new(
                "'**' is not an operator; use '^' for powers",
                start..start + 2,
            )),
            ('*', _) => one(Tok::Op(BinOp::Mul)),
            ('/', _) => one(Tok::Op(BinOp::Div)),
            ('^', _) => one(Tok::Op(BinOp::Pow)),
            ('.', Some('*')) => two(Tok::Op(BinOp::ElemMul)),
            ('.', Some('/')) => two(Tok::Op(BinOp::ElemDiv)),
            ('.', Some('^')) => two(Tok::Op(BinOp::ElemPow)),
            ('=', Some('=')) => two(Tok::Op(BinOp::Eq)),
            ('<', Some('=')) => two(Tok::Op(BinOp::Le)),
            ('>', Some('=')) => two(Tok::Op(BinOp::Ge)),
            ('=', _) => Err(ParseError::new(
                "'=' is not an operator; use '==' for an equality constraint",
                start..start + 1,
            )),
            ('!', Some('=')) => Err(ParseError::new(
                "'!=' is not supported; constraints use '==', '<=' or '>='",
                start..start + 2,
            )),
            ('<' | '>', _) => Err(ParseError::new(
                format!("strict comparison '{c}' is not supported; use '{c}='"),
                start..start + 1,
            )),
            _ => Err(ParseError::new(
                format!("unexpected character '{c}'"),
                start..start + c.len_utf8(),
            )),
        };
        if let Ok(token) = &result {
            self.pos = token.span.end;
        }
        result
    }

    fn token(&mut self, tok: Tok<'a>, start: usize, end: usize) -> Token<'a> {
        self.pos = end;
        Token {
            tok,
            span: start..end,
        }
    }

    fn number(&mut self, mut rest: &'a str, start: usize) -> Result<Token<'a>, ParseError> {
        let text = number.parse_next(&mut rest).unwrap_or("");
        let num_end = self.offset_of(rest);
        let suffix = take_while::<_, _, ()>(0.., is_ident_char)
            .parse_next(&mut rest)
            .unwrap_or("");
        let end = self.offset_of(rest);
        let imag = match suffix {
            "" => false,
            "i" => true,
            _ => {
                let note = if suffix.starts_with(['e', 'E']) {
                    format!("an exponent needs digits, as in `{text}e-3`; for a product write `{text} * {suffix}`")
                } else {
                    format!("a number cannot be followed directly by a name; for a product write `{text} * {suffix}`")
                };
                return Err(ParseError::new("invalid number suffix", start..end).with_note(note));
            }
        };
        let value = match text.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            Ok(_) => return Err(ParseError::new("number out of range", start..end)),
            Err(_) => return Err(ParseError::new("invalid number", start..num_end)),
        };
        let tok = if imag {
            Tok::Imag(value)
        } else {
            Tok::Num(value)
        };
        Ok(self.token(tok, start, end))
    }
}

fn self_token(tok: Tok<'_>, start: usize, len: usize) -> Token<'_> {
    Token {
        tok,
        span: start..start + len,
    }
}

// ---------------------------------------------------------------- parser --

/// A finished operand and its height (levels below it, counting parentheses
/// and unary `+`, which leave no node of their own).
struct Node {
    expr: Expr,
    height: usize,
}

/// Pending work on the explicit parser stack. Each frame is one nesting level
/// above the operand currently being parsed.
enum Frame<'a> {
    /// `-` waiting for its operand.
    Neg { start: usize },
    /// unary `+` waiting for its operand (dropped from the AST).
    Pos,
    /// `lhs op` waiting for the right operand.
    Bin { op: BinOp, op_span: Span, lhs: Node },
    /// `(` of a parenthesized expression.
    Paren { open: usize },
    /// `name(` with the arguments seen so far.
    Call {
        name: &'a str,
        name_span: Span,
        open: usize,
        args: Vec<Expr>,
        height: usize,
    },
    /// `target[` with the indices seen so far.
    Index {
        target: Box<Expr>,
        open: usize,
        indices: Vec<Expr>,
        height: usize,
    },
}

/// What came right before an expected operand (for error messages).
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    Start,
    Open(char),
    After(&'static str),
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token<'a>>,
    frames: Vec<Frame<'a>>,
}

fn leaf(kind: ExprKind, span: Span) -> Node {
    Node {
        expr: Expr::new(kind, span),
        height: 0,
    }
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Result<Token<'a>, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn peek(&mut self) -> Result<Tok<'a>, ParseError> {
        if let Some(t) = &self.peeked {
            return Ok(t.tok);
        }
        let t = self.lexer.next_token()?;
        let tok = t.tok;
        self.peeked = Some(t);
        Ok(tok)
    }

    fn text(&self, span: &Span) -> &'a str {
        self.src.get(span.clone()).unwrap_or("")
    }

    fn describe(&self, token: &Token<'_>) -> String {
        match token.tok {
            Tok::Eof => "end of input".to_string(),
            Tok::Quote => "`'`".to_string(),
            _ => format!("'{}'", self.text(&token.span)),
        }
    }

    /// Pushes a frame that holds an operand of height `held`, after checking
    /// the depth limit; `at` is the token opening the new level.
    fn push(&mut self, frame: Frame<'a>, held: usize, at: &Span) -> Result<(), ParseError> {
        self.check_depth(self.frames.len() + 1 + held, at)?;
        self.frames.push(frame);
        Ok(())
    }

    fn check_depth(&self, depth: usize, at: &Span) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            let err = ParseError::new(
                format!("expression nested too deeply (limit {MAX_DEPTH})"),
                at.clone(),
            );
            let chain = self.frames.len() + 1 < depth;
            return Err(if chain {
                err.with_note(
                    "every operator in a chain like `a + b + c + ...` adds a level; \
                     use sum(...) or split the expression",
                )
            } else {
                err
            });
        }
        Ok(())
    }

    fn run(mut self) -> Result<Expr, ParseError> {
        let mut prev = Prev::Start;
        'operand: loop {
            // Operand position: prefix operators, then a primary.
            let tok = self.next()?;
            let mut cur = match tok.tok {
                Tok::Op(BinOp::Sub) => {
                    self.push(
                        Frame::Neg {
                            start: tok.span.start,
                        },
                        0,
                        &tok.span,
                    )?;
                    prev = Prev::After("-");
                    continue 'operand;
                }
                Tok::Op(BinOp::Add) => {
                    self.push(Frame::Pos, 0, &tok.span)?;
                    prev = Prev::After("+");
                    continue 'operand;
                }
                Tok::LParen => {
                    let open = tok.span.start;
                    self.push(Frame::Paren { open }, 0, &tok.span)?;
                    prev = Prev::Open('(');
                    continue 'operand;
                }
                Tok::Num(v) => leaf(ExprKind::Number(v), tok.span),
                Tok::Imag(v) => leaf(ExprKind::Imag(v), tok.span),
                Tok::Ident(name) if self.peek()? == Tok::LParen => {
                    let open = self.next()?;
                    if self.peek()? == Tok::RParen {
                        let close = self.next()?;
                        let kind = ExprKind::Call {
                            name: name.to_string(),
                            name_span: tok.span.clone(),
                            args: Vec::new(),
                        };
                        leaf(kind, tok.span.start..close.span.end)
                    } else {
                        let frame = Frame::Call {
                            name,
                            name_span: tok.span,
                            open: open.span.start,
                            args: Vec::new(),
                            height: 0,
                        };
                        self.push(frame, 0, &open.span)?;
                        prev = Prev::Open('(');
                        continue 'operand;
                    }
                }
                Tok::Ident(name) => leaf(ExprKind::Name(name.to_string()), tok.span),
                _ => return Err(self.expected_operand(&tok, prev)),
            };

            // Operator position: postfix operators, then a binary operator,
            // a separator, a closing bracket or the end.
            loop {
                let tok = self.next()?;
                match tok.tok {
                    Tok::Quote => {
                        self.check_depth(self.frames.len() + cur.height + 1, &tok.span)?;
                        let span = cur.expr.span.start..tok.span.end;
                        cur = Node {
                            expr: Expr::new(ExprKind::Adjoint(Box::new(cur.expr)), span),
                            height: cur.height + 1,
                        };
                    }
                    Tok::LBracket => {
                        if self.peek()? == Tok::RBracket {
                            let close = self.next()?;
                            return Err(ParseError::new(
                                "empty index: write x[k]",
                                tok.span.start..close.span.end,
                            ));
                        }
                        let height = cur.height + 1;
                        let frame = Frame::Index {
                            target: Box::new(cur.expr),
                            open: tok.span.start,
                            indices: Vec::new(),
                            height,
                        };
                        self.push(frame, height - 1, &tok.span)?;
                        prev = Prev::Open('[');
                        continue 'operand;
                    }
                    Tok::Op(op) => {
                        let lhs = self.reduce(cur, Some((op, &tok.span)))?;
                        let held = lhs.height;
                        let frame = Frame::Bin {
                            op,
                            op_span: tok.span.clone(),
                            lhs,
                        };
                        self.push(frame, held, &tok.span)?;
                        prev = Prev::After(op.symbol());
                        continue 'operand;
                    }
                    Tok::Comma => {
                        cur = self.reduce(cur, None)?;
                        match self.frames.last_mut() {
                            Some(Frame::Call { args, height, .. })
                            | Some(Frame::Index {
                                indices: args,
                                height,
                                ..
                            }) => {
                                *height = (*height).max(cur.height + 1);
                                args.push(cur.expr);
                                prev = Prev::After(",");
                                continue 'operand;
                            }
                            Some(Frame::Paren { open }) => {
                                return Err(ParseError::new("unexpected ','", tok.span).with_note(
                                    format!(
                                        "inside the '(' opened at offset {open}; ',' only \
                                         separates function arguments and indices"
                                    ),
                                ))
                            }
                            _ => return Err(ParseError::new("unexpected ','", tok.span)),
                        }
                    }
                    Tok::RParen => {
                        cur = self.reduce(cur, None)?;
                        cur = match self.frames.pop() {
                            Some(Frame::Paren { open }) => {
                                let mut expr = cur.expr;
                                expr.span = open..tok.span.end;
                                Node {
                                    expr,
                                    height: cur.height + 1,
                                }
                            }
                            Some(Frame::Call {
                                name,
                                name_span,
                                mut args,
                                height,
                                ..
                            }) => {
                                let height = height.max(cur.height + 1);
                                args.push(cur.expr);
                                let span = name_span.start..tok.span.end;
                                let kind = ExprKind::Call {
                                    name: name.to_string(),
                                    name_span,
                                    args,
                                };
                                Node {
                                    expr: Expr::new(kind, span),
                                    height,
                                }
                            }
                            Some(Frame::Index { open, .. }) => {
                                return Err(ParseError::new(
                                    "expected ',' or ']' in index",
                                    tok.span,
                                )
                                .with_note(format!("the '[' was opened at offset {open}")))
                            }
                            _ => return Err(ParseError::new("unexpected ')'", tok.span)),
                        };
                    }
                    Tok::RBracket => {
                        cur = self.reduce(cur, None)?;
                        cur = match self.frames.pop() {
                            Some(Frame::Index {
                                target,
                                mut indices,
                                height,
                                ..
                            }) => {
                                let height = height.max(cur.height + 1);
                                indices.push(cur.expr);
                                let span = target.span.start..tok.span.end;
                                Node {
                                    expr: Expr::new(ExprKind::Index { target, indices }, span),
                                    height,
                                }
                            }
                            Some(Frame::Paren { open }) => {
                                return Err(ParseError::new("expected ')' before ']'", tok.span)
                                    .with_note(format!(
                                        "the '(' opened at offset {open} is not closed"
                                    )))
                            }
                            Some(Frame::Call { name, open, .. }) => {
                                return Err(ParseError::new(
                                    format!("expected ',' or ')' in call to `{name}`"),
                                    tok.span,
                                )
                                .with_note(format!("the '(' was opened at offset {open}")))
                            }
                            _ => return Err(ParseError::new("unexpected ']'", tok.span)),
                        };
                    }
                    Tok::Eof => {
                        cur = self.reduce(cur, None)?;
                        return match self.open_group() {
                            None => Ok(cur.expr),
                            Some((c, open)) => Err(ParseError::new(
                                format!("unclosed '{c}'"),
                                tok.span,
                            )
                            .with_note(format!(
                                "the '{c}' opened at offset {open} is never closed"
                            ))),
                        };
                    }
                    Tok::Num(_) | Tok::Imag(_) | Tok::Ident(_) | Tok::LParen => {
                        return Err(ParseError::new(
                            format!(
                                "expected an operator between `{}` and `{}`",
                                abbreviate(self.text(&cur.expr.span)),
                                abbreviate(self.text(&tok.span)),
                            ),
                            tok.span,
                        )
                        .with_note(match self.frames.last() {
                            Some(Frame::Index { .. }) => {
                                "write ',' to separate indices, or '*' for a product"
                            }
                            Some(Frame::Call { .. }) => {
                                "write ',' to separate arguments, or '*' for a product"
                            }
                            _ => "write '*' (or '.*') for a product",
                        }));
                    }
                }
            }
        }
    }

    /// Pops operator frames that bind at least as tightly as the incoming
    /// binary operator (all of them when `incoming` is `None`), combining
    /// them with `cur`. Stops at the innermost open bracket.
    fn reduce(
        &mut self,
        mut cur: Node,
        incoming: Option<(BinOp, &Span)>,
    ) -> Result<Node, ParseError> {
        loop {
            let pop = match (self.frames.last(), incoming) {
                (Some(Frame::Neg { .. } | Frame::Pos), None) => true,
                (Some(Frame::Neg { .. } | Frame::Pos), Some((op, _))) => !op.is_right_assoc(),
                (Some(Frame::Bin { .. }), None) => true,
                (
                    Some(Frame::Bin {
                        op: top, op_span, ..
                    }),
                    Some((op, span)),
                ) => {
                    if top.is_comparison() && op.is_comparison() {
                        return Err(ParseError::new(
                            "comparison operators cannot be chained; \
                             split `a <= b <= c` into two constraints",
                            span.clone(),
                        )
                        .with_note(format!(
                            "the first comparison '{}' is at offset {}",
                            top.symbol(),
                            op_span.start
                        )));
                    }
                    if top.is_right_assoc() {
                        top.precedence() > op.precedence()
                    } else {
                        top.precedence() >= op.precedence()
                    }
                }
                _ => false,
            };
            if !pop {
                return Ok(cur);
            }
            cur = match self.frames.pop() {
                Some(Frame::Neg { start }) => {
                    let span = start..cur.expr.span.end;
                    Node {
                        expr: Expr::new(ExprKind::Neg(Box::new(cur.expr)), span),
                        height: cur.height + 1,
                    }
                }
                Some(Frame::Pos) => Node {
                    expr: cur.expr,
                    height: cur.height + 1,
                },
                Some(Frame::Bin { op, lhs, .. }) => {
                    let span = lhs.expr.span.start..cur.expr.span.end;
                    let kind = ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs.expr),
                        rhs: Box::new(cur.expr),
                    };
                    Node {
                        expr: Expr::new(kind, span),
                        height: lhs.height.max(cur.height) + 1,
                    }
                }
                Some(other) => {
                    self.frames.push(other);
                    return Ok(cur);
                }
                None => return Ok(cur),
            };
        }
    }

    /// The innermost unclosed bracket, if any: its character and offset.
    fn open_group(&self) -> Option<(char, usize)> {
        self.frames.iter().rev().find_map(|f| match f {
            Frame::Paren { open } | Frame::Call { open, .. } => Some(('(', *open)),
            Frame::Index { open, .. } => Some(('[', *open)),
            _ => None,
        })
    }

    /// Error for a token that cannot start an operand.
    fn expected_operand(&self, tok: &Token<'_>, prev: Prev) -> ParseError {
        let err = match (prev, tok.tok) {
            (Prev::After(sym), _) => ParseError::new(
                format!("expected an expression after '{sym}'"),
                tok.span.clone(),
            ),
            (_, Tok::Eof) => ParseError::new("unexpected end of expression", tok.span.clone()),
            (Prev::Open('('), Tok::RParen) => ParseError::new(
                "empty parentheses: expected an expression inside '()'",
                tok.span.clone(),
            ),
            (_, Tok::Op(op)) => ParseError::new(
                format!("expected an expression before '{}'", op.symbol()),
                tok.span.clone(),
            ),
            (_, Tok::Comma) => {
                ParseError::new("expected an expression before ','", tok.span.clone())
            }
            _ => ParseError::new(
                format!("unexpected {}", self.describe(tok)),
                tok.span.clone(),
            ),
        };
        match (tok.tok, self.open_group()) {
            (Tok::Eof, Some((c, open))) => {
                err.with_note(format!("the '{c}' opened at offset {open} is never closed"))
            }
            _ => err,
        }
    }
}

/// Shortens long source excerpts for messages (on a `char` boundary).
fn abbreviate(text: &str) -> String {
    const MAX: usize = 32;
    if text.len() <= MAX {
        return text.to_string();
    }
    let cut = text
        .char_indices()
        .map(|(i, _)| i)
        .take_while(|&i| i <= MAX - 4)
        .last()
        .unwrap_or(0);
    format!("{}...", text.get(..cut).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses and prints the fully parenthesized form.
    fn show(src: &str) -> String {
        match parse_expression(src) {
            Ok(e) => e.to_string(),
            Err(e) => panic!("failed to parse {src:?}: {e}"),
        }
    }

    fn err(src: &str) -> ParseError {
        match parse_expression(src) {
            Ok(e) => panic!("{src:?} parsed as {e}, expected an error"),
            Err(e) => e,
        }
    }

    fn assert_err(src: &str, message: &str, span: Span) {
        let e = err(src);
        assert_eq!(e.message, message, "message for {src:?}");
        assert_eq!(e.span, span, "span for {src:?}");
        assert!(src.get(e.span.clone()).is_some(), "span on char boundary");
    }

    #[test]
    fn precedence_and_associativity() {
        let table = [
            ("a+b*c", "(a + (b * c))"),
            ("a*b+c", "((a * b) + c)"),
            ("a-b-c", "((a - b) - c)"),
            ("a/b/c", "((a / b) / c)"),
            ("a .* b ./ c", "((a .* b) ./ c)"),
            ("-x^2", "(-(x ^ 2.0))"),
            ("-2^2", "(-(2.0 ^ 2.0))"),
            ("x^y^z", "(x ^ (y ^ z))"),
            ("x.^y^z", "(x .^ (y ^ z))"),
            ("x^-1", "(x ^ (-1.0))"),
            ("2^-x^2", "(2.0 ^ (-(x ^ 2.0)))"),
            ("x^-1*y", "((x ^ (-1.0)) * y)"),
            ("-a*b", "((-a) * b)"),
            ("a*-b", "(a * (-b))"),
            ("a - -b", "(a - (-b))"),
            ("--x", "(-(-x))"),
            ("+x", "x"),
            ("a*+b", "(a * b)"),
            ("a*b'", "(a * b')"),
            ("a^b'", "(a ^ b')"),
            ("x'^2", "(x' ^ 2.0)"),
            ("-x'", "(-x')"),
            ("x''", "x''"),
            ("2.*x", "(2.0 .* x)"),
            ("2./x", "(2.0 ./ x)"),
            ("2.^x", "(2.0 .^ x)"),
            ("2.5.*x", "(2.5 .* x)"),
            ("x.^2", "(x .^ 2.0)"),
            ("A[0,1]'", "A[0.0, 1.0]'"),
            ("x[i][j]", "x[i][j]"),
            ("x[i+1]^2", "(x[(i + 1.0)] ^ 2.0)"),
            ("(A*B)'", "(A * B)'"),
            ("f(x)'[0]", "f(x)'[0.0]"),
            ("f()", "f()"),
            ("f (x, y)", "f(x, y)"),
            ("z' * P * z", "((z' * P) * z)"),
            (
                "sum((abs2(G * z) - y).^2) / 512",
                "(sum(((abs2((G * z)) - y) .^ 2.0)) / 512.0)",
            ),
            ("x >= 0", "(x >= 0.0)"),
            ("a + b <= c * d", "((a + b) <= (c * d))"),
            ("-a == b", "((-a) == b)"),
            ("(a <= b) <= c", "((a <= b) <= c)"),
            ("1.5i*z", "(1.5i * z)"),
            ("2i", "2.0i"),
            ("1i", "1.0i"),
            ("1e-3i", "0.001i"),
            (".5", "0.5"),
            (".5i", "0.5i"),
            ("1e-3", "0.001"),
            ("1E+3", "1000.0"),
            ("i", "i"),
            ("_x1", "_x1"),
            ("\tx\r\n+\n y ", "(x + y)"),
        ];
        for (src, want) in table {
            assert_eq!(show(src), want, "for {src:?}");
        }
    }

    #[test]
    fn node_spans() {
        let e = parse_expression("a + b*c").unwrap();
        assert_eq!(e.span, 0..7);
        let ExprKind::Binary { lhs, rhs, .. } = &e.kind else {
            panic!("not binary")
        };
        assert_eq!(lhs.span, 0..1);
        assert_eq!(rhs.span, 4..7);

        let e = parse_expression("  foo(x, y )  ").unwrap();
        assert_eq!(e.span, 2..12);
        let ExprKind::Call {
            name_span, args, ..
        } = &e.kind
        else {
            panic!("not a call")
        };
        assert_eq!(*name_span, 2..5);
        assert_eq!(args[1].span, 9..10);

        let e = parse_expression("-x^2").unwrap();
        assert_eq!(e.span, 0..4);
        let ExprKind::Neg(inner) = &e.kind else {
            panic!("not neg")
        };
        assert_eq!(inner.span, 1..4);

        let e = parse_expression("A[0, 1]'").unwrap();
        assert_eq!(e.span, 0..8);
        let ExprKind::Adjoint(inner) = &e.kind else {
            panic!("not adjoint")
        };
        assert_eq!(inner.span, 0..7);

        // Parentheses are included in the span of the parenthesized node.
        let e = parse_expression("(a+b) * c").unwrap();
        assert_eq!(e.span, 0..9);
        let ExprKind::Binary { lhs, .. } = &e.kind else {
            panic!("not binary")
        };
        assert_eq!(lhs.span, 0..5);

        assert_eq!(parse_expression(" 2i ").unwrap().span, 1..3);
        assert_eq!(parse_expression("+x").unwrap().span, 1..2);
        assert_eq!(parse_expression("f()").unwrap().span, 0..3);
    }

    #[test]
    fn error_messages_and_spans() {
        assert_err("a +", "expected an expression after '+'", 3..3);
        assert_err("a + )", "expected an expression after '+'", 4..5);
        assert_err("a * * b", "expected an expression after '*'", 4..5);
        assert_err("-", "expected an expression after '-'", 1..1);
        assert_err("a @ b", "unexpected character '@'", 2..3);
        assert_err("x × y", "unexpected character '×'", 2..4);
        assert_err("x\u{1F600}", "unexpected character '\u{1F600}'", 1..5);
        assert_err("a)", "unexpected ')'", 1..2);
        assert_err(")", "unexpected ')'", 0..1);
        assert_err("x ]", "unexpected ']'", 2..3);
        assert_err("x , y", "unexpected ','", 2..3);
        assert_err("(x, y)", "unexpected ','", 2..3);
        assert_err("x[1)", "expected ',' or ']' in index", 3..4);
        assert_err("f(a]", "expected ',' or ')' in call to `f`", 3..4);
        assert_err("(a]", "expected ')' before ']'", 2..3);
        assert_err("x[]", "empty index: write x[k]", 1..3);
        assert_err("x[ ]", "empty index: write x[k]", 1..4);
        assert_err("x[1,]", "expected an expression after ','", 4..5);
        assert_err("f(a,)", "expected an expression after ','", 4..5);
        assert_err("f(,a)", "expected an expression before ','", 2..3);
        assert_err(
            "()",
            "empty parentheses: expected an expression inside '()'",
            1..2,
        );
        assert_err("* x", "expected an expression before '*'", 0..1);
        assert_err("'x", "unexpected `'`", 0..1);
        assert_err(
            "a <= b <= c",
            "comparison operators cannot be chained; split `a <= b <= c` into two constraints",
            7..9,
        );
        assert_err(
            "0 <= x + 1 == 2",
            "comparison operators cannot be chained; split `a <= b <= c` into two constraints",
            11..13,
        );
        assert_err("", "unexpected end of expression", 0..0);
        assert_err(" \n ", "unexpected end of expression", 3..3);
        assert_err("2 x", "expected an operator between `2` and `x`", 2..3);
        assert_err("x y", "expected an operator between `x` and `y`", 2..3);
        assert_err(
            "(a+b) (c)",
            "expected an operator between `(a+b)` and `(`",
            6..7,
        );
        assert_err("x' 2i", "expected an operator between `x'` and `2i`", 3..5);
        assert_err("x**2", "'**' is not an operator; use '^' for powers", 1..3);
        assert_err("2in", "invalid number suffix", 0..3);
        assert_err("2x", "invalid number suffix", 0..2);
        assert_err("1e", "invalid number suffix", 0..2);
        assert_err("1e+", "invalid number suffix", 0..2);
        assert_err("3 + 1e999", "number out of range", 4..9);
        assert_err("1e999i", "number out of range", 0..6);
        assert_err("2.", "unexpected character '.'", 1..2);
        assert_err(
            "a = b",
            "'=' is not an operator; use '==' for an equality constraint",
            2..3,
        );
        assert_err(
            "a < b",
            "strict comparison '<' is not supported; use '<='",
            2..3,
        );
        assert_err(
            "a > b",
            "strict comparison '>' is not supported; use '>='",
            2..3,
        );

        let e = err("f(x, (y + 1");
        assert_eq!((e.message.as_str(), e.span), ("unclosed '('", 11..11));
        assert_eq!(
            e.note.as_deref(),
            Some("the '(' opened at offset 5 is never closed")
        );
        let e = err("(a + b");
        assert_eq!((e.message.as_str(), e.span), ("unclosed '('", 6..6));
        assert_eq!(
            e.note.as_deref(),
            Some("the '(' opened at offset 0 is never closed")
        );
        let e = err("x[1, 2");
        assert_eq!((e.message.as_str(), e.span), ("unclosed '['", 6..6));
        let e = err("sum(");
        assert_eq!(
            (e.message.as_str(), e.span),
            ("unexpected end of expression", 4..4)
        );
        assert_eq!(
            e.note.as_deref(),
            Some("the '(' opened at offset 3 is never closed")
        );
        let e = err("a <= b >= c");
        assert_eq!(
            e.note.as_deref(),
            Some("the first comparison '<=' is at offset 2")
        );

        // The first error wins.
        assert_err("a @ (", "unexpected character '@'", 2..3);
        assert_err("a + ) @", "expected an expression after '+'", 4..5);

        let long = "x".repeat(MAX_LEN + 1);
        assert!(err(&long).message.starts_with("expression too long"));
        let long_ok = format!("x{}", " ".repeat(MAX_LEN - 1));
        assert!(parse_expression(&long_ok).is_ok());
    }

    fn nested(open: &str, leaf: &str, close: &str, n: usize) -> String {
        format!("{}{leaf}{}", open.repeat(n), close.repeat(n))
    }

    const TOO_DEEP: &str = "expression nested too deeply (limit 200)";

    fn depth_checks() {
        // Parentheses: 200 levels are fine, the 201st '(' is rejected.
        let e = parse_expression(&nested("(", "x", ")", MAX_DEPTH)).unwrap();
        assert_eq!(e.to_string(), "x");
        assert_err(&nested("(", "x", ")", MAX_DEPTH + 1), TOO_DEEP, 200..201);
        assert_err(&"(".repeat(100_000), TOO_DEEP, 200..201);
        assert_err(&"-".repeat(100_000), TOO_DEEP, 200..201);
        assert_err(&"+".repeat(100_000), TOO_DEEP, 200..201);
        assert_err(&"f(".repeat(50_000), TOO_DEEP, 401..402);
        assert_err(&"x[".repeat(50_000), TOO_DEEP, 401..402);

        // 200 unary minus levels are fine (and print on a small stack).
        let e = parse_expression(&format!("{}x", "-".repeat(MAX_DEPTH))).unwrap();
        assert_eq!(e.height(), MAX_DEPTH);
        assert!(e.to_string().len() > MAX_DEPTH);

        // Postfix chains count as well.
        let ok = format!("x{}", "'".repeat(MAX_DEPTH));
        assert_eq!(parse_expression(&ok).unwrap().height(), MAX_DEPTH);
        assert_err(&format!("x{}", "'".repeat(100_000)), TOO_DEEP, 201..202);

        // Left-associative chains: a + a + ... with 201 terms has height 200.
        let chain = |n: usize| vec!["a"; n].join("+");
        assert_eq!(
            parse_expression(&chain(MAX_DEPTH + 1)).unwrap().height(),
            MAX_DEPTH
        );
        let e = err(&chain(MAX_DEPTH + 2));
        assert_eq!(e.message, TOO_DEEP);
        assert_eq!(e.span, 401..402); // the 201st '+'
        assert!(e.note.is_some());
        assert_eq!(err(&chain(200_000)).span, 401..402);

        // Right-associative and mixed nesting.
        let pow = vec!["x"; 100_000].join("^");
        assert_eq!(err(&pow).message, TOO_DEEP);
        let mixed = "-(f(x[".repeat(30_000);
        assert_eq!(err(&mixed).message, TOO_DEEP);
        let ok = nested("-(f(x[", "1", "]))", 50);
        let e = parse_expression(&ok).unwrap();
        assert_eq!(e.height(), 150);
        let again = parse_expression(&e.to_string()).unwrap();
        assert!(again.eq_ignoring_spans(&e));
    }

    #[test]
    fn depth_limit_without_stack_overflow() {
        depth_checks();
    }

    #[test]
    fn depth_limit_on_small_stack() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(depth_checks)
            .unwrap();
        handle.join().unwrap();
    }

    #[test]
    fn round_trip_hand_made() {
        let cases = [
            "a+b*c",
            "a-b-c",
            "-x^2",
            "x^y^z",
            "x^-1",
            "2^-x^2",
            "a*b'",
            "2.*x",
            "2./x",
            "x.^2",
            "A[0,1]'",
            "z' * P * z",
            "sum((abs2(G * z) - y).^2) / 512",
            "x >= 0",
            "1.5i*z",
            "2i",
            ".5",
            "1e-300 + 1e300",
            "1e-7i",
            "f()",
            "f(x)'[0]",
            "(A*B)'",
            "x''",
            "--x",
            "+-+x",
            "a == b + c",
            "(a <= b) >= c",
            "norm(x, 2)^2 + lambda * sum(abs(x))",
            "real(z' * H * z) / (z' * z)",
            "x[i, j+1]^2 - x[i][j] .* y ./ w",
            "exp(1i * theta) .* a",
            "-x[0]'^-2'",
            "0.1 + 0.2 * 3.000000000000001",
            "f(g(h(1), 2), k())",
            "(((x)))",
            "abs2(fft(x)) - y <= 0.5",
        ];
        assert!(cases.len() >= 30);
        for src in cases {
            let e = parse_expression(src).unwrap();
            let printed = e.to_string();
            let again = parse_expression(&printed)
                .unwrap_or_else(|err| panic!("{src:?} printed as {printed:?}: {err}"));
            assert!(again.eq_ignoring_spans(&e), "{src:?} vs {printed:?}");
            assert_eq!(again.to_string(), printed);
        }
    }

    /// The crate's seeded generator, with a helper for indices.
    struct Rng(crate::rng::SplitMix64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0.next_u64()
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_expr(rng: &mut Rng, depth: usize) -> Expr {
        const OPS: [BinOp; 11] = [
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::ElemMul,
            BinOp::ElemDiv,
            BinOp::Pow,
            BinOp::ElemPow,
            BinOp::Eq,
            BinOp::Le,
            BinOp::Ge,
        ];
        let leaf = depth == 0 || rng.below(4) == 0;
        let kind = if leaf {
            match rng.below(4) {
                0 => ExprKind::Number(rng.below(1000) as f64 / 8.0),
                1 => ExprKind::Imag(f64::from_bits(rng.next() >> 2).min(1e300)),
                2 => ExprKind::Name(["x", "y", "i", "A_1"][rng.below(4)].to_string()),
                _ => ExprKind::Call {
                    name: "f".into(),
                    name_span: 0..0,
                    args: Vec::new(),
                },
            }
        } else {
            let choice = rng.below(5);
            let op = OPS[rng.below(OPS.len())];
            let mut sub = || Box::new(random_expr(rng, depth - 1));
            match choice {
                0 => ExprKind::Neg(sub()),
                1 => ExprKind::Adjoint(sub()),
                2 => ExprKind::Index {
                    target: sub(),
                    indices: vec![*sub(), *sub()],
                },
                3 => ExprKind::Call {
                    name: "g".into(),
                    name_span: 0..0,
                    args: vec![*sub()],
                },
                _ => ExprKind::Binary {
                    op,
                    lhs: sub(),
                    rhs: sub(),
                },
            }
        };
        Expr::new(kind, 0..0)
    }

    #[test]
    fn round_trip_random_trees() {
        let mut rng = Rng(crate::rng::SplitMix64::new(7));
        for _ in 0..3000 {
            let e = random_expr(&mut rng, 6);
            let printed = e.to_string();
            let again =
                parse_expression(&printed).unwrap_or_else(|err| panic!("{printed:?}: {err}"));
            assert!(again.eq_ignoring_spans(&e), "{printed:?}");
        }
    }

    /// Random token soup: never panics, errors have valid spans.
    #[test]
    fn random_input_never_panics() {
        const PIECES: [&str; 32] = [
            "x",
            "f",
            "(",
            ")",
            "[",
            "]",
            ",",
            "'",
            "+",
            "-",
            "*",
            "/",
            ".",
            "^",
            "=",
            "<",
            ">",
            "2",
            "1e",
            "i",
            " ",
            "\n",
            "×",
            "é",
            "_",
            "9",
            "e",
            "E",
            "**",
            ".5",
            "@",
            "\u{1F600}",
        ];
        let mut rng = Rng(crate::rng::SplitMix64::new(12345));
        for _ in 0..20_000 {
            let len = rng.below(24);
            let src: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            match parse_expression(&src) {
                Ok(e) => {
                    assert!(src.get(e.span.clone()).is_some());
                    let again = parse_expression(&e.to_string()).unwrap();
                    assert!(again.eq_ignoring_spans(&e), "{src:?}");
                }
                Err(e) => {
                    assert!(src.get(e.span.clone()).is_some(), "{src:?}: {e:?}");
                    assert!(!e.message.is_empty());
                }
            }
        }
    }

    /// Maximum-size inputs of various shapes are handled in linear time.
    #[test]
    fn large_inputs() {
        let n = MAX_LEN / 2 - 2;
        let args = format!("f({}x)", "x,".repeat(n));
        match parse_expression(&args).map(|e| e.kind) {
            Ok(ExprKind::Call { args, .. }) => assert_eq!(args.len(), n + 1),
            other => panic!("unexpected {other:?}"),
        }
        assert_err(&"1".repeat(MAX_LEN), "number out of range", 0..MAX_LEN);
        let tiny = format!("0.{}1", "0".repeat(MAX_LEN - 3));
        assert_eq!(show(&tiny), "0.0");
        let spaces = format!("{}x", " ".repeat(MAX_LEN - 1));
        assert_eq!(show(&spaces), "x");
        let name = "x".repeat(MAX_LEN);
        assert!(parse_expression(&name).is_ok());
    }
}
