//! Readers against fixtures written by the writers, and every bad-input error.

use nn_core::data::formats::cifar::{CifarKind, read_cifar, write_cifar};
use nn_core::data::formats::idx::{read_idx, read_idx_pair, write_idx, write_idx_pair};
use nn_core::data::formats::image_folder::{
    ColorMode, FolderOptions, read_image_folder, save_png, write_image_folder,
};
use nn_core::data::formats::npz::{npy_bytes, read_npz_split, write_npz};
use nn_core::data::synthetic::shapes;
use nn_core::data::{ImageDataset, ImageShape};
use nn_core::error::FormatError;

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("c{i}")).collect()
}

fn grey_set(n: usize) -> ImageDataset {
    shapes(n, 28, true, 7)
}

#[test]
fn idx_round_trip_raw_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let data = grey_set(23);
    for gzip in [false, true] {
        let (images, labels) = (
            dir.path().join(format!("i{gzip}")),
            dir.path().join(format!("l{gzip}")),
        );
        write_idx_pair(&data, &images, &labels, gzip).unwrap();
        let classes: Vec<&str> = data.class_names.iter().map(String::as_str).collect();
        let read = read_idx_pair(&images, &labels, &classes).unwrap();
        assert_eq!(read.pixels, data.pixels);
        assert_eq!(read.labels, data.labels);
        assert_eq!(read.shape, ImageShape::new(1, 28, 28));
    }
}

#[test]
fn idx_detects_gzip_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let raw_named_gz = dir.path().join("raw.gz");
    let gz_named_raw = dir.path().join("compressed.idx");
    write_idx(&raw_named_gz, &[4], &[1, 2, 3, 4], false).unwrap();
    write_idx(&gz_named_raw, &[4], &[1, 2, 3, 4], true).unwrap();
    assert_eq!(read_idx(&raw_named_gz, 1).unwrap().data, vec![1, 2, 3, 4]);
    assert_eq!(read_idx(&gz_named_raw, 1).unwrap().data, vec![1, 2, 3, 4]);
}

#[test]
fn idx_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    // Truncated: header announces 10 values, 6 present.
    write_idx(&p("trunc"), &[10], &[0; 10], false).unwrap();
    let bytes = std::fs::read(p("trunc")).unwrap();
    std::fs::write(p("trunc"), &bytes[..bytes.len() - 4]).unwrap();
    assert!(matches!(
        read_idx(&p("trunc"), 1),
        Err(FormatError::Truncated {
            expected: 10,
            actual: 6,
            ..
        })
    ));
    // Truncated inside the header.
    std::fs::write(p("short"), [0, 0, 8]).unwrap();
    assert!(matches!(
        read_idx(&p("short"), 1),
        Err(FormatError::Truncated { .. })
    ));
    // Wrong magic: a 1-dim file read as images.
    write_idx(&p("labels"), &[3], &[0, 1, 2], false).unwrap();
    let err = read_idx(&p("labels"), 3).unwrap_err();
    assert!(matches!(err, FormatError::BadMagic { .. }), "{err}");
    assert!(
        err.to_string().contains("labels"),
        "error names the file: {err}"
    );
    // A header claiming 10^12 images is refused without allocating them.
    let mut huge = vec![0, 0, 8, 3];
    for d in [1_000_000_000u32, 1000, 1000] {
        huge.extend_from_slice(&d.to_be_bytes());
    }
    std::fs::write(p("huge"), &huge).unwrap();
    assert!(matches!(
        read_idx(&p("huge"), 3),
        Err(FormatError::Truncated { actual: 0, .. })
    ));
    // Count mismatch and label out of range.
    let data = grey_set(5);
    write_idx_pair(&data, &p("im"), &p("lb"), false).unwrap();
    write_idx(&p("lb4"), &[4], &[0, 1, 2, 3], false).unwrap();
    let err = read_idx_pair(&p("im"), &p("lb4"), &["a"; 10]).unwrap_err();
    assert!(
        matches!(
            err,
            FormatError::CountMismatch {
                images: 5,
                labels: 4,
                ..
            }
        ),
        "{err}"
    );
    write_idx(&p("lb_bad"), &[5], &[0, 1, 2, 3, 12], false).unwrap();
    let err = read_idx_pair(&p("im"), &p("lb_bad"), &["a"; 10]).unwrap_err();
    assert!(
        matches!(
            err,
            FormatError::LabelOutOfRange {
                index: 4,
                label: 12,
                classes: 10,
                ..
            }
        ),
        "{err}"
    );
    // A corrupt gzip stream is an error, not a panic.
    let mut gz = vec![0x1f, 0x8b];
    gz.extend_from_slice(&[0xde; 40]);
    std::fs::write(p("bad.gz"), gz).unwrap();
    assert!(read_idx(&p("bad.gz"), 1).is_err());
    // A missing file names itself.
    let err = read_idx(&p("absent"), 1).unwrap_err();
    assert!(err.to_string().contains("absent"));
}

#[test]
fn cifar10_and_100_round_trip_any_record_count() {
    let dir = tempfile::tempdir().unwrap();
    let data = shapes(7, 32, false, 3);
    let path = dir.path().join("batch.bin");
    write_cifar(&path, &data, None).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 7 * 3073);
    let read = read_cifar(&[&path], CifarKind::Ten, &names(10)).unwrap();
    assert_eq!(read.pixels, data.pixels);
    assert_eq!(read.labels, data.labels);

    // CIFAR-100: coarse then fine byte; both label kinds readable.
    let coarse: Vec<u16> = (0..7).map(|i| 19 - i as u16).collect();
    let path100 = dir.path().join("train.bin");
    write_cifar(&path100, &data, Some(&coarse)).unwrap();
    assert_eq!(std::fs::metadata(&path100).unwrap().len(), 7 * 3074);
    let fine = read_cifar(&[&path100], CifarKind::HundredFine, &names(100)).unwrap();
    assert_eq!(fine.labels, data.labels);
    let read_coarse = read_cifar(&[&path100], CifarKind::HundredCoarse, &names(20)).unwrap();
    assert_eq!(read_coarse.labels.unwrap(), coarse);
    assert_eq!(fine.pixels, data.pixels);

    // Two files concatenate.
    let both = read_cifar(&[&path, &path], CifarKind::Ten, &names(10)).unwrap();
    assert_eq!(both.len(), 14);
}

#[test]
fn cifar_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = shapes(3, 32, false, 3);
    let path = dir.path().join("b.bin");
    write_cifar(&path, &data, None).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let err = read_cifar(&[&path], CifarKind::Ten, &names(10)).unwrap_err();
    assert!(
        matches!(err, FormatError::RecordSize { record: 3073, .. }),
        "{err}"
    );
    let mut bad = bytes.clone();
    bad[3073] = 42; // second record's label
    std::fs::write(&path, &bad).unwrap();
    let err = read_cifar(&[&path], CifarKind::Ten, &names(10)).unwrap_err();
    assert!(
        matches!(
            err,
            FormatError::LabelOutOfRange {
                index: 1,
                label: 42,
                ..
            }
        ),
        "{err}"
    );
    std::fs::write(&path, []).unwrap();
    assert!(matches!(
        read_cifar(&[&path], CifarKind::Ten, &names(10)),
        Err(FormatError::RecordSize { .. })
    ));
}

#[test]
fn npz_round_trip_grey_and_colour() {
    let dir = tempfile::tempdir().unwrap();
    for (grey, size) in [(true, 28), (false, 64)] {
        let train = shapes(6, size, grey, 1);
        let test = shapes(4, size, grey, 2);
        let path = dir.path().join(format!("m{size}.npz"));
        write_npz(&path, &[("train", &train), ("test", &test)]).unwrap();
        let read = read_npz_split(&path, "train", &names(10)).unwrap();
        assert_eq!(read.pixels, train.pixels, "NCHW after NHWC round trip");
        assert_eq!(read.labels, train.labels);
        assert_eq!(read.shape.channels, if grey { 1 } else { 3 });
        assert_eq!(read_npz_split(&path, "test", &names(10)).unwrap().len(), 4);
        let err = read_npz_split(&path, "val", &names(10)).unwrap_err();
        assert!(err.to_string().contains("val_images"), "{err}");
    }
}

#[test]
fn npz_errors() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npz");
    let write_members = |members: &[(&str, Vec<u8>)]| {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (name, bytes) in members {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    };
    let images = npy_bytes(&[3, 2, 2], &[0; 12]);
    // Count mismatch.
    write_members(&[
        ("train_images.npy", images.clone()),
        ("train_labels.npy", npy_bytes(&[2, 1], &[0, 1])),
    ]);
    assert!(matches!(
        read_npz_split(&path, "train", &names(2)),
        Err(FormatError::CountMismatch {
            images: 3,
            labels: 2,
            ..
        })
    ));
    // Label out of range.
    write_members(&[
        ("train_images.npy", images.clone()),
        ("train_labels.npy", npy_bytes(&[3, 1], &[0, 1, 5])),
    ]);
    assert!(matches!(
        read_npz_split(&path, "train", &names(2)),
        Err(FormatError::LabelOutOfRange { index: 2, .. })
    ));
    // Truncated array data.
    let mut short = images.clone();
    short.truncate(short.len() - 5);
    write_members(&[
        ("train_images.npy", short),
        ("train_labels.npy", npy_bytes(&[3, 1], &[0, 1, 1])),
    ]);
    assert!(matches!(
        read_npz_split(&path, "train", &names(2)),
        Err(FormatError::Truncated { .. })
    ));
    // Wrong magic inside.
    write_members(&[
        ("train_images.npy", b"NOTNUMPYAT ALL".to_vec()),
        ("train_labels.npy", npy_bytes(&[3, 1], &[0, 1, 1])),
    ]);
    assert!(matches!(
        read_npz_split(&path, "train", &names(2)),
        Err(FormatError::BadMagic { .. })
    ));
    // Not a zip at all.
    std::fs::write(&path, b"hello").unwrap();
    let err = read_npz_split(&path, "train", &names(2)).unwrap_err();
    assert!(err.to_string().contains("bad.npz"), "{err}");
}

#[test]
fn image_folder_labelled_flat_resize_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = shapes(6, 16, false, 9);
    let labelled = dir.path().join("labelled");
    write_image_folder(&labelled, &data).unwrap();
    let read = read_image_folder(&labelled, &FolderOptions::default()).unwrap();
    assert_eq!(read.len(), 6);
    let mut sorted_names = data.class_names[..6].to_vec();
    sorted_names.sort();
    assert_eq!(
        read.class_names, sorted_names,
        "sorted sub-folder names are the classes"
    );
    let mut read_sorted: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| {
            (
                read.class_name(read.label(i).unwrap()),
                read.image(i).to_vec(),
            )
        })
        .collect();
    let mut want: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| {
            (
                data.class_name(data.label(i).unwrap()),
                data.image(i).to_vec(),
            )
        })
        .collect();
    read_sorted.sort();
    want.sort();
    assert_eq!(read_sorted, want, "PNG is lossless");

    let flat = dir.path().join("flat");
    let mut unlabelled = data.clone();
    unlabelled.labels = None;
    write_image_folder(&flat, &unlabelled).unwrap();
    let options = FolderOptions {
        resize: Some((8, 12)),
        color: ColorMode::Grey,
        limit: Some(4),
        ..Default::default()
    };
    let read = read_image_folder(&flat, &options).unwrap();
    assert_eq!((read.len(), read.shape), (4, ImageShape::new(1, 12, 8)));
    assert!(read.labels.is_none());

    // Mixed sizes without resize.
    let other = shapes(1, 20, false, 1);
    save_png(&flat.join("zz.png"), other.shape, other.image(0)).unwrap();
    let err = read_image_folder(&flat, &FolderOptions::default()).unwrap_err();
    assert!(matches!(err, FormatError::MixedSizes { .. }), "{err}");
    // Unreadable image.
    std::fs::write(flat.join("zz.png"), b"not a png").unwrap();
    let err = read_image_folder(&flat, &FolderOptions::default()).unwrap_err();
    assert!(matches!(err, FormatError::UnreadableImage { .. }), "{err}");
    assert!(err.to_string().contains("zz.png"));
    assert!(err.to_string().contains("skip_unreadable_images"), "{err}");
    // ... or left out, as asked, and the rest read.
    let skipping = FolderOptions {
        skip_unreadable: true,
        ..Default::default()
    };
    let read = read_image_folder(&flat, &skipping).unwrap();
    assert_eq!(read.len(), unlabelled.len());
    // Empty folder.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(read_image_folder(&empty, &FolderOptions::default()).is_err());
}
