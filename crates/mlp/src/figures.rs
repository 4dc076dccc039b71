//! Pictures of 2-D classifiers for `mlp/perceptron`: points coloured by class over shaded
//! decision regions, with an optional straight boundary line.

use crate::perceptron::Point;
use nn_core::Result;
use plotters::prelude::*;
use std::path::Path;

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const BLUE_REGION: RGBColor = RGBColor(214, 230, 244);
const ORANGE_REGION: RGBColor = RGBColor(255, 229, 204);

/// Draws `points` and the regions `classify` assigns (+1 orange, -1 blue) to a PNG; when
/// `line` is given, the line `w . x + b = 0` is drawn too.
pub fn decision_plot(
    path: &Path,
    title: &str,
    points: &[Point],
    classify: impl Fn([f64; 2]) -> f64,
    line: Option<([f64; 2], f64)>,
) -> Result<()> {
    let (w, h) = (640u32, 600u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let err = |e: String| nn_core::Error::Other(format!("{}: cannot draw ({e})", path.display()));
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        draw(&root, title, points, &classify, line).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    nn_core::viz::save_rgb(path, w, h, buf)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    points: &[Point],
    classify: &impl Fn([f64; 2]) -> f64,
    line: Option<([f64; 2], f64)>,
) -> std::result::Result<(), String> {
    nn_core::viz::ensure_font();
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let extent = points
        .iter()
        .flat_map(|p| [p.x[0].abs(), p.x[1].abs()])
        .fold(1.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(-extent..extent, -extent..extent)
        .map_err(e)?;
    let cells = 80;
    let step = 2.0 * extent / cells as f64;
    let mut regions = Vec::with_capacity(cells * cells);
    for i in 0..cells {
        for j in 0..cells {
            let (x0, y0) = (-extent + i as f64 * step, -extent + j as f64 * step);
            let c = classify([x0 + step / 2.0, y0 + step / 2.0]);
            let colour = if c > 0.0 { ORANGE_REGION } else { BLUE_REGION };
            regions.push(Rectangle::new(
                [(x0, y0), (x0 + step, y0 + step)],
                colour.filled(),
            ));
        }
    }
    chart.draw_series(regions).map_err(e)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x1")
        .y_desc("x2")
        .draw()
        .map_err(e)?;
    if let Some((w, b)) = line
        && w[1].abs() > 1e-12
    {
        let y = |x: f64| -(w[0] * x + b) / w[1];
        chart
            .draw_series(LineSeries::new(
                vec![(-extent, y(-extent)), (extent, y(extent))],
                BLACK.stroke_width(2),
            ))
            .map_err(e)?;
    }
    for (class, colour) in [(1.0, ORANGE), (-1.0, BLUE)] {
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.y == class)
                    .map(|p| Circle::new((p.x[0], p.x[1]), 4, colour.filled())),
            )
            .map_err(e)?
            .label(if class > 0.0 { "class +1" } else { "class -1" })
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    Ok(())
}
