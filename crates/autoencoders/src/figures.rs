//! The week's pictures: rows of images (inputs over reconstructions), codes drawn as
//! images, and a scatter of a 2-D latent space coloured by class.

use burn::prelude::*;
use nn_core::data::Normalization;
use nn_core::viz::{GridImage, PALETTE, save_grid, tensor_to_images};
use nn_core::{Result, Run};
use plotters::prelude::*;

/// Saves rows of `[n, c, h, w]` images in [0, 1] (each row one tensor, same `n`) as
/// `<name>.png` in the run, captioning each row's first image with its label.
pub fn save_rows(run: &mut Run, name: &str, rows: &[(impl AsRef<str>, Tensor<4>)]) -> Result<()> {
    let mut cells: Vec<GridImage> = Vec::new();
    let mut columns = 1;
    for (label, images) in rows {
        let channels = images.dims()[1];
        let mut row = tensor_to_images(images.clone(), &Normalization::unit(channels));
        columns = row.len().max(1);
        if let Some(first) = row.first_mut() {
            first.caption = Some(label.as_ref().to_string());
        }
        cells.extend(row);
    }
    let path = run.path(&format!("{name}.png"));
    save_grid(&path, &cells, columns, 3)?;
    run.add_file(&path);
    Ok(())
}

/// Codes `[n, units]` in [0, 1] as pictures `[n, channels, height, width]`: each code laid
/// out on the smallest square grid that holds it (zeros after the last unit), each unit a
/// block of equal pixels (white = 1).
pub fn code_pictures(code: Tensor<2>, [channels, height, width]: [usize; 3]) -> Tensor<4> {
    let [n, units] = code.dims();
    let side = (units as f64).sqrt().ceil() as usize;
    let device = code.device();
    let padded = Tensor::cat(
        vec![code, Tensor::zeros([n, side * side - units], &device)],
        1,
    )
    .reshape([n, 1, side, side]);
    burn::tensor::module::interpolate(
        padded,
        burn::tensor::ops::InterpolateOptions::new(burn::tensor::ops::InterpolateMode::Nearest)
            .with_output_size([height, width]),
    )
    .repeat_dim(1, channels)
}

/// Draws `points` (x, y, class) as a scatter plot with a legend of `class_names` in a
/// column of its own to the right, so that it hides no point.
pub fn save_scatter(
    run: &mut Run,
    name: &str,
    title: &str,
    points: &[(f64, f64, usize)],
    class_names: &[String],
) -> Result<()> {
    nn_core::viz::ensure_font();
    let path = run.path(&format!("{name}.png"));
    let (w, h) = (900u32, 640u32);
    let legend_width = 140u32;
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let err = |e: String| nn_core::Error::Other(format!("{}: cannot draw ({e})", path.display()));
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let e = |x: DrawingAreaErrorKind<_>| err(x.to_string());
        root.fill(&WHITE).map_err(e)?;
        let (plot, legend) = root.split_horizontally(w - legend_width);
        let range = |f: fn(&(f64, f64, usize)) -> f64| {
            let (lo, hi) = points
                .iter()
                .map(f)
                .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
            if lo < hi { lo..hi } else { -1.0..1.0 }
        };
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(range(|p| p.0), range(|p| p.1))
            .map_err(|x| err(x.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("z1")
            .y_desc("z2")
            .draw()
            .map_err(|x| err(x.to_string()))?;
        for (class, colour) in PALETTE.iter().enumerate() {
            let label = class_names.get(class).cloned().unwrap_or_default();
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.2 == class)
                        .map(|p| Circle::new((p.0, p.1), 2, colour.filled())),
                )
                .map_err(|x| err(x.to_string()))?;
            let y = 48 + 22 * class as i32;
            legend
                .draw(&Circle::new((10, y), 5, colour.filled()))
                .map_err(|x| err(x.to_string()))?;
            legend
                .draw(&Text::new(
                    label,
                    (22, y - 7),
                    ("sans-serif", 14).into_font().color(&BLACK),
                ))
                .map_err(|x| err(x.to_string()))?;
        }
        root.present().map_err(|x| err(x.to_string()))?;
    }
    nn_core::viz::save_rgb(&path, w, h, buf)?;
    run.add_file(&path);
    Ok(())
}
