//! The Oxford-IIIT Pet data set (Parkhi et al. 2012, CC BY-SA 4.0) as the GAN week uses
//! it: the head boxes of its 12 cat breeds, cropped to squares and resized, as one
//! unlabelled set of cat faces. Official layout under the root: `images/<name>.jpg`,
//! `annotations/trainval.txt` (`<name> <class id> <species> <breed id>`, species 1 = cat,
//! 2 = dog; `#` lines are comments) and `annotations/xmls/<name>.xml` (Pascal VOC, one
//! `<bndbox>` around the head, for the trainval images).

use crate::error::FormatError;
use crate::{ImageDataset, ImageShape};
use std::path::Path;

/// The species number of cats in `trainval.txt`.
const CAT: &str = "1";

/// A head box in pixels: `[xmin, ymin, xmax, ymax]`, inclusive as VOC writes them.
pub type HeadBox = [u32; 4];

/// The names of the cat images of `trainval.txt`, in file order.
pub fn cat_names(list: &Path) -> Result<Vec<String>, FormatError> {
    let text = std::fs::read_to_string(list).map_err(|e| FormatError::io(list, e))?;
    let mut names = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 4 {
            return Err(FormatError::invalid(
                list,
                format!(
                    "line {}: expected `<name> <class id> <species> <breed id>`, found `{line}`",
                    number + 1
                ),
            ));
        }
        if fields[2] == CAT {
            names.push(fields[0].to_string());
        }
    }
    Ok(names)
}

/// The first `<bndbox>` of a VOC annotation.
pub fn head_box(xml: &Path) -> Result<HeadBox, FormatError> {
    let text = std::fs::read_to_string(xml).map_err(|e| FormatError::io(xml, e))?;
    let bndbox = between(&text, "<bndbox>", "</bndbox>")
        .ok_or_else(|| FormatError::invalid(xml, "no <bndbox> element"))?;
    let mut corners = [0u32; 4];
    for (value, tag) in corners.iter_mut().zip(["xmin", "ymin", "xmax", "ymax"]) {
        let field = between(bndbox, &format!("<{tag}>"), &format!("</{tag}>"))
            .ok_or_else(|| FormatError::invalid(xml, format!("<bndbox> has no <{tag}>")))?;
        *value = field
            .trim()
            .parse::<f64>()
            .map(|v| v.max(0.0) as u32)
            .map_err(|_| {
                FormatError::invalid(xml, format!("<{tag}> is `{field}`, not a number"))
            })?;
    }
    let [x0, y0, x1, y1] = corners;
    if x1 <= x0 || y1 <= y0 {
        return Err(FormatError::invalid(
            xml,
            format!("empty head box {corners:?}"),
        ));
    }
    Ok(corners)
}

/// The text between the first `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// The square around `head` (its longer side, centred on it) moved inside an image of
/// `width x height`, and shrunk to the image where it is larger: `(x, y, side)`.
pub fn square_around(head: HeadBox, width: u32, height: u32) -> (u32, u32, u32) {
    let [x0, y0, x1, y1] = head;
    let side = (x1 - x0 + 1).max(y1 - y0 + 1).min(width).min(height);
    let centre = |a: u32, b: u32| (a + b).div_ceil(2);
    let place = |c: u32, limit: u32| c.saturating_sub(side / 2).min(limit - side);
    (
        place(centre(x0, x1), width),
        place(centre(y0, y1), height),
        side,
    )
}

/// Every cat head of the trainval list under `root`, `side x side` RGB; images whose
/// annotation is missing are left out (the official set has a box for nearly every
/// trainval image) and counted in the second value.
pub fn read_cat_heads(root: &Path, side: u32) -> Result<(ImageDataset, usize), FormatError> {
    let list = root.join("annotations").join("trainval.txt");
    let names = cat_names(&list)?;
    let shape = ImageShape::new(3, side as usize, side as usize);
    let mut pixels = Vec::with_capacity(names.len() * shape.len());
    let mut without_box = 0;
    for name in &names {
        let xml = root
            .join("annotations")
            .join("xmls")
            .join(format!("{name}.xml"));
        if !xml.exists() {
            without_box += 1;
            continue;
        }
        let head = head_box(&xml)?;
        let path = root.join("images").join(format!("{name}.jpg"));
        let image = image::open(&path)
            .map_err(|e| FormatError::UnreadableImage {
                path: path.clone(),
                reason: e.to_string(),
            })?
            .to_rgb8();
        let (x, y, s) = square_around(head, image.width(), image.height());
        let crop = image::imageops::crop_imm(&image, x, y, s, s).to_image();
        let face =
            image::imageops::resize(&crop, side, side, image::imageops::FilterType::Triangle);
        pixels.extend_from_slice(&super::npz::nhwc_to_nchw(face.as_raw(), shape));
    }
    if pixels.is_empty() {
        return Err(FormatError::invalid(
            &list,
            "no cat image with a head box: is this the Oxford-IIIT Pet layout (images/, annotations/xmls/)?",
        ));
    }
    let dataset = ImageDataset {
        pixels,
        labels: None,
        shape,
        class_names: Vec::new(),
        source: root.display().to_string(),
    };
    Ok((dataset, without_box))
}

/// Writes a fixture in the official layout: one JPEG per `(name, species, image, head)`,
/// its VOC box (none for `head: None`), and `trainval.txt`.
pub fn write_fixture(
    root: &Path,
    items: &[(&str, u8, &image::RgbImage, Option<HeadBox>)],
) -> Result<(), FormatError> {
    let (images, xmls) = (root.join("images"), root.join("annotations").join("xmls"));
    for dir in [&images, &xmls] {
        std::fs::create_dir_all(dir).map_err(|e| FormatError::io(dir, e))?;
    }
    let mut list = String::from("#Image CLASS-ID SPECIES BREED ID\n");
    for (i, (name, species, image, head)) in items.iter().enumerate() {
        let path = images.join(format!("{name}.jpg"));
        image
            .save(&path)
            .map_err(|e| FormatError::UnreadableImage {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if let Some([x0, y0, x1, y1]) = head {
            let xml = xmls.join(format!("{name}.xml"));
            let text = format!(
                "<annotation><filename>{name}.jpg</filename><size><width>{}</width><height>{}</height><depth>3</depth></size><object><name>{}</name><pose>Frontal</pose><truncated>0</truncated><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object></annotation>\n",
                image.width(),
                image.height(),
                if *species == 1 { "cat" } else { "dog" }
            );
            std::fs::write(&xml, text).map_err(|e| FormatError::io(&xml, e))?;
        }
        list.push_str(&format!("{name} {} {species} {}\n", i + 1, i + 1));
    }
    let path = root.join("annotations").join("trainval.txt");
    std::fs::write(&path, list).map_err(|e| FormatError::io(&path, e))
}
