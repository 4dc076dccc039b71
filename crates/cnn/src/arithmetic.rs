//! `conv_arithmetic.png`: how padding and stride set a convolution's output size. One panel
//! per setting of a 3x3 kernel on a 5x5 input: the padded input with the kernel's first two
//! positions (one stride apart), the output grid with the two positions they produce, and
//! `floor((n + 2p - k) / s) + 1` with the numbers filled in. Every output size drawn is the
//! one `ops::conv2d` actually produced on that input (the run fails if they ever differ).

use crate::ops::{Maps, conv2d};
use nn_core::viz::ensure_font;
use nn_core::{Error, Result, Run};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The input side and kernel of every panel.
const N: usize = 5;
const K: usize = 3;
/// (padding, stride) of each panel.
const SETTINGS: [(usize, usize); 4] = [(0, 1), (1, 1), (0, 2), (1, 2)];
/// Pixels per cell.
const CELL: i32 = 22;
const FIRST: RGBColor = RGBColor(31, 119, 180);
const SECOND: RGBColor = RGBColor(255, 127, 14);

/// The output side the formula gives.
pub fn output_side(n: usize, k: usize, p: usize, s: usize) -> usize {
    (n + 2 * p - k) / s + 1
}

/// Draws the figure into the run directory.
pub fn draw_conv_arithmetic(run: &mut Run) -> Result<()> {
    let mut sides = Vec::new();
    for &(p, s) in &SETTINGS {
        let input = Maps {
            shape: [1, 1, N, N],
            data: vec![1.0; N * N],
        };
        let weight = Maps {
            shape: [1, 1, K, K],
            data: vec![1.0; K * K],
        };
        let out = conv2d(&input, &weight, None, s, p);
        let side = output_side(N, K, p, s);
        if out.shape[2] != side || out.shape[3] != side {
            return Err(Error::Other(format!(
                "conv2d gave {}x{} for n {N}, k {K}, p {p}, s {s}; the formula says {side}",
                out.shape[2], out.shape[3]
            )));
        }
        sides.push(side);
    }
    let path = run.path("conv_arithmetic.png");
    draw(&path, &sides)?;
    run.add_file(&path);
    Ok(())
}

fn draw(path: &Path, sides: &[usize]) -> Result<()> {
    ensure_font();
    let fail = |e: String| Error::Other(format!("{}: cannot draw ({e})", path.display()));
    let panel_w = 250i32;
    let (w, h) = ((panel_w * SETTINGS.len() as i32) as u32 + 10, 370u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        for (panel, (&(p, s), &side)) in SETTINGS.iter().zip(sides).enumerate() {
            let x0 = panel as i32 * panel_w + 16;
            draw_panel(&root, x0, (p, s), side).map_err(fail)?;
        }
        let caption = "grey: zero padding; blue and orange: the 3x3 kernel's first two positions, one stride apart, and the outputs they give";
        root.draw(&Text::new(caption, (16, h as i32 - 22), text(13)))
            .map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    nn_core::viz::save_rgb(path, w, h, buf)
}

/// The figure's drawing area: an RGB buffer, origin at its top left.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Black sans-serif text of `size` pixels.
fn text(size: i32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

/// One cell: filled, with a grey outline.
fn draw_cell(
    root: &Area,
    x: i32,
    y: i32,
    side: i32,
    fill: RGBColor,
) -> std::result::Result<(), String> {
    let grey = RGBColor(120, 120, 120);
    let corners = [(x, y), (x + side, y + side)];
    root.draw(&Rectangle::new(corners, fill.filled()))
        .map_err(|e| e.to_string())?;
    root.draw(&Rectangle::new(corners, grey))
        .map_err(|e| e.to_string())
}

/// One panel, its left edge at `x0`: the title and formula for padding `p` and stride `s`,
/// the padded input with the kernel's first two positions, and the `side` x `side` output.
fn draw_panel(
    root: &Area,
    x0: i32,
    (p, s): (usize, usize),
    side: usize,
) -> std::result::Result<(), String> {
    let y0 = 54;
    let title = format!("padding {p}, stride {s}");
    let formula = format!("floor(({N} + 2*{p} - {K}) / {s}) + 1 = {side}");
    root.draw(&Text::new(title, (x0, 10), text(18)))
        .map_err(|e| e.to_string())?;
    root.draw(&Text::new(formula, (x0, 32), text(14)))
        .map_err(|e| e.to_string())?;
    let padded = draw_padded_input(root, (x0, y0), (p, s), side)?;
    // The output grid, below the input, with the two cells those positions make.
    let oy = y0 + padded as i32 * CELL + 28;
    root.draw(&Text::new(
        format!("output {side}x{side}"),
        (x0, oy - 20),
        text(14),
    ))
    .map_err(|e| e.to_string())?;
    let small = CELL * 3 / 4;
    for row in 0..side {
        for col in 0..side {
            let fill = match (row, col) {
                (0, 0) => FIRST,
                (0, 1) => SECOND,
                _ => WHITE,
            };
            draw_cell(
                root,
                x0 + col as i32 * small,
                oy + row as i32 * small,
                small,
                fill,
            )?;
        }
    }
    Ok(())
}

/// The input padded by `p` (padding cells grey, image cells white), its top left at
/// `(x0, y0)`, with the kernel's first position and the next one a stride `s` along the row
/// (only the first when the output `side` is 1); returns the padded side.
fn draw_padded_input(
    root: &Area,
    (x0, y0): (i32, i32),
    (p, s): (usize, usize),
    side: usize,
) -> std::result::Result<usize, String> {
    let padded = N + 2 * p;
    for row in 0..padded {
        for col in 0..padded {
            let inside = (p..p + N).contains(&row) && (p..p + N).contains(&col);
            let fill = if inside {
                WHITE
            } else {
                RGBColor(215, 215, 215)
            };
            draw_cell(
                root,
                x0 + col as i32 * CELL,
                y0 + row as i32 * CELL,
                CELL,
                fill,
            )?;
        }
    }
    // The kernel's first position and the next one along the row (a stride on).
    let positions = if side > 1 { 2 } else { 1 };
    for (i, colour) in [FIRST, SECOND].iter().enumerate().take(positions) {
        let x = x0 + (i * s) as i32 * CELL;
        let inset = 2 + 2 * i as i32;
        let corners = [
            (x + inset, y0 + inset),
            (x + K as i32 * CELL - inset, y0 + K as i32 * CELL - inset),
        ];
        root.draw(&Rectangle::new(
            corners,
            ShapeStyle::from(colour).stroke_width(3),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(padded)
}

#[cfg(test)]
mod tests {
    use super::output_side;

    #[test]
    fn the_formula_on_the_panels_settings() {
        assert_eq!(output_side(5, 3, 0, 1), 3);
        assert_eq!(output_side(5, 3, 1, 1), 5);
        assert_eq!(output_side(5, 3, 0, 2), 2);
        assert_eq!(output_side(5, 3, 1, 2), 3);
    }
}
