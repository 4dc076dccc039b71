//! The repository's rules, checked on its files (in the manner of rust-analyzer's `tidy`):
//! no topic crate depends on another; nn-core and nn-data (which every topic depends on)
//! name no topic or experiment of one, since each topic holds its own words; xtask and
//! nn-data build without burn; every Rust source file opens with a `//!` comment that
//! says what it is; every convolution, norm and max pool of a model runs through
//! the kernels' layer functions (`conv_forward`, `batch_norm_act`, `max_pool_forward`, ...),
//! their one entry point, never around it; nn-core's modules import one another in
//! layers, never in a circle. Each rule is also tested on a sample
//! that breaks it, so none can pass without looking.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates under `crates/` that are not topics of the course.
const NOT_TOPICS: [&str; 5] = [
    "flex-kernels",
    "nn-core",
    "nn-data",
    "test-support",
    "wgpu-check",
];

/// burn modules whose `forward` must not be called outside the routing functions.
const ROUTED_TYPES: [&str; 7] = [
    "Conv2d",
    "ConvTranspose2d",
    "BatchNorm",
    "GroupNorm",
    "LayerNorm",
    "InstanceNorm",
    "MaxPool2d",
];

/// burn's functional ops that only the routing functions may call.
const ROUTED_CALLS: [&str; 4] = [
    "module::conv2d(",
    "module::conv_transpose2d(",
    "module::max_pool2d(",
    "module::max_pool2d_with_indices(",
];

/// The routing (`flex_kernels::layers`, re-exported by `nn_core::models`) and the kernels
/// behind it.
const ROUTING_FILES: [&str; 1] = ["crates/flex-kernels/src/"];

fn root() -> PathBuf {
    test_support::repository()
}

/// The topic crates' folder names (`crates/<name>`).
fn topics() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !NOT_TOPICS.contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

/// The crates a `Cargo.toml` depends on (normal, dev and build), by key.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line.ends_with("dependencies]");
            continue;
        }
        if !in_deps || line.starts_with('#') {
            continue;
        }
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            found.push(
                key.strip_suffix(".workspace")
                    .unwrap_or(key)
                    .trim()
                    .to_string(),
            );
        }
    }
    found
}

/// Every `.rs` file under `dir`, skipping build output and hidden folders.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, into);
            }
        } else if name.ends_with(".rs") {
            into.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The names of fields and bindings declared with one of [`ROUTED_TYPES`] (`conv: Conv2d`,
/// `bn: Option<BatchNorm>`, `pools: Vec<MaxPool2d>`).
fn routed_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in source.lines() {
        let line = line
            .trim()
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ");
        let Some((name, ty)) = line.split_once(':') else {
            continue;
        };
        let name = name
            .trim()
            .trim_start_matches("let ")
            .trim_start_matches("mut ");
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let ty = ty
            .trim()
            .trim_start_matches("Option<")
            .trim_start_matches("Vec<")
            .trim_start_matches('(');
        let routed = ROUTED_TYPES.iter().any(|t| {
            ty.strip_prefix(t)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
        });
        if routed {
            names.push(name.to_string());
        }
    }
    names
}

/// Lines of `source` that call a routed module's `forward` or a routed functional op.
fn unrouted_calls(source: &str) -> Vec<(usize, String)> {
    let names = routed_names(source);
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let direct = names.iter().any(|name| {
            code.match_indices(&format!("{name}.forward("))
                .any(|(at, _)| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
                || code.contains(&format!("{name}[")) && code.contains("].forward(")
        });
        if direct || ROUTED_CALLS.iter().any(|call| code.contains(call)) {
            found.push((number + 1, line.trim().to_string()));
        }
    }
    found
}

#[test]
fn no_topic_crate_depends_on_another() {
    let topics = topics();
    assert!(topics.len() >= 6, "topics found: {topics:?}");
    let mut broken = Vec::new();
    for topic in &topics {
        let manifest =
            std::fs::read_to_string(root().join("crates").join(topic).join("Cargo.toml")).unwrap();
        for dep in dependencies(&manifest) {
            if topics.contains(&dep) && &dep != topic {
                broken.push(format!("crates/{topic} depends on {dep}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "topic crates depend only on nn-core: {broken:#?}"
    );
}

/// The places in `source` that name an experiment of one of `topics` (`"gans/dcgan"`).
fn topic_names(source: &str, topics: &[String]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        for topic in topics {
            if line.contains(&format!("\"{topic}/")) {
                found.push((number + 1, line.trim().to_string()));
            }
        }
    }
    found
}

/// The crates every topic shares.
const SHARED: [&str; 2] = ["nn-core", "nn-data"];

#[test]
fn shared_crates_name_no_topic_and_depend_on_none() {
    let topics = topics();
    let mut broken = Vec::new();
    for shared in SHARED {
        let dir = root().join("crates").join(shared);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        broken.extend(
            dependencies(&manifest)
                .into_iter()
                .filter(|d| topics.contains(d))
                .map(|d| format!("crates/{shared} depends on {d}")),
        );
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        assert!(files.len() > 10, "{shared}: {} files found", files.len());
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (line, code) in topic_names(&source, &topics) {
                broken.push(format!("{}:{line}: {code}", relative(&file)));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "nn-core and nn-data are shared by every topic and name none (a topic's words live in its crate: guides and headlines in experiments/<name>.rs, the lesson in lib.rs): {broken:#?}"
    );
}

/// `cargo xtask download`/`verify`/`report` must build in seconds: neither xtask nor the
/// data crate under it may pull in burn (directly or through nn-core).
#[test]
fn xtask_and_nn_data_do_not_depend_on_burn() {
    let mut broken = Vec::new();
    for manifest in ["xtask/Cargo.toml", "crates/nn-data/Cargo.toml"] {
        let text = std::fs::read_to_string(root().join(manifest)).unwrap();
        let deps = dependencies(&text);
        assert!(!deps.is_empty(), "{manifest}: no dependencies read");
        for dep in deps {
            if dep.starts_with("burn") || dep == "nn-core" || dep == "flex-kernels" {
                broken.push(format!("{manifest} depends on {dep}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn every_rust_source_file_opens_with_a_doc_comment() {
    let mut files = Vec::new();
    for dir in [
        "crates", "src", "tests", "xtask", "fuzz", "tools", "examples",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 100, "{} files found", files.len());
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap_or_default()
                .starts_with("//!")
        })
        .map(|f| relative(f))
        .collect();
    assert!(
        missing.is_empty(),
        "every source file opens with `//!` saying what it holds: {missing:#?}"
    );
}

#[test]
fn every_convolution_norm_and_pool_runs_through_the_routing() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("src"), &mut files);
    let mut broken = Vec::new();
    for file in files {
        let rel = relative(&file);
        let is_source = rel.starts_with("src/") || rel.contains("/src/");
        if !is_source || ROUTING_FILES.iter().any(|r| rel.starts_with(r)) {
            continue;
        }
        let source = std::fs::read_to_string(&file).unwrap();
        for (line, code) in unrouted_calls(&source) {
            broken.push(format!("{rel}:{line}: {code}"));
        }
    }
    assert!(
        broken.is_empty(),
        "call nn_core::models' conv_forward / conv_transpose_forward / batch_norm_act / group_norm_act / max_pool_forward instead: {broken:#?}"
    );
}

/// The crate's top-level modules that `source` (a file of module `own`) names through
/// `crate::` (`crate::train::fit`, `crate::{Error, Run}`), test modules left out; a name
/// re-exported at the crate root counts as the module it comes from (`roots`).
fn modules_named(source: &str, own: &str, roots: &BTreeMap<String, String>) -> BTreeSet<String> {
    let code: String = source
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = Vec::new();
    for part in code.split("crate::").skip(1) {
        if let Some(group) = part.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            names.extend(
                group
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or("")),
            );
        } else {
            names.push(
                part.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or(""),
            );
        }
    }
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| roots.get(n).cloned().unwrap_or_else(|| n.to_string()))
        .filter(|m| m != own && m.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect()
}

/// Names re-exported at a crate root (`pub use backend::BackendKind;` -> BackendKind: backend).
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut roots = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        for name in names.split(|c: char| !c.is_alphanumeric() && c != '_') {
            if !name.is_empty() {
                roots.insert(name.to_string(), module.to_string());
            }
        }
    }
    roots
}

/// A cycle in the graph `edges` (module -> modules it names), as its path, if any.
fn a_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

/// nn-core's modules form layers (run below train, models below train and metrics, ...):
/// no module reaches back to one that reaches it.
#[test]
fn nn_core_modules_import_no_cycle() {
    let src = root().join("crates/nn-core/src");
    let roots = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .replace(".rs", "");
        if top == "lib" {
            continue;
        }
        let source = std::fs::read_to_string(&file).unwrap();
        edges
            .entry(top.clone())
            .or_default()
            .extend(modules_named(&source, &top, &roots));
    }
    assert!(edges.len() > 8, "{} modules found", edges.len());
    assert_eq!(
        a_cycle(&edges),
        None,
        "nn-core's modules import each other in a circle"
    );
}

#[test]
fn the_rules_catch_what_they_forbid() {
    let manifest = "[package]\nname = \"gans\"\n[dependencies]\nnn-core.workspace = true\ncnn = { path = \"../cnn\" }\n[dev-dependencies]\ntempfile.workspace = true\n";
    assert_eq!(dependencies(manifest), ["nn-core", "cnn", "tempfile"]);

    let model = "struct M {\n    pub conv: Conv2d,\n    bn: Option<BatchNorm>,\n    pools: Vec<MaxPool2d>,\n    conv_config: Conv2dConfig,\n}\nfn f(m: &M, x: T) {\n    let y = m.conv.forward(x);\n    let z = conv_forward(&m.conv, y);\n    let w = m.pools[0].forward(z); // routed? no\n    let v = burn::tensor::module::conv2d(w, k, None, o);\n    let u = my_conv.forward(v);\n}\n";
    assert_eq!(routed_names(model), ["conv", "bn", "pools"]);
    let lines: Vec<usize> = unrouted_calls(model).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [8, 10, 11]);

    let topics = ["gans".to_string(), "cnn".to_string()];
    let core = "const GUIDES: &[(&str, &str)] = &[(\"gans/dcgan\", \"...\")];\nlet x = \"cnn\";\nlet y = \"gans\";\n";
    let lines: Vec<usize> = topic_names(core, &topics)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(lines, [1]);

    let roots =
        root_reexports("pub mod run;\npub use run::{Run, Summary};\npub use nn_data::error;\n");
    let train = "use crate::{Error, Run};\nuse crate::data::x; // crate::viz\n#[cfg(test)]\nuse crate::demo;\n";
    let named: Vec<String> = modules_named(train, "train", &roots).into_iter().collect();
    assert_eq!(named, ["data", "run"]);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges
        .entry("train".into())
        .or_default()
        .insert("run".into());
    edges
        .entry("run".into())
        .or_default()
        .insert("backend".into());
    assert_eq!(a_cycle(&edges), None);
    edges
        .entry("backend".into())
        .or_default()
        .insert("train".into());
    assert!(a_cycle(&edges).is_some());
}
