//! The font plots are labelled with, bundled so pictures look the same on every machine
//! (DejaVu Sans; licence in `assets/DejaVuSans-LICENSE.txt`).

use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the bundled font as plotters' `sans-serif` (once per process).
pub(crate) fn ensure() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        use plotters::style::FontStyle;
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // The bytes are a valid TTF compiled in; failure would be a packaging bug.
            let _ = plotters::style::register_font("sans-serif", style, FONT);
        }
    });
}
