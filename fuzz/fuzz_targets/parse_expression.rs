//! The expression parser never panics and every error span lies on character boundaries.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Err(e) = wirtinger::expr::parse_expression(s) {
            assert!(e.span.start <= e.span.end && e.span.end <= s.len());
            assert!(s.is_char_boundary(e.span.start) && s.is_char_boundary(e.span.end));
        }
    }
});
