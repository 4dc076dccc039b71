//! The top README's picture: the course's HTML report, drawn from the manifest's runs or
//! from a curriculum run of its own, and its top saved by headless Chromium.

use nn_core::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `ngvm curriculum` at `preset` into `<work>/curriculum-<preset>` (continuing it with
/// `--resume` when an earlier call was interrupted; experiments whose data is absent run on
/// marked stand-ins, as `cargo xtask curriculum --offline` does); returns that folder.
/// Errors unless every experiment passed: a report with failures is not the README's.
pub fn run_curriculum(
    binary: &Path,
    preset: &str,
    data_dir: &Path,
    work: &Path,
) -> Result<PathBuf> {
    let out = work.join(format!("curriculum-{preset}"));
    let mut cmd = Command::new(binary);
    cmd.args([
        "curriculum",
        "--preset",
        preset,
        "--synthetic",
        "--data-dir",
    ])
    .arg(data_dir)
    .arg("--out")
    .arg(&out);
    if out.join("curriculum.json").is_file() {
        cmd.arg("--resume");
    }
    eprintln!(
        "docs: the report's own {preset} curriculum in {}",
        out.display()
    );
    let status = cmd
        .status()
        .map_err(|e| Error::Other(format!("cannot run {}: {e}", binary.display())))?;
    if !status.success() {
        return Err(Error::Other(format!(
            "the {preset} curriculum for the report did not pass every experiment ({status}): \
             see {}; `cargo xtask docs --only report` continues it",
            out.join("curriculum.json").display()
        )));
    }
    Ok(out)
}

/// Writes the runs' HTML report and saves the top of it, as headless Chromium draws it.
pub fn screenshot_report(work: &Path, to: &Path) -> Result<()> {
    let page = nn_core::report::write(work)?;
    let browser = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
        })
        .ok_or_else(|| {
            Error::Other(format!(
                "no Chromium to draw {} (`apt-get install chromium`, or set CHROMIUM); the \
                 report itself is {}",
                to.display(),
                page.display()
            ))
        })?;
    let tmp = to.with_extension("png.tmp");
    let output = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--window-size=1200,900",
        ])
        .arg(format!("--screenshot={}", tmp.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| Error::Other(format!("cannot run {}: {e}", browser.display())))?;
    if !output.status.success() || !tmp.is_file() {
        return Err(Error::Other(format!(
            "Chromium did not draw {}: {}",
            page.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    std::fs::rename(&tmp, to).map_err(|e| Error::io(to, e))
}
