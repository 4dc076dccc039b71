//! The Oxford-IIIT Pet reader on fixtures in the official layout: JPEGs, VOC head boxes,
//! `trainval.txt`; the `cat-faces` set built from them by `download`.

use image::{Rgb, RgbImage};
use nn_core::data::catalog::find;
use nn_core::data::download::derive_dataset;
use nn_core::data::formats::oxford_pet::{
    HeadBox, cat_names, head_box, read_cat_heads, square_around, write_fixture,
};

/// A `width x height` blue photo with a red head inside `head`.
fn photo(width: u32, height: u32, head: HeadBox) -> RgbImage {
    let [x0, y0, x1, y1] = head;
    RgbImage::from_fn(width, height, |x, y| {
        if (x0..=x1).contains(&x) && (y0..=y1).contains(&y) {
            Rgb([230, 20, 20])
        } else {
            Rgb([20, 20, 230])
        }
    })
}

#[test]
fn the_cat_heads_are_cropped_to_squares_and_the_dogs_left_out() {
    let root = tempfile::tempdir().unwrap();
    let (cat_head, other_head, dog_head) = ([40, 30, 119, 109], [10, 5, 69, 44], [0, 0, 50, 50]);
    let cat = photo(200, 150, cat_head);
    let wide = photo(120, 90, other_head);
    let dog = photo(100, 100, dog_head);
    write_fixture(
        root.path(),
        &[
            ("Bengal_1", 1, &cat, Some(cat_head)),
            ("beagle_1", 2, &dog, Some(dog_head)),
            ("Sphynx_7", 1, &wide, Some(other_head)),
            ("Persian_3", 1, &cat, None),
        ],
    )
    .unwrap();
    let list = root.path().join("annotations/trainval.txt");
    assert_eq!(
        cat_names(&list).unwrap(),
        ["Bengal_1", "Sphynx_7", "Persian_3"]
    );
    let (faces, without_box) = read_cat_heads(root.path(), 64).unwrap();
    assert_eq!((faces.len(), without_box), (2, 1));
    assert_eq!(faces.shape.to_string(), "64x64x3");
    // The square head of the first: all red (JPEG blurs the border a little).
    let red_share = |image: &[u8]| {
        let plane = 64 * 64;
        (0..plane)
            .filter(|&p| image[p] > 150 && image[2 * plane + p] < 100)
            .count() as f64
            / plane as f64
    };
    assert!(
        red_share(faces.image(0)) > 0.9,
        "{}",
        red_share(faces.image(0))
    );
    // The 60x40 head becomes a 60x60 square, about two thirds of it red.
    let share = red_share(faces.image(1));
    assert!((0.55..0.8).contains(&share), "{share}");
}

#[test]
fn squares_stay_inside_the_image() {
    // A head at the right edge: the square moves left, keeps its side.
    assert_eq!(square_around([80, 10, 99, 29], 100, 100), (80, 10, 20));
    // A wide head in a short image: the side shrinks to the image's height.
    assert_eq!(square_around([0, 0, 99, 19], 100, 50), (25, 0, 50));
}

#[test]
fn a_damaged_annotation_names_its_file() {
    let root = tempfile::tempdir().unwrap();
    let xml = root.path().join("a.xml");
    std::fs::write(
        &xml,
        "<annotation><bndbox><xmin>3</xmin></bndbox></annotation>",
    )
    .unwrap();
    let message = head_box(&xml).unwrap_err().to_string();
    assert!(
        message.contains("a.xml") && message.contains("ymin"),
        "{message}"
    );
    let list = root.path().join("trainval.txt");
    std::fs::write(&list, "Bengal_1 1 1\n").unwrap();
    let message = cat_names(&list).unwrap_err().to_string();
    assert!(
        message.contains("trainval.txt") && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn download_builds_cat_faces_from_the_pet_layout_and_verify_reads_them() {
    let data = tempfile::tempdir().unwrap();
    let pets = find("oxford-iiit-pet").unwrap().dir(data.path());
    let head = [20, 20, 83, 83];
    let cat = photo(128, 128, head);
    write_fixture(
        &pets,
        &[
            ("Bengal_1", 1, &cat, Some(head)),
            ("Bengal_2", 1, &cat, Some(head)),
        ],
    )
    .unwrap();
    let spec = find("cat-faces").unwrap();
    derive_dataset(spec, data.path()).unwrap();
    let faces = spec.load(data.path(), "all").unwrap();
    assert_eq!(
        (faces.len(), faces.shape.to_string()),
        (2, "64x64x3".to_string())
    );
    let report = nn_core::data::verify::verify(find("oxford-iiit-pet").unwrap(), data.path());
    assert!(report.ok(), "{}", report.line());
    assert_eq!(report.splits, [("trainval", 2)]);
}
