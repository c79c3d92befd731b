//! The .npy reader never panics and never allocates more than its limits allow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wirtinger::io::array::ReadLimits;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_elements: 1 << 20,
        max_file_bytes: 1 << 24,
    };
    if let Ok(a) = wirtinger::io::npy::parse_npy(data, &limits) {
        assert_eq!(a.data.len(), a.shape.iter().product::<usize>());
    }
});
