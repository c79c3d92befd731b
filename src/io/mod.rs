//! Input and output: problem files, .npy and Matrix Market readers, seeded random data and the
//! result file.

pub mod array;
pub mod mtx;
pub mod npy;
pub mod problem_file;
pub mod random;
pub mod result;

pub use problem_file::{load_problem, parse_problem, METHODS};
