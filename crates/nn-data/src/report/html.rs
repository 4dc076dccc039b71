//! The page's HTML: the summary table's rows, each week's heading and lesson, each
//! experiment's section with its pictures copied beside the page; style and the check that
//! every picture loaded.

use super::Found;
use super::full_record::{FullRun, beside};
use super::headline::{headline, number};
use crate::{Error, Result, Summary};
use std::fmt::Write as _;
use std::path::Path;

pub(super) const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}\
th{background:#f3f3f3}.badge{display:inline-block;border-radius:4px;padding:1px 7px;margin-right:4px;font-size:12px;color:#fff;background:#555}\
.guide{color:#333;max-width:60em}.real{background:#2a7d2a}.synthetic{background:#c0392b}.failed{background:#c0392b}.ok{background:#2a7d2a}\
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:8px}.figs img{max-width:100%;border:1px solid #ddd}.lesson{color:#444}details{margin:.5em 0}.full{color:#555;font-size:13px}";

/// After loading, a picture that did not load is replaced by a line naming it, and the
/// body records how many loaded (`data-loaded-images`, `data-broken-images`; the browser
/// test reads them).
pub(super) const CHECK_IMAGES: &str = "<script>window.addEventListener('load',function(){var ok=0,bad=0;\
Array.from(document.images).forEach(function(img){if(img.complete&&img.naturalWidth>0){ok++;}else{bad++;\
var p=document.createElement('p');p.className='missing';p.textContent='missing picture: '+img.getAttribute('src');img.replaceWith(p);}});\
document.body.dataset.loadedImages=ok;document.body.dataset.brokenImages=bad;});</script>";

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn anchor(name: &str) -> String {
    name.replace('/', "-")
}

/// `; on AMD EPYC (avx2 fma), 2 threads`, or nothing for a summary without its host.
fn host_label(host: &crate::host::Host) -> String {
    if host.cpu.is_empty() {
        String::new()
    } else {
        format!("; on {}", escape(&host.label()))
    }
}

/// Copies the run's pictures into `img/` beside the page; returns their relative paths.
fn copy_images(found: &Found, summary: &Summary, img: &Path) -> Result<Vec<String>> {
    let Some(dir) = &found.dir else {
        return Ok(vec![]);
    };
    let mut out = Vec::new();
    // The experiment's own pictures first, then those of its stages (`stage/file.png`).
    let mut files: Vec<&str> = summary.files.iter().map(String::as_str).collect();
    files.sort_by_key(|f| f.contains('/'));
    for file in files {
        if !file.ends_with(".png") {
            continue;
        }
        let source = dir.join(file);
        if !source.exists() {
            continue;
        }
        let target_name = format!("{}-{}", anchor(&found.name), file.replace('/', "-"));
        let target = img.join(&target_name);
        std::fs::copy(&source, &target).map_err(|e| Error::io(&target, e))?;
        out.push(format!("img/{target_name}"));
    }
    Ok(out)
}

/// What the full preset reached, under a run of another preset (nothing under a full run).
fn full_line(s: &Summary, full: Option<&FullRun>) -> String {
    if s.preset == "full" {
        return String::new();
    }
    format!("<br><span class=\"full\">{}</span>", escape(&beside(full)))
}

/// One row of the summary table: name, status, headline (or the failure) with the full
/// preset's beside it, data, backend, preset, wall time.
pub(super) fn summary_row(f: &Found, full: Option<&FullRun>) -> String {
    let Some(s) = &f.summary else {
        return format!(
            "<tr><td><a href=\"#{}\">{}</a></td><td><span class=\"badge failed\">failed</span></td><td>{}</td><td></td><td></td><td></td><td></td></tr>",
            anchor(&f.name),
            escape(&f.name),
            escape(f.error.as_deref().unwrap_or(""))
        );
    };
    let data = if s.data.synthetic {
        "<span class=\"badge synthetic\">synthetic</span>".to_string()
    } else {
        format!(
            "<span class=\"badge real\">real</span> {}",
            escape(&s.data.name)
        )
    };
    format!(
        "<tr><td><a href=\"#{}\">{}</a></td><td><span class=\"badge ok\">ok</span></td><td>{}{}</td><td>{data}</td><td>{}</td><td>{}</td><td>{:.1} s</td></tr>",
        anchor(&f.name),
        escape(&f.name),
        escape(&headline(s)),
        full_line(s, full),
        escape(&s.backend),
        escape(&s.preset),
        s.wall_seconds,
    )
}

/// The heading of a week and its lesson, from the words its runs recorded (a week whose
/// runs all failed is headed by its topic's name).
pub(super) fn week_heading(topic: &str, runs: &[&Found]) -> String {
    let words = runs
        .iter()
        .filter_map(|f| f.summary.as_ref().map(|s| &s.words))
        .find(|w| !w.week_title.is_empty());
    match words {
        Some(w) => format!(
            "<h2>Week {}: {}</h2><p class=\"lesson\">{}</p>",
            escape(&w.week),
            escape(&w.week_title),
            escape(&w.lesson)
        ),
        None => format!("<h2>{}</h2>", escape(topic)),
    }
}

/// An experiment's section: its guide, what the full preset reached, data and machine,
/// notes, every figure, pictures.
pub(super) fn section(f: &Found, full: Option<&FullRun>, img: &Path) -> Result<String> {
    let mut html = format!(
        "<section id=\"{}\"><h3>{}</h3>",
        anchor(&f.name),
        escape(&f.name)
    );
    let Some(s) = &f.summary else {
        let _ = write!(
            html,
            "<p><span class=\"badge failed\">failed</span> {}</p></section>",
            escape(f.error.as_deref().unwrap_or(""))
        );
        return Ok(html);
    };
    if !s.words.guide.is_empty() {
        let _ = write!(html, "<p class=\"guide\">{}</p>", escape(&s.words.guide));
    }
    if s.preset != "full" {
        let _ = write!(html, "<p class=\"full\">{}</p>", escape(&beside(full)));
    }
    let kind = if s.data.synthetic {
        "synthetic"
    } else {
        "real"
    };
    let _ = write!(
        html,
        "<p><span class=\"badge {kind}\">{kind} data: {}</span><span class=\"badge\">{}</span><span class=\"badge\">{} preset</span><span class=\"badge\">{:.1} s</span> {} train / {} test images{}</p>",
        escape(&s.data.name),
        escape(&s.backend),
        escape(&s.preset),
        s.wall_seconds,
        s.data.train,
        s.data.test,
        host_label(&s.host),
    );
    if !s.notes.is_empty() {
        html.push_str("<ul>");
        for note in &s.notes {
            let _ = write!(html, "<li>{}</li>", escape(note));
        }
        html.push_str("</ul>");
    }
    let _ = write!(
        html,
        "<details><summary>{} figures</summary><table>",
        s.metrics.len()
    );
    for (key, value) in &s.metrics {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(key),
            number(*value)
        );
    }
    html.push_str("</table></details><div class=\"figs\">");
    for image in copy_images(f, s, img)? {
        let _ = write!(
            html,
            "<img src=\"{image}\" alt=\"{image}\" loading=\"eager\">"
        );
    }
    html.push_str("</div></section>");
    Ok(html)
}
