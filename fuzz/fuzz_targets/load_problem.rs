//! Loading a problem file never panics; accepted problems evaluate without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let path = std::path::Path::new("fuzz/problem.toml");
        match wirtinger::io::parse_problem(s, path) {
            Ok(p) => {
                if p.dim() <= 4096 {
                    if let Ok(f) = p.function() {
                        let _ = f.value_gradient(&p.initial_point());
                    }
                }
            }
            Err(d) => {
                let _ = d.render();
            }
        }
    }
});
