//! One entry of an image folder (PNG or JPEG, guessed from content), as grey and colour,
//! with and without resizing.
#![no_main]
mod common;

use nn_data::formats::image_folder::{FolderOptions, decode_image};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::scratch(data, "entry.png");
    let plain = FolderOptions::default();
    let resized = FolderOptions {
        resize: Some((16, 16)),
        ..Default::default()
    };
    let _ = decode_image(&path, &plain, false);
    let _ = decode_image(&path, &resized, true);
});
