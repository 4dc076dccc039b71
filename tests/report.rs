//! The course report rendered in a real browser: three small runs (two that pass, one that
//! fails for want of data), the page loaded in headless Chromium (Debian's `chromium`,
//! which `.ci/run` installs), checked for console errors, loaded pictures and one summary
//! row per run, and a screenshot saved.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ngvm(out: &Path, args: &[&str]) -> bool {
    let empty = out.join("no-data");
    std::fs::create_dir_all(&empty).unwrap();
    Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .args(args)
        .arg("--data-dir")
        .arg(&empty)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
        .status
        .success()
}

/// `text` as the page writes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
    })
}

#[test]
fn the_report_loads_in_a_browser_with_every_picture() {
    let out = tempfile::tempdir().unwrap();
    assert!(ngvm(out.path(), &["mlp/perceptron"]));
    assert!(ngvm(out.path(), &["cnn/conv-ops", "--synthetic"]));
    assert!(
        !ngvm(out.path(), &["cnn/pneumonia"]),
        "no data and no --synthetic must fail"
    );
    let page = ngvm::nn_core::report::write(out.path()).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    let rows = html
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tbody>")
        .next()
        .unwrap()
        .matches("<tr>")
        .count();
    assert_eq!(rows, 3, "one summary row per run");
    assert!(
        html.contains("badge failed") && html.contains("pneumoniamnist"),
        "the failure and its reason are shown"
    );
    // The words each topic crate wrote into its runs' summaries: weeks in course order
    // with their lessons, each experiment's guide, the perceptron's own headline.
    let week1 = html
        .find("<h2>Week 1: Perceptron")
        .expect("week 1's heading");
    let week2 = html
        .find("<h2>Week 1-2: Convolutional")
        .expect("the CNN week's heading");
    assert!(week1 < week2, "weeks in course order");
    assert!(html.contains(&escaped(mlp::LESSON.text)), "week 1's lesson");
    assert!(
        html.contains(&escaped(mlp::experiments::perceptron::GUIDE)),
        "the perceptron's guide"
    );
    assert!(html.contains("separable "), "the perceptron's headline");
    // Beside each quick run's headline, what the full preset reached (or that it has no
    // recorded headline yet), from `docs/figures.json`; none beside the failed run.
    assert_eq!(
        html.matches("<span class=\"full\">full preset").count(),
        2,
        "a full-preset line in each passing row"
    );
    let pictures = html.matches("<img ").count();
    assert!(pictures >= 3, "{pictures} pictures");

    let Some(browser) = chromium() else {
        test_support::skip(
            test_support::Need::Browser,
            "no Chromium here (`apt-get install chromium`, or set CHROMIUM): the browser half is untested",
        );
        return;
    };
    let url = format!("file://{}", page.display());
    let headless = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=5000",
    ];
    let dom = Command::new(&browser)
        .args(headless)
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(&url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(dom.status.success(), "{log}");
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:?}"
    );
    assert!(
        text.contains(&format!("data-loaded-images=\"{pictures}\"")),
        "not every picture loaded: {}",
        text.split("<body")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>()
    );
    assert!(text.contains("data-broken-images=\"0\""));

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let status = Command::new(&browser)
        .args(headless)
        .arg("--window-size=1200,1600")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(status.status.success());
    let bytes = std::fs::read(&shot).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
    eprintln!("screenshot: {}", shot.display());
}
