//! The top README's picture: the course's HTML report, drawn from the manifest's runs or
//! from a curriculum run of its own, and its top saved by headless Chromium.

use nn_data::{Error, Result};
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
    let page = nn_data::report::write(work)?;
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
    screenshot(&browser, &page, to)
}

/// Saves the top 1200x900 of `page` as `to` with headless Chromium `browser`, through a
/// temporary file and a rename. The temporary name ends in `.png`: Chromium picks the
/// image format by the extension and refuses any other.
pub fn screenshot(browser: &Path, page: &Path, to: &Path) -> Result<()> {
    // A file URL needs an absolute path: `file://target/...` is an invalid URL, and
    // Chromium would draw its error page instead of the report.
    let page = std::fs::canonicalize(page).map_err(|e| Error::io(page, e))?;
    let tmp = to.with_extension("tmp.png");
    let output = Command::new(browser)
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
        let stderr = String::from_utf8_lossy(&output.stderr);
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Other(format!(
            "Chromium did not draw {}: {}",
            page.display(),
            stderr.trim()
        )));
    }
    std::fs::rename(&tmp, to).map_err(|e| Error::io(to, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in for headless Chromium with two of its rules: the screenshot's format
    /// comes from its extension, and a name that does not end in `.png` is refused (exit 0
    /// and no file, as Chromium does); a `file://` URL without an absolute path draws an
    /// error page.
    const FAKE_CHROMIUM: &str = r#"#!/bin/sh
shot=""; url=""
for a in "$@"; do case "$a" in
  --screenshot=*.png) shot="${a#--screenshot=}" ;;
  --screenshot=*) echo "Unsupported screenshot image file type" >&2 ;;
  file:///*) url="$a" ;;
  file://*) url="error page: ERR_INVALID_URL" ;;
esac; done
[ -n "$shot" ] && printf 'PNG of %s' "$url" > "$shot"
exit 0
"#;

    #[test]
    fn the_screenshot_goes_through_a_png_name_from_an_absolute_file_url() {
        let dir = tempfile::tempdir().unwrap();
        let browser = dir.path().join("chromium");
        std::fs::write(&browser, FAKE_CHROMIUM).unwrap();
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        let page = dir.path().join("index.html");
        std::fs::write(&page, "<html></html>").unwrap();
        let to = dir.path().join("docs/report.png");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();

        // The page named relative to the working directory, as `--work target/...` gives it.
        let cwd = std::env::current_dir().unwrap();
        let up = "../".repeat(cwd.components().count() - 1);
        let relative = PathBuf::from(format!("{up}{}", page.display()).replace("//", "/"));
        assert!(relative.is_relative() && relative.is_file());

        screenshot(&browser, &relative, &to).unwrap();
        assert_eq!(
            std::fs::read_to_string(&to).unwrap(),
            format!("PNG of file://{}", page.canonicalize().unwrap().display())
        );
        let left: Vec<_> = std::fs::read_dir(to.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["report.png"], "no temporary file is left");

        // A Chromium that draws nothing is an error naming the page, with its reason.
        std::fs::write(&browser, "#!/bin/sh\necho 'no display' >&2\nexit 0\n").unwrap();
        let err = screenshot(&browser, &page, &to).expect_err("nothing drawn");
        let message = err.to_string();
        assert!(
            message.contains("index.html") && message.contains("no display"),
            "{message}"
        );
    }
}
