//! IDX files, raw or gzip (detected by content), as images (3 dims) and labels (1 dim).
#![no_main]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::scratch(data, "input.idx");
    let _ = nn_data::formats::idx::read_idx(&path, 3);
    let _ = nn_data::formats::idx::read_idx(&path, 1);
});
