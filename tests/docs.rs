//! The documentation cannot drift from the repository.
//!
//! Three checks on the pages a newcomer reads (README.md, docs/*.md, problems/README.md):
//!
//! 1. every ```` ```rust ```` block of docs/api.md is an excerpt of a program under `examples/`:
//!    its lines, whitespace-trimmed, appear contiguously in one `examples/**/*.rs` file, so the
//!    API guide shows only code that compiles and runs (the examples are built by `cargo test`);
//! 2. every problem file the pages name (`problems/NAME.toml`, and in problems/README.md the
//!    bare `NAME.toml` of its table) exists, and the gallery's table lists every problem file;
//!    likewise every path under `tests/`, `examples/`, `benches/`, `src/` or `fuzz/` the pages
//!    name, and every target of `--test NAME`, `--bench NAME`, `--example NAME`;
//!    docs/README.md, the index, links every page of docs/;
//! 3. every relative link `[text](target)` or image `![alt](target)` points at an existing file,
//!    and its `#anchor`, if any, at a heading of the target page (GitHub's anchor rule:
//!    lowercase, punctuation dropped, spaces to `-`, `-1`, `-2`, … for repeated headings).
//!
//! Each check is a pure function over text (`rust_blocks`, `is_excerpt`, `problem_names`,
//! `links`, `anchors`) with its own negative test below, so that a broken link, a missing
//! problem file or a drifted code block is seen to fail.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages checked: README.md, docs/*.md and problems/README.md.
fn pages() -> Vec<PathBuf> {
    let r = root();
    let mut v = vec![r.join("README.md"), r.join("problems/README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(r.join("docs"))
        .expect("docs/ is readable")
        .map(|e| e.expect("docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    v.extend(docs);
    v
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The lines of `text` outside fenced code blocks, with their 1-based line numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let marker = if t.starts_with("```") {
            Some("```")
        } else if t.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(f), Some(m)) if f == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// The bodies of the ```` ```rust ```` blocks of a Markdown text, with the line of the fence.
fn rust_blocks(text: &str) -> Vec<(usize, Vec<&str>)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, Vec<&str>)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        match cur.as_mut() {
            None if t.starts_with("```") => {
                let lang = t.trim_start_matches('`').trim();
                let lang = lang.split([',', ' ']).next().unwrap_or("");
                if lang == "rust" {
                    cur = Some((i + 1, Vec::new()));
                } else {
                    // skip a non-rust block up to its closing fence
                    cur = Some((0, Vec::new()));
                }
            }
            None => {}
            Some(_) if t == "```" => {
                let (at, body) = cur.take().expect("inside a block");
                if at != 0 {
                    out.push((at, body));
                }
            }
            Some((_, body)) => body.push(line),
        }
    }
    out
}

/// Whether the whitespace-trimmed lines of `block` occur contiguously among the
/// whitespace-trimmed lines of `source`. Leading and trailing blank lines of the block are
/// ignored; an empty block is not an excerpt.
fn is_excerpt(block: &[&str], source: &str) -> bool {
    let b: Vec<&str> = block.iter().map(|l| l.trim()).collect();
    let start = b.iter().position(|l| !l.is_empty());
    let end = b.iter().rposition(|l| !l.is_empty());
    let (Some(s), Some(e)) = (start, end) else {
        return false;
    };
    let b = &b[s..=e];
    let src: Vec<&str> = source.lines().map(str::trim).collect();
    src.windows(b.len()).any(|w| w == b)
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.expect("directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The problem files named in a page: `problems/NAME.toml` anywhere in the text (code blocks
/// included: they are commands to run), as paths relative to the repository root.
fn problem_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(k) = text[from..].find("problems/") {
        let s = from + k;
        from = s + "problems/".len();
        // `../problems/` and `/work/problems/` are fine; `myproblems/` is not ours.
        if s > 0 && (bytes[s - 1].is_ascii_alphanumeric() || bytes[s - 1] == b'_') {
            continue;
        }
        let rest = &text[from..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        if let Some(stem) = name.strip_suffix(".toml") {
            if !stem.is_empty() && !stem.contains('.') {
                out.insert(format!("problems/{name}"));
            }
        }
    }
    out
}

/// The bare `` `NAME.toml` `` names in backticks of a text (the gallery's table).
fn backticked_tomls(text: &str) -> BTreeSet<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.ends_with(".toml")
                && s.len() > 5
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        })
        .map(str::to_string)
        .collect()
}

/// The targets of the inline links and images of a Markdown text outside code blocks and
/// code spans, with their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        // drop code spans: `[a](b)` inside backticks is not a link
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(k) = rest.find("](") {
            let after = &rest[k + 2..];
            // the target ends at the matching ')' (targets may hold balanced parentheses)
            let mut depth = 0usize;
            let mut end = None;
            for (i, c) in after.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    ')' => depth -= 1,
                    _ => {}
                }
            }
            let Some(e) = end else { break };
            let target = after[..e].split_whitespace().next().unwrap_or("");
            out.push((n, target.to_string()));
            rest = &after[e..];
        }
    }
    out
}

/// GitHub's anchor of a heading text: lowercase; letters, digits, `-`, `_` kept; spaces to
/// `-`; everything else (punctuation, backticks, symbols) dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c)
            } else if c == ' ' {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The anchors of the headings of a Markdown text, with GitHub's `-1`, `-2`, … suffixes for
/// repeated headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let t = line.trim_start();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
            let base = slug(&t[hashes..]);
            let mut a = base.clone();
            let mut k = 0;
            while out.contains(&a) {
                k += 1;
                a = format!("{base}-{k}");
            }
            out.insert(a);
        }
    }
    out
}

/// The broken relative links of one page: a missing target file, or an anchor that is not a
/// heading of the target page.
fn broken_links(page: &Path, text: &str) -> Vec<String> {
    let dir = page.parent().expect("a page has a directory");
    let mut bad = Vec::new();
    for (n, target) in links(text) {
        if target.is_empty()
            || target.contains("://")
            || target.starts_with("mailto:")
            || target.starts_with('<')
        {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let file = if path.is_empty() {
            page.to_path_buf()
        } else {
            dir.join(path)
        };
        if !file.exists() {
            bad.push(format!(
                "{}:{n}: link target {target} does not exist",
                page.display()
            ));
            continue;
        }
        if let Some(a) = anchor {
            if file.extension().is_some_and(|e| e == "md") && !anchors(&read(&file)).contains(a) {
                bad.push(format!(
                    "{}:{n}: link {target}: no heading with anchor #{a} in {}",
                    page.display(),
                    file.display()
                ));
            }
        }
    }
    bad
}

/// The repository paths a page names: `tests/…`, `examples/…`, `benches/…`, `src/…`, `fuzz/…`
/// (trailing punctuation dropped). Globs (`*`) and the folders cargo-fuzz creates on its first
/// run (`fuzz/corpus`, `fuzz/artifacts`, not in git) are left out.
fn repo_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    for prefix in ["tests/", "examples/", "benches/", "src/", "fuzz/"] {
        let mut from = 0;
        while let Some(k) = text[from..].find(prefix) {
            let s = from + k;
            from = s + prefix.len();
            if s > 0 && (bytes[s - 1].is_ascii_alphanumeric() || b"_/.-".contains(&bytes[s - 1])) {
                continue;
            }
            let rest = &text[s..];
            let len = rest
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/')
                })
                .unwrap_or(rest.len());
            let path = rest[..len].trim_end_matches(['.', '/']);
            let globbed = rest[len..].starts_with('*');
            let generated = path.starts_with("fuzz/corpus") || path.starts_with("fuzz/artifacts");
            if !globbed && !generated && path.len() > prefix.len() {
                out.insert(path.to_string());
            }
        }
    }
    out
}

/// The cargo targets a page names: `(kind, name)` for `--test NAME`, `--bench NAME` and
/// `--example NAME` (placeholders in capitals, like `NAME`, are skipped).
fn cargo_targets(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for w in words.windows(2) {
        let kind = match w[0] {
            "--test" => "tests",
            "--bench" => "benches",
            "--example" => "examples",
            _ => continue,
        };
        let name: String = w[1]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() && name.chars().any(|c| c.is_ascii_lowercase()) {
            out.insert((kind.to_string(), name));
        }
    }
    out
}

/// Whether cargo finds the target: `KIND/NAME.rs` or `KIND/NAME/main.rs`.
fn target_exists(kind: &str, name: &str) -> bool {
    let r = root().join(kind);
    r.join(format!("{name}.rs")).is_file() || r.join(name).join("main.rs").is_file()
}

#[test]
fn api_guide_blocks_are_excerpts_of_examples() {
    let api = root().join("docs/api.md");
    let text = read(&api);
    let blocks = rust_blocks(&text);
    assert!(
        blocks.len() >= 5,
        "docs/api.md has {} rust blocks; the parser lost them",
        blocks.len()
    );
    let sources: Vec<(PathBuf, String)> = rust_files(&root().join("examples"))
        .into_iter()
        .map(|p| {
            let s = read(&p);
            (p, s)
        })
        .collect();
    assert!(!sources.is_empty(), "no examples/*.rs");
    let mut bad = Vec::new();
    for (at, body) in &blocks {
        if !sources.iter().any(|(_, s)| is_excerpt(body, s)) {
            bad.push(format!(
                "docs/api.md:{at}: this rust block is not an excerpt of any examples/**/*.rs file:\n{}",
                body.join("\n")
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
}

#[test]
fn named_problem_files_exist() {
    let r = root();
    let mut bad = Vec::new();
    let mut named = 0;
    for page in pages() {
        for name in problem_names(&read(&page)) {
            named += 1;
            if !r.join(&name).is_file() {
                bad.push(format!(
                    "{}: names {name}, which does not exist",
                    page.display()
                ));
            }
        }
    }
    assert!(
        named >= 5,
        "only {named} problem files named: the scan is broken"
    );

    // the gallery's table: every bare NAME.toml exists, and every problem file is listed
    let gallery = read(&r.join("problems/README.md"));
    let listed = backticked_tomls(&gallery);
    for name in &listed {
        if !r.join("problems").join(name).is_file() {
            bad.push(format!(
                "problems/README.md: lists {name}, which does not exist"
            ));
        }
    }
    for e in fs::read_dir(r.join("problems")).expect("problems/ is readable") {
        let p = e.expect("problems/ entry").path();
        if p.extension().is_some_and(|x| x == "toml") {
            let name = p.file_name().expect("a file name").to_string_lossy();
            if !listed.contains(name.as_ref()) {
                bad.push(format!("problems/README.md: does not list problems/{name}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn named_repository_paths_and_targets_exist() {
    let r = root();
    let mut bad = Vec::new();
    let (mut paths, mut targets) = (0, 0);
    for page in pages() {
        let text = read(&page);
        for p in repo_paths(&text) {
            paths += 1;
            if !r.join(&p).exists() {
                bad.push(format!(
                    "{}: names {p}, which does not exist",
                    page.display()
                ));
            }
        }
        for (kind, name) in cargo_targets(&text) {
            targets += 1;
            if !target_exists(&kind, &name) {
                bad.push(format!(
                    "{}: names the {kind} target {name}, which is not {kind}/{name}.rs",
                    page.display()
                ));
            }
        }
    }
    assert!(
        paths >= 10 && targets >= 3,
        "{paths} paths, {targets} targets: the scan is broken"
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn index_links_every_page() {
    let index = root().join("docs/README.md");
    let linked: BTreeSet<String> = links(&read(&index))
        .into_iter()
        .map(|(_, t)| t.split('#').next().unwrap_or("").to_string())
        .collect();
    let mut missing = Vec::new();
    for page in pages() {
        if page.parent() == index.parent() && page != index {
            let name = page.file_name().expect("a file name").to_string_lossy();
            if !linked.contains(name.as_ref()) {
                missing.push(name.into_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/README.md does not link {}",
        missing.join(", ")
    );
}

#[test]
fn relative_links_resolve() {
    let mut bad = Vec::new();
    let mut count = 0;
    for page in pages() {
        let text = read(&page);
        count += links(&text).len();
        bad.extend(broken_links(&page, &text));
    }
    assert!(count >= 30, "only {count} links found: the scan is broken");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

// --- each check can fail -------------------------------------------------------------------

#[test]
fn excerpt_check_rejects_drift() {
    let src = "fn main() {\n    let a = 1;\n    let b = a + 1;\n\n    println!(\"{b}\");\n}\n";
    assert!(is_excerpt(&["let a = 1;", "  let b = a + 1;"], src));
    assert!(is_excerpt(
        &["", "let b = a + 1;", "", "println!(\"{b}\");", ""],
        src
    ));
    // a changed line, lines out of order, a dropped line in between, an empty block
    assert!(!is_excerpt(&["let a = 2;"], src));
    assert!(!is_excerpt(&["let b = a + 1;", "let a = 1;"], src));
    assert!(!is_excerpt(&["let a = 1;", "println!(\"{b}\");"], src));
    assert!(!is_excerpt(&["", "  "], src));
    let md = "text\n```rust\nlet x = 1;\n```\n```sh\ncargo run\n```\n```rust,ignore\ny\n```\n";
    let blocks = rust_blocks(md);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0], (2, vec!["let x = 1;"]));
    assert_eq!(blocks[1].1, vec!["y"]);
}

#[test]
fn problem_scan_finds_missing_files() {
    let text = "run `cargo run -- solve problems/least_squares.toml` and\n\
                [x](../problems/no_such_problem.toml); not myproblems/a.toml nor problems/*.toml";
    let names = problem_names(text);
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec![
            "problems/least_squares.toml".to_string(),
            "problems/no_such_problem.toml".to_string()
        ]
    );
    assert!(!root().join("problems/no_such_problem.toml").exists());
    let listed = backticked_tomls("| `a_b.toml` | x | `[problem]` | `c.toml` |");
    assert_eq!(
        listed.into_iter().collect::<Vec<_>>(),
        vec!["a_b.toml".to_string(), "c.toml".to_string()]
    );
}

#[test]
fn link_check_finds_broken_links_and_anchors() {
    assert_eq!(
        slug(" 2. Solve and watch — `examples/x.rs`"),
        "2-solve-and-watch--examplesxrs"
    );
    assert_eq!(
        slug("`wirtinger check FILE [--seed N]`"),
        "wirtinger-check-file---seed-n"
    );
    let a = anchors("# A\n## Options\n```\n# not a heading\n```\n## Options\n");
    assert_eq!(
        a.into_iter().collect::<Vec<_>>(),
        vec!["a", "options", "options-1"]
    );
    let page = root().join("docs/guide.md");
    let text = "see [cli](cli.md#the-result-file), [here](#1-install), \
                [web](https://example.org/x), `[code](nowhere.md)`\n\
                [gone](no_such_page.md) and [bad anchor](cli.md#no-such-heading) \
                ![img](img/no_such.svg) [self](#no-such-section)\n";
    let bad = broken_links(&page, text);
    assert_eq!(bad.len(), 4, "{bad:#?}");
    assert!(bad[0].contains("no_such_page.md"));
    assert!(bad[1].contains("#no-such-heading"));
    assert!(bad[2].contains("img/no_such.svg"));
    assert!(bad[3].contains("#no-such-section"));
}

#[test]
fn path_and_target_scan_finds_missing_ones() {
    let text = "see tests/docs.rs, `src/no_such_module.rs`, examples/*.rs, fuzz/corpus/x,\n\
                cargo test --test docs; cargo bench --bench no_such_bench; \
                cargo run --example NAME; cargo run --example bench_report";
    let paths: Vec<String> = repo_paths(text).into_iter().collect();
    assert_eq!(paths, vec!["src/no_such_module.rs", "tests/docs.rs"]);
    assert!(!root().join("src/no_such_module.rs").exists());
    let targets: Vec<(String, String)> = cargo_targets(text).into_iter().collect();
    assert_eq!(targets.len(), 3, "{targets:?}");
    let missing: Vec<&str> = targets
        .iter()
        .filter(|(k, n)| !target_exists(k, n))
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(missing, vec!["no_such_bench"]);
}
