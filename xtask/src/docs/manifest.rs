//! `docs/figures.toml`: which run draws each README figure, parsed and checked against the
//! READMEs and the `docs/` folders.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The manifest's path, relative to the workspace root.
pub const MANIFEST: &str = "docs/figures.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The runs, in the order they must run (a later run may read an earlier one's files).
    pub run: Vec<RunSpec>,
    /// Where the screenshot of the runs' HTML report goes.
    pub report: Option<ReportSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// `topic/name`, as `ngvm list` prints it.
    pub experiment: String,
    pub preset: String,
    /// More flags for the experiment (`--dataset cifar-10`).
    #[serde(default)]
    pub args: Vec<String>,
    /// A name that selects this run alone with `--only` (for an experiment listed twice,
    /// once with `args`); the experiment's and topic's names select it too.
    #[serde(default)]
    pub name: Option<String>,
    pub figures: Vec<FigureSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    /// Relative to the run directory.
    pub from: String,
    /// Relative to the workspace root.
    pub to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    pub to: String,
    /// Draw the report of a curriculum run of its own at this preset (`quick`: what the
    /// README's main job gives a newcomer) instead of the report of the runs above (which
    /// needs every one of them finished in the work folder).
    #[serde(default)]
    pub curriculum: Option<String>,
}

impl Manifest {
    /// Reads and parses the manifest under `root`; errors name the file.
    pub fn load(root: &Path) -> nn_data::Result<Manifest> {
        let path = root.join(MANIFEST);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| nn_data::Error::Other(format!("cannot read {}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| {
            nn_data::Error::Other(format!("{} is not a valid manifest: {e}", path.display()))
        })
    }

    /// Every file the manifest writes, relative to the workspace root.
    pub fn targets(&self) -> BTreeSet<String> {
        let figures = self
            .run
            .iter()
            .flat_map(|r| r.figures.iter().map(|f| f.to.clone()));
        figures
            .chain(self.report.iter().map(|r| r.to.clone()))
            .collect()
    }

    /// Errors unless every README figure and every PNG of a `docs/` folder is drawn by a
    /// listed run (a figure that no run draws could not be redrawn).
    pub fn check_covers(&self, root: &Path) -> nn_data::Result<()> {
        let targets = self.targets();
        let mut unlisted: Vec<String> = readme_figures(root)
            .union(&docs_pngs(root))
            .filter(|f| !targets.contains(*f))
            .cloned()
            .collect();
        unlisted.sort();
        if unlisted.is_empty() {
            return Ok(());
        }
        Err(nn_data::Error::Other(format!(
            "{MANIFEST} lists no run that draws {}: add the run (or delete the figure) first",
            unlisted.join(", ")
        )))
    }

    /// The runs that `--only` selects (a topic `cnn` or an experiment `cnn/pneumonia`);
    /// all of them when `only` is empty. Errors name a selector that matches nothing.
    pub fn select(&self, only: &[String]) -> nn_data::Result<Vec<&RunSpec>> {
        for selector in only {
            if !self.run.iter().any(|r| matches(r, selector)) {
                return Err(nn_data::Error::Other(format!(
                    "--only {selector}: no run of {MANIFEST} is that topic or experiment"
                )));
            }
        }
        Ok(self
            .run
            .iter()
            .filter(|r| only.is_empty() || only.iter().any(|s| matches(r, s)))
            .collect())
    }
}

fn matches(run: &RunSpec, selector: &str) -> bool {
    let experiment = run.experiment.as_str();
    run.name.as_deref() == Some(selector)
        || experiment == selector
        || experiment.split('/').next() == Some(selector)
}

/// Every `docs/<file>.png` named in the READMEs (the top one and each crate's), as paths
/// relative to the workspace root.
pub fn readme_figures(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (readme, prefix) in readmes(root) {
        let Ok(text) = std::fs::read_to_string(&readme) else {
            continue;
        };
        for (start, _) in text.match_indices("docs/") {
            let rest = &text[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "/_.-".contains(c)))
                .unwrap_or(rest.len());
            let name = rest[..end].trim_end_matches('.');
            if name.ends_with(".png") {
                found.insert(format!("{prefix}{name}"));
            }
        }
    }
    found
}

/// Every PNG in the `docs/` folders (the top one and each crate's).
pub fn docs_pngs(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, prefix) in readmes(root) {
        let Ok(entries) = std::fs::read_dir(root.join(&prefix).join("docs")) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".png") {
                found.insert(format!("{prefix}docs/{name}"));
            }
        }
    }
    found
}

/// (README path, its folder relative to the root with a trailing `/`, or "" for the top).
fn readmes(root: &Path) -> Vec<(PathBuf, String)> {
    let mut list = vec![(root.join("README.md"), String::new())];
    if let Ok(entries) = std::fs::read_dir(root.join("crates")) {
        let mut crates: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        crates.sort();
        for name in crates {
            let prefix = format!("crates/{name}/");
            list.push((root.join(&prefix).join("README.md"), prefix));
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::course_binary::workspace_root()
    }

    #[test]
    fn the_manifest_covers_every_figure() {
        Manifest::load(&root())
            .unwrap()
            .check_covers(&root())
            .unwrap();
    }

    #[test]
    fn every_readme_figure_is_drawn_by_a_listed_run() {
        let manifest = Manifest::load(&root()).unwrap();
        let targets = manifest.targets();
        let readme = readme_figures(&root());
        assert!(
            readme.len() > 40,
            "found only {} README figures",
            readme.len()
        );
        let missing: Vec<_> = readme.difference(&targets).collect();
        assert!(
            missing.is_empty(),
            "README figures no run of {MANIFEST} draws: {missing:?}"
        );
    }

    #[test]
    fn every_png_in_a_docs_folder_is_listed() {
        let manifest = Manifest::load(&root()).unwrap();
        let targets = manifest.targets();
        let stray: Vec<_> = docs_pngs(&root()).difference(&targets).cloned().collect();
        assert!(
            stray.is_empty(),
            "PNGs in docs/ that {MANIFEST} does not list: {stray:?}"
        );
    }

    #[test]
    fn listed_figures_go_to_docs_folders_and_runs_are_unique() {
        let manifest = Manifest::load(&root()).unwrap();
        for target in manifest.targets() {
            assert!(
                target.starts_with("docs/") || target.contains("/docs/"),
                "{target} is not in a docs/ folder"
            );
            assert!(
                root().join(&target).exists(),
                "{target} is listed but absent"
            );
        }
        let mut seen = BTreeSet::new();
        for run in &manifest.run {
            let key = (run.experiment.clone(), run.args.clone());
            assert!(seen.insert(key), "{} is listed twice", run.experiment);
        }
    }

    #[test]
    fn selecting_a_topic_keeps_the_manifest_order_and_unknown_names_are_errors() {
        let manifest = Manifest::load(&root()).unwrap();
        let mlp: Vec<_> = manifest
            .select(&["mlp".into()])
            .unwrap()
            .iter()
            .map(|r| r.experiment.as_str())
            .collect();
        assert_eq!(
            mlp,
            [
                "mlp/perceptron",
                "mlp/scratch",
                "mlp/burn",
                "mlp/activations"
            ]
        );
        let err = manifest
            .select(&["mlp/nope".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--only mlp/nope"), "{err}");
        // A named run is selected alone by its name, and with its experiment's other listing
        // by the experiment's name.
        let named = manifest.select(&["flow-matching-cifar10".into()]).unwrap();
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].experiment, "diffusion/flow-matching");
        assert!(!named[0].args.is_empty());
        let both = manifest
            .select(&["diffusion/flow-matching".into()])
            .unwrap();
        assert_eq!(both.len(), 2);
    }

    #[test]
    fn readme_scan_finds_links_and_backquoted_names() {
        let dir = std::env::temp_dir().join(format!("ngvm-docs-scan-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("crates/x")).unwrap();
        std::fs::write(dir.join("README.md"), "![a](docs/report.png)\n").unwrap();
        std::fs::write(
            dir.join("crates/x/README.md"),
            "see (`docs/b_c.png`). and ![d](docs/d-1.png) but not docs/notes.md",
        )
        .unwrap();
        let found: Vec<_> = readme_figures(&dir).into_iter().collect();
        assert_eq!(
            found,
            [
                "crates/x/docs/b_c.png",
                "crates/x/docs/d-1.png",
                "docs/report.png"
            ]
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
