//! Checkpoint containers (header, length, sha256, named records).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = nn_core::train::Checkpoint::from_bytes(data, std::path::Path::new("fuzz.ckpt"));
});
