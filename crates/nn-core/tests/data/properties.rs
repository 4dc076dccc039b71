//! Properties on random inputs (proptest): every reader gives back what its writer wrote,
//! for random shapes, counts and labels; augmentations keep their invariants on random
//! images and parameters (Gaussian noise is left out of the range property on purpose: it
//! is unclamped so that it keeps the asked deviation).

use nn_core::augment::*;
use nn_core::data::formats::cifar::{CifarKind, read_cifar, write_cifar};
use nn_core::data::formats::idx::{read_idx_pair, write_idx_pair};
use nn_core::data::formats::image_folder::{FolderOptions, read_image_folder, write_image_folder};
use nn_core::data::formats::npz::{read_npz_split, write_npz};
use nn_core::data::{ImageDataset, ImageShape};
use proptest::prelude::*;

/// A random labelled data set: `n` images of `shape`, `classes` classes, random pixels.
fn dataset(
    shape: ImageShape,
    n: std::ops::RangeInclusive<usize>,
    classes: usize,
) -> impl Strategy<Value = ImageDataset> {
    n.prop_flat_map(move |n| {
        (
            prop::collection::vec(any::<u8>(), n * shape.len()),
            prop::collection::vec(0..classes as u16, n),
        )
    })
    .prop_map(move |(pixels, labels)| ImageDataset {
        pixels,
        labels: Some(labels),
        shape,
        class_names: (0..classes).map(|i| format!("c{i}")).collect(),
        source: "proptest".into(),
    })
}

fn grey_shape() -> impl Strategy<Value = ImageShape> {
    (1usize..=12, 1usize..=12).prop_map(|(h, w)| ImageShape::new(1, h, w))
}

fn any_shape() -> impl Strategy<Value = ImageShape> {
    (
        prop::sample::select(vec![1usize, 3]),
        1usize..=10,
        1usize..=10,
    )
        .prop_map(|(c, h, w)| ImageShape::new(c, h, w))
}

fn image() -> impl Strategy<Value = Image> {
    any_shape().prop_flat_map(|shape| {
        prop::collection::vec(0.0f32..=1.0, shape.len()).prop_map(move |data| Image { shape, data })
    })
}

/// (label, pixels) of each image, sorted: a folder reads back in its own file order.
fn items(data: &ImageDataset) -> Vec<(u16, Vec<u8>)> {
    let size = data.shape.len();
    let labels = data.labels.clone().unwrap_or_default();
    let mut items: Vec<(u16, Vec<u8>)> = data
        .pixels
        .chunks(size)
        .enumerate()
        .map(|(i, p)| (labels.get(i).copied().unwrap_or(0), p.to_vec()))
        .collect();
    items.sort();
    items
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn idx_round_trips(data in grey_shape().prop_flat_map(|s| dataset(s, 1..=20, 10)), gzip: bool) {
        let dir = tempfile::tempdir().unwrap();
        let (images, labels) = (dir.path().join("i"), dir.path().join("l"));
        write_idx_pair(&data, &images, &labels, gzip).unwrap();
        let names: Vec<&str> = data.class_names.iter().map(String::as_str).collect();
        let read = read_idx_pair(&images, &labels, &names).unwrap();
        prop_assert_eq!(read.shape, data.shape);
        prop_assert_eq!(read.pixels, data.pixels);
        prop_assert_eq!(read.labels, data.labels);
    }

    #[test]
    fn cifar_round_trips(data in dataset(ImageShape::new(3, 32, 32), 1..=6, 10)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.bin");
        write_cifar(&path, &data, None).unwrap();
        let read = read_cifar(&[&path], CifarKind::Ten, &data.class_names).unwrap();
        prop_assert_eq!(read.pixels, data.pixels);
        prop_assert_eq!(read.labels, data.labels);
    }

    #[test]
    fn npz_round_trips(
        (train, test) in any_shape().prop_flat_map(|s| (dataset(s, 1..=8, 4), dataset(s, 1..=5, 4)))
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("set.npz");
        write_npz(&path, &[("train", &train), ("test", &test)]).unwrap();
        for (split, want) in [("train", &train), ("test", &test)] {
            let read = read_npz_split(&path, split, &want.class_names).unwrap();
            prop_assert_eq!(read.shape, want.shape);
            prop_assert_eq!(&read.pixels, &want.pixels);
            prop_assert_eq!(&read.labels, &want.labels);
        }
    }

    #[test]
    fn image_folders_round_trip(data in any_shape().prop_flat_map(|s| dataset(s, 1..=8, 3))) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("folder");
        write_image_folder(&root, &data).unwrap();
        let read = read_image_folder(&root, &FolderOptions::default()).unwrap();
        prop_assert_eq!(read.shape, data.shape);
        // Classes with no image have no folder, so labels are compared by name.
        let by_name = |d: &ImageDataset| {
            let mut v: Vec<(String, Vec<u8>)> = items(d)
                .into_iter()
                .map(|(l, p)| (d.class_names[l as usize].clone(), p))
                .collect();
            v.sort();
            v
        };
        prop_assert_eq!(by_name(&read), by_name(&data));
    }

    #[test]
    fn flipping_twice_is_the_identity(img in image()) {
        let mut once = img.clone();
        HorizontalFlip::flip(&mut once);
        let mut twice = once.clone();
        HorizontalFlip::flip(&mut twice);
        prop_assert_eq!(&twice, &img);
        let mut rng = nn_core::backend::rng(1, "flip");
        let mut v = img.clone();
        VerticalFlip { p: 1.0 }.apply(&mut v, &mut rng);
        VerticalFlip { p: 1.0 }.apply(&mut v, &mut rng);
        prop_assert_eq!(&v, &img);
    }

    #[test]
    fn crops_stay_in_bounds(img in image(), padding in 0usize..6, oy in 0usize..12, ox in 0usize..12) {
        let (oy, ox) = (oy % (2 * padding + 1), ox % (2 * padding + 1));
        let mut cropped = img.clone();
        RandomCrop::crop_at(&mut cropped, padding, oy, ox);
        prop_assert_eq!(cropped.shape, img.shape);
        prop_assert_eq!(cropped.data.len(), img.data.len());
        // Every pixel is the zero padding or a pixel of the original.
        prop_assert!(cropped.data.iter().all(|v| *v == 0.0 || img.data.contains(v)));
        if oy == padding && ox == padding {
            prop_assert_eq!(&cropped, &img);
        }
    }

    #[test]
    fn colour_ops_keep_values_in_range(
        img in image(),
        delta in 0.0f32..1.0,
        contrast in (0.0f32..4.0, 0.0f32..4.0),
        saturation in (0.0f32..4.0, 0.0f32..4.0),
        seed: u64,
    ) {
        let (c_lo, c_hi) = (contrast.0.min(contrast.1), contrast.0.max(contrast.1));
        let (s_lo, s_hi) = (saturation.0.min(saturation.1), saturation.0.max(saturation.1));
        let mut out = img.clone();
        Pipeline::new()
            .then(Brightness { max_delta: delta })
            .then(Contrast { min: c_lo, max: c_hi })
            .then(Saturation { min: s_lo, max: s_hi })
            .apply(&mut out, &mut nn_core::backend::rng(seed, "colour"));
        prop_assert!(out.data.iter().all(|v| (0.0..=1.0).contains(v)), "{:?}", out.data);
    }
}
