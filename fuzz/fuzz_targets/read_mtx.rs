//! The Matrix Market reader never panics and never allocates more than its limits allow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirtinger::io::array::ReadLimits;
use wirtinger::io::mtx::{parse_mtx, Mtx};

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_elements: 1 << 20,
        max_file_bytes: 1 << 24,
    };
    match parse_mtx(data, &limits) {
        Ok(Mtx::Dense(a)) => assert_eq!(a.data.len(), a.shape.iter().product::<usize>()),
        Ok(Mtx::Coordinate(t)) => {
            assert!(t.entries.iter().all(|&(i, j, _)| i < t.nrows && j < t.ncols));
        }
        Err(_) => {}
    }
});
