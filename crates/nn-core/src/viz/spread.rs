//! A figure measured once per seed, for several settings side by side: every seed's value
//! as a dot, the mean as a bar from zero (for gains) or a thick tick, and ±1 standard
//! deviation as a whisker. One favourable run is not a result; this plot shows all of them.

use super::curves::{PALETTE, tick_label};
use super::{draw_error, font, save_rgb};
use crate::Result;
use crate::metrics::Spread;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};

/// The chart a spread plot draws on: groups along x, the figure along y.
type SpreadChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One series (e.g. a data set, or "from scratch"): per group, its values over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SpreadSeries {
    pub label: String,
    /// `values[group]` holds one value per seed (may be empty: nothing drawn there).
    pub values: Vec<Vec<f64>>,
}

/// Settings (`groups`, on the x axis) against a figure (`y_label`), one coloured series each.
#[derive(Debug, Clone)]
pub struct SpreadPlot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// The groups' names under the axis; `\n` breaks one into lines.
    pub groups: Vec<String>,
    pub series: Vec<SpreadSeries>,
    /// Draw the line y = 0 and start the bars there (for gains over a baseline).
    pub zero_line: bool,
}

impl SpreadPlot {
    /// Writes `<stem>.png` and `<stem>.svg`; returns both paths.
    pub fn save(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        font::ensure();
        let (w, h) = self.size();
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

    /// 860x500 pixels, wider when the groups' names would not fit side by side (about 8
    /// pixels a character at 14 px), taller by a line for each extra line of a name.
    fn size(&self) -> (u32, u32) {
        let widest = self
            .label_lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        let needed = 110 + self.groups.len() * (widest * 8 + 14);
        (
            needed.max(860) as u32,
            500 + 16 * (self.max_lines() as u32 - 1),
        )
    }

    fn label_lines(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flat_map(|g| g.lines())
    }

    fn max_lines(&self) -> usize {
        self.groups
            .iter()
            .map(|g| g.lines().count())
            .max()
            .unwrap_or(1)
            .max(1)
    }

    /// The y range: every value and whisker, zero when drawn, with 8% room (legend on top).
    fn y_range(&self) -> (f64, f64) {
        let mut values: Vec<f64> = Vec::new();
        for series in &self.series {
            for group in &series.values {
                let spread = Spread::of(group);
                values.extend(group.iter().copied());
                if !group.is_empty() {
                    values.extend([spread.mean - spread.std, spread.mean + spread.std]);
                }
            }
        }
        if self.zero_line {
            values.push(0.0);
        }
        let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        let (mut low, mut high) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        if values.is_empty() {
            (low, high) = (0.0, 1.0);
        }
        if high <= low {
            high = low + low.abs().max(1e-3);
        }
        let pad = (high - low) * 0.08;
        (low - pad, high + 2.5 * pad)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let groups = self.groups.len().max(1);
        let (y0, y1) = self.y_range();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(45 + 16 * (self.max_lines() as u32 - 1))
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5..groups as f64 - 0.5, y0..y1)
            .map_err(|e| e.to_string())?;
        // The x axis holds names, not numbers: its labels are drawn below, one per group.
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .y_label_formatter(&|v| tick_label(*v))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| e.to_string())?;
        if self.zero_line {
            chart
                .draw_series(LineSeries::new(
                    [(-0.5, 0.0), (groups as f64 - 0.5, 0.0)],
                    BLACK.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        let count = self.series.len().max(1) as f64;
        let slot = 0.8 / count;
        for (s, series) in self.series.iter().enumerate() {
            self.draw_one_series(&mut chart, s, series, slot, (y0, y1))?;
        }
        self.draw_group_names(root, &chart, y0)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// One series: per group its mean (a bar from zero, or a thick tick), the whisker of
    /// ±1 standard deviation, and every seed's value as a dot, in slot `s` of width `slot`.
    fn draw_one_series<DB: DrawingBackend>(
        &self,
        chart: &mut SpreadChart<'_, DB>,
        s: usize,
        series: &SpreadSeries,
        slot: f64,
        (y0, y1): (f64, f64),
    ) -> std::result::Result<(), String> {
        let colour = PALETTE[s % PALETTE.len()];
        let mut first = true;
        for (g, values) in series.values.iter().enumerate() {
            if values.is_empty() {
                continue;
            }
            let centre = g as f64 - 0.4 + slot * (s as f64 + 0.5);
            let half = slot * 0.35;
            let spread = Spread::of(values);
            // A bar from zero for gains; otherwise a bar from an arbitrary axis start
            // would exaggerate differences, so the mean is a short thick line.
            let mean_mark = if self.zero_line {
                Rectangle::new(
                    [(centre - half, 0.0), (centre + half, spread.mean)],
                    colour.mix(0.35).filled(),
                )
            } else {
                let thickness = (y1 - y0) * 0.006;
                Rectangle::new(
                    [
                        (centre - half, spread.mean - thickness),
                        (centre + half, spread.mean + thickness),
                    ],
                    colour.filled(),
                )
            };
            let drawn = chart
                .draw_series(std::iter::once(mean_mark))
                .map_err(|e| e.to_string())?;
            if first {
                drawn.label(series.label.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 16, y + 6)], colour.mix(0.6).filled())
                });
                first = false;
            }
            let (low, high) = (spread.mean - spread.std, spread.mean + spread.std);
            let whisker = ShapeStyle::from(&BLACK).stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(centre, low), (centre, high)], whisker),
                    PathElement::new(
                        vec![(centre - half / 2.0, low), (centre + half / 2.0, low)],
                        whisker,
                    ),
                    PathElement::new(
                        vec![(centre - half / 2.0, high), (centre + half / 2.0, high)],
                        whisker,
                    ),
                ])
                .map_err(|e| e.to_string())?;
            // The seeds, spread a little sideways so that equal values stay visible.
            let n = values.len().max(1) as f64;
            chart
                .draw_series(values.iter().enumerate().map(|(k, &v)| {
                    let dx = half * 0.8 * ((k as f64 + 0.5) / n - 0.5);
                    Circle::new((centre + dx, v), 4, colour.filled())
                }))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The groups' names under the x axis, one line of text per line of a name.
    fn draw_group_names<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &SpreadChart<'_, DB>,
        y0: f64,
    ) -> std::result::Result<(), String> {
        let label_style = ("sans-serif", 14)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for (g, name) in self.groups.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(g as f64, y0));
            for (i, line) in name.lines().enumerate() {
                let at = (x, y + 6 + 16 * i as i32);
                root.draw(&Text::new(line.to_string(), at, label_style.clone()))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_seed_and_a_range_that_holds_values_whiskers_and_zero() {
        let plot = SpreadPlot {
            title: "gain".into(),
            x_label: "augmentation".into(),
            y_label: "accuracy gain (points)".into(),
            groups: vec!["geometric".into(), "colour".into()],
            series: vec![
                SpreadSeries {
                    label: "cifar-10".into(),
                    values: vec![vec![2.0, 4.0, 3.0], vec![]],
                },
                SpreadSeries {
                    label: "pneumonia".into(),
                    values: vec![vec![1.0], vec![-1.5, -0.5]],
                },
            ],
            zero_line: true,
        };
        let (low, high) = plot.y_range();
        assert!(low < -1.5 && high > 4.0, "{low} {high}");
        let dir = tempfile::tempdir().unwrap();
        let files = plot.save(&dir.path().join("spread")).unwrap();
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        // 6 seeds, each a circle; the labels of both groups and both series.
        assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
        for text in ["geometric", "colour", "cifar-10", "pneumonia"] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(image::open(&files[0]).is_ok());
    }

    /// Twelve two-line names (label-efficiency's three settings by four sizes) get a wider
    /// figure, a line each, and no name drawn over its neighbour's room.
    #[test]
    fn many_long_group_names_widen_the_figure_and_break_into_lines() {
        let groups: Vec<String> = ["F->P", "C5->C5", "C5->C5 VGG"]
            .iter()
            .flat_map(|s| ["50", "200", "1000", "all (2012)"].map(|n| format!("{s}\n{n}")))
            .collect();
        let plot = SpreadPlot {
            title: "gain".into(),
            x_label: "setting: labelled target images".into(),
            y_label: "gain (points)".into(),
            series: vec![SpreadSeries {
                label: "fine-tuned - scratch".into(),
                values: vec![vec![1.0, 2.0, 3.0]; groups.len()],
            }],
            groups,
            zero_line: true,
        };
        let (w, h) = plot.size();
        // Room per group: the widest line, 10 characters at 8 px, plus a gap.
        assert!((w as usize - 110) / 12 >= 10 * 8 + 14, "{w}");
        assert_eq!(h, 516);
        let dir = tempfile::tempdir().unwrap();
        let files = plot.save(&dir.path().join("many")).unwrap();
        let svg = std::fs::read_to_string(&files[1]).unwrap();
        // One text element per line: "all (2012)" under each setting, never joined to it.
        assert_eq!(svg.matches("all (2012)").count(), 3, "{svg}");
        assert!(svg.contains("C5-&gt;C5 VGG"), "{svg}");
        assert!(!svg.contains("VGG\nall"), "a name drawn on one line");
        let png = image::open(&files[0]).unwrap();
        assert_eq!((png.width(), png.height()), (w, h));
    }
}
