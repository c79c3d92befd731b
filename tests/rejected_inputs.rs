//! One test per class of rejected input: the rendered message is compared with a golden file
//! `tests/golden/NAME.stderr`. Set `UPDATE_GOLDEN=1` to rewrite the golden files after a
//! deliberate change of wording, then review the diff.

use std::path::Path;

fn golden(name: &str) {
    let input = format!("tests/golden/{name}.toml");
    let err = match wirtinger::io::load_problem(Path::new(&input)) {
        Ok(_) => panic!("{input} was accepted but must be rejected"),
        Err(d) => d,
    };
    let rendered = err.render();
    // Every message names the file and, when it points into the TOML text, line and column.
    assert!(
        rendered.starts_with(&format!("error: {input}")),
        "{rendered}"
    );
    let expected_path = format!("tests/golden/{name}.stderr");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
        panic!("missing golden file {expected_path}; run with UPDATE_GOLDEN=1")
    });
    assert_eq!(rendered, expected, "message for {name} changed");
}

macro_rules! golden_tests {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { golden(stringify!($name)); } )*
    };
}

golden_tests!(
    toml_syntax,
    unknown_name,
    shape_mismatch,
    complex_objective,
    unreadable_npy,
    malformed_npy,
    malformed_mtx,
    nan_in_data,
    data_cycle,
    expression_syntax,
    two_objectives,
    no_objective,
    unknown_method,
    real_init_complex,
    non_hermitian,
    non_hermitian_direction,
    complex_coefficient_eig,
    bad_index,
);

#[test]
fn line_and_column_point_inside_the_expression() {
    let d = wirtinger::io::load_problem(Path::new("tests/golden/unknown_name.toml")).unwrap_err();
    // `minimize = "norm2sq(A * z)"`: `A` is on line 4, column 21.
    assert_eq!(d.line_col(), Some((4, 21)));
}
