//! Confusion-matrix heat map: rows are true classes, columns predicted, each cell shaded by
//! the fraction of its row and labelled with its count.

use super::{draw_error, font, save_rgb};
use crate::Result;
use crate::metrics::ConfusionMatrix;
use plotters::prelude::*;
use std::path::Path;

/// Draws `matrix` with class names to a PNG.
pub fn plot_confusion(
    matrix: &ConfusionMatrix,
    class_names: &[String],
    title: &str,
    path: &Path,
) -> Result<()> {
    font::ensure();
    let k = matrix.classes.max(1);
    let cell = (560 / k).clamp(12, 110) as u32;
    let label_w = 130u32;
    let (w, h) = (
        label_w + cell * k as u32 + 30,
        60 + label_w + cell * k as u32,
    );
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(path, e))?;
        let style = |size: i32| ("sans-serif", size).into_font().color(&BLACK);
        root.draw(&Text::new(title.to_string(), (10, 8), style(18)))
            .map_err(|e| draw_error(path, e))?;
        let (x0, y0) = (label_w as i32, 40i32);
        let name = |i: usize| class_names.get(i).cloned().unwrap_or_else(|| i.to_string());
        for t in 0..k {
            let row_total: u64 = matrix.counts[t].iter().sum::<u64>().max(1);
            for p in 0..k {
                let count = matrix.counts[t][p];
                let share = count as f64 / row_total as f64;
                let shade = (255.0 * (1.0 - share)) as u8;
                let (x, y) = (x0 + (p as u32 * cell) as i32, y0 + (t as u32 * cell) as i32);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell as i32, y + cell as i32)],
                    RGBColor(shade, shade, 255).filled(),
                ))
                .map_err(|e| draw_error(path, e))?;
                if cell >= 24 {
                    let colour = if share > 0.5 { WHITE } else { BLACK };
                    let text = ("sans-serif", 11).into_font().color(&colour);
                    root.draw(&Text::new(
                        count.to_string(),
                        (x + 3, y + cell as i32 / 2 - 6),
                        text,
                    ))
                    .map_err(|e| draw_error(path, e))?;
                }
            }
            let label: String = name(t).chars().take(18).collect();
            root.draw(&Text::new(
                label,
                (4, y0 + (t as u32 * cell) as i32 + cell as i32 / 2 - 6),
                style(12),
            ))
            .map_err(|e| draw_error(path, e))?;
        }
        let bottom = y0 + (k as u32 * cell) as i32 + 6;
        for p in 0..k {
            let label: String = name(p).chars().take(18).collect();
            let x = x0 + (p as u32 * cell) as i32 + cell as i32 / 2 - 5;
            let text = ("sans-serif", 12)
                .into_font()
                .transform(FontTransform::Rotate90)
                .color(&BLACK);
            root.draw(&Text::new(label, (x, bottom), text))
                .map_err(|e| draw_error(path, e))?;
        }
        root.draw(&Text::new(
            "rows: true class, columns: predicted".to_string(),
            (10, h as i32 - 18),
            style(12),
        ))
        .map_err(|e| draw_error(path, e))?;
        root.present().map_err(|e| draw_error(path, e))?;
    }
    save_rgb(path, w, h, buf)
}
