//! MedMNIST-style NPZ archives (zip of .npy members).
#![no_main]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::scratch(data, "set.npz");
    let names = vec!["a".to_string(), "b".to_string()];
    for split in ["train", "val", "test"] {
        let _ = nn_data::formats::npz::read_npz_split(&path, split, &names);
    }
});
