//! Line plots of metrics over epochs or steps, read from `metrics.jsonl`.

use super::{draw_error, font, save_rgb};
use crate::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// One named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A titled plot of several curves with labelled axes.
#[derive(Debug, Clone)]
pub struct CurvePlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub curves: Vec<Curve>,
    /// Log-scale y axis (losses spanning decades).
    pub log_y: bool,
}

/// The course's colours (matplotlib's tab10), by series or class index.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// An axis label with at most four significant digits and no trailing zeros (`20`, `0.6`,
/// `1.5e-4`), instead of the float noise a log axis otherwise prints (`0.60000000001`).
pub fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.1e}");
    }
    let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

impl CurvePlot {
    /// Writes `<stem>.png` and `<stem>.svg`; returns both paths.
    pub fn save(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        font::ensure();
        let (w, h) = (800u32, 500u32);
        let png = stem.with_extension("png");
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            self.draw(&root).map_err(|e| draw_error(&png, e))?;
            root.present().map_err(|e| draw_error(&png, e))?;
        }
        save_rgb(&png, w, h, buf)?;
        let svg = stem.with_extension("svg");
        {
            let root = SVGBackend::new(&svg, (w, h)).into_drawing_area();
            self.draw(&root).map_err(|e| draw_error(&svg, e))?;
            root.present().map_err(|e| draw_error(&svg, e))?;
        }
        Ok(vec![png, svg])
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (all, (x0, x1), (y0, y1)) = self.extent();
        let pad = (y1 - y0) * 0.05;
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(&self.title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70);
        macro_rules! finish {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(&self.x_label)
                    .y_desc(&self.y_label)
                    .x_label_formatter(&|v| tick_label(*v))
                    .y_label_formatter(&|v| tick_label(*v))
                    .label_style(("sans-serif", 14))
                    .axis_desc_style(("sans-serif", 16))
                    .draw()
                    .map_err(|e| e.to_string())?;
                for (i, curve) in self.curves.iter().enumerate() {
                    let colour = PALETTE[i % PALETTE.len()];
                    let points = self.visible_points(curve);
                    let style = ShapeStyle::from(&colour).stroke_width(2);
                    chart
                        .draw_series(LineSeries::new(points.clone(), style))
                        .map_err(|e| e.to_string())?
                        .label(curve.label.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                        });
                    if points.len() <= 60 {
                        chart
                            .draw_series(points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                            .map_err(|e| e.to_string())?;
                    }
                }
                chart
                    .configure_series_labels()
                    .position(legend_corner(
                        &all,
                        (x0, x1),
                        (y0, y1),
                        self.log_y,
                        self.curves.len(),
                    ))
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font(("sans-serif", 14))
                    .draw()
                    .map_err(|e| e.to_string())?;
            }};
        }
        if self.log_y {
            let (low, high) = (y0 * 0.9, y1 * 1.1);
            let chart = builder
                .build_cartesian_2d(
                    x0..x1,
                    (low..high)
                        .log_scale()
                        .with_key_points(log_ticks(low, high)),
                )
                .map_err(|e| e.to_string())?;
            finish!(chart);
        } else {
            let chart = builder
                .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
                .map_err(|e| e.to_string())?;
            finish!(chart);
        }
        Ok(())
    }

    /// A curve's points that can be drawn: finite, and above zero on a log axis.
    fn visible_points(&self, curve: &Curve) -> Vec<(f64, f64)> {
        curve
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite() && (!self.log_y || *y > 0.0))
            .collect()
    }

    /// Every drawable point and the x and y ranges they span (never empty: a unit range
    /// where there is nothing, or a single value).
    #[allow(clippy::type_complexity)]
    fn extent(&self) -> (Vec<(f64, f64)>, (f64, f64), (f64, f64)) {
        let all: Vec<(f64, f64)> = self
            .curves
            .iter()
            .flat_map(|c| self.visible_points(c))
            .collect();
        let (mut x0, mut x1) = all
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (mut y0, mut y1) = all
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
        if all.is_empty() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + y0.abs().max(1e-3);
        }
        (all, (x0, x1), (y0, y1))
    }
}

/// Reads `metrics.jsonl` and plots `keys` against `x_key` (e.g. `"epoch"`), one curve per
/// (split, key) pair present, into `<stem>.png` and `<stem>.svg`.
pub fn plot_metrics_file(
    metrics: &Path,
    stem: &Path,
    title: &str,
    x_key: &str,
    keys: &[&str],
    y_label: &str,
) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(metrics).map_err(|e| crate::Error::io(metrics, e))?;
    let mut curves: Vec<Curve> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            continue; // a torn last line from an interrupted run
        };
        let Some(x) = value.get(x_key).and_then(|v| v.as_f64()) else {
            continue;
        };
        let split = value.get("split").and_then(|v| v.as_str()).unwrap_or("");
        for key in keys {
            if let Some(y) = value.get(*key).and_then(|v| v.as_f64()) {
                let label = if split.is_empty() {
                    key.to_string()
                } else {
                    format!("{split} {key}")
                };
                match curves.iter_mut().find(|c| c.label == label) {
                    Some(curve) => curve.points.push((x, y)),
                    None => curves.push(Curve {
                        label,
                        points: vec![(x, y)],
                    }),
                }
            }
        }
    }
    CurvePlot {
        title: title.to_string(),
        x_label: x_key.to_string(),
        y_label: y_label.to_string(),
        curves,
        log_y: false,
    }
    .save(stem)
}

/// Tick values of a log axis over `[low, high]`: 1, 2 and 5 times each power of ten inside
/// it (every integer multiple when it spans less than two decades). plotters' own choice
/// labelled a single decade, leaving a curve in the decade below without any label.
fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    if !(low > 0.0 && high > low) {
        return vec![];
    }
    let (first, last) = (low.log10().floor() as i32, high.log10().ceil() as i32);
    let multiples: &[f64] = if high / low < 100.0 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    (first..=last)
        .flat_map(|d| multiples.iter().map(move |m| m * 10f64.powi(d)))
        .filter(|v| (low..=high).contains(v))
        .collect()
}

/// The corner of the plot where the legend hides the fewest points: each corner's box is
/// 35% of the width and, per curve, 7% of the height (plus 5%), in axis units (log units
/// on a log axis). Ties keep plotters' reading order (upper right first).
fn legend_corner(
    points: &[(f64, f64)],
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    log_y: bool,
    curves: usize,
) -> SeriesLabelPosition {
    let scale = |y: f64| {
        if log_y {
            y.max(f64::MIN_POSITIVE).ln()
        } else {
            y
        }
    };
    let (ly0, ly1) = (scale(y0), scale(y1));
    let (width, height) = (
        (x1 - x0).max(f64::MIN_POSITIVE),
        (ly1 - ly0).max(f64::MIN_POSITIVE),
    );
    let box_w = 0.35;
    let box_h = (0.05 + 0.07 * curves as f64).min(0.9);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let hidden = |right: bool, upper: bool| {
        points
            .iter()
            .filter(|(x, y)| {
                let fx = (x - x0) / width;
                let fy = (scale(*y) - ly0) / height;
                let in_x = if right {
                    fx >= 1.0 - box_w
                } else {
                    fx <= box_w
                };
                let in_y = if upper {
                    fy >= 1.0 - box_h
                } else {
                    fy <= box_h
                };
                in_x && in_y
            })
            .count()
    };
    corners
        .into_iter()
        .min_by_key(|&(_, right, upper)| hidden(right, upper))
        .map(|(corner, _, _)| corner)
        .unwrap_or(SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_goes_where_it_hides_no_points() {
        // Two rising curves (accuracy-like) fill the lower left and the upper right.
        let points: Vec<(f64, f64)> = (0..=20)
            .flat_map(|e| {
                let e = e as f64;
                [(e, 0.8 + 0.01 * e), (e, 0.78 + 0.0095 * e)]
            })
            .collect();
        let corner = legend_corner(&points, (0.0, 20.0), (0.78, 1.0), false, 2);
        assert!(
            matches!(
                corner,
                SeriesLabelPosition::UpperLeft | SeriesLabelPosition::LowerRight
            ),
            "{corner:?}"
        );
        // Falling curves (losses) leave the upper right free: plotters' usual place.
        let falling: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x, 1.78 - y)).collect();
        let corner = legend_corner(&falling, (0.0, 20.0), (0.78, 1.0), false, 2);
        assert!(
            matches!(corner, SeriesLabelPosition::UpperRight),
            "{corner:?}"
        );
    }
}
