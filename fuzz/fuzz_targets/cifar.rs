//! CIFAR-10 and CIFAR-100 binary batches.
#![no_main]
mod common;

use nn_data::formats::cifar::{CifarKind, read_cifar};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::scratch(data, "batch.bin");
    let ten: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let hundred: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let _ = read_cifar(&[&path], CifarKind::Ten, &ten);
    let _ = read_cifar(&[&path], CifarKind::HundredFine, &hundred);
});
