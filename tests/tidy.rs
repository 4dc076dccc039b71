//! The repository's rules, checked on its files (in the manner of rust-analyzer's `tidy`):
//! no topic crate depends on another; nn-core (which every topic depends on) names no topic
//! or experiment of one, since each topic holds its own words; every Rust source file
//! opens with a `//!` comment
//! that says what it is; every convolution, norm and max pool of a model runs through
//! the kernels' layer functions (`conv_forward`, `batch_norm_act`, `max_pool_forward`, ...),
//! their one entry point, never around it. Each rule is also tested on a sample
//! that breaks it, so none can pass without looking.

use std::path::{Path, PathBuf};

/// Crates under `crates/` that are not topics of the course.
const NOT_TOPICS: [&str; 4] = ["flex-kernels", "nn-core", "test-support", "wgpu-check"];

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

#[test]
fn nn_core_names_no_topic_and_depends_on_none() {
    let topics = topics();
    let core = root().join("crates/nn-core");
    let manifest = std::fs::read_to_string(core.join("Cargo.toml")).unwrap();
    let mut broken: Vec<String> = dependencies(&manifest)
        .into_iter()
        .filter(|d| topics.contains(d))
        .map(|d| format!("crates/nn-core depends on {d}"))
        .collect();
    let mut files = Vec::new();
    rust_files(&core.join("src"), &mut files);
    assert!(files.len() > 20, "{} files found", files.len());
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for (line, code) in topic_names(&source, &topics) {
            broken.push(format!("{}:{line}: {code}", relative(&file)));
        }
    }
    assert!(
        broken.is_empty(),
        "nn-core is shared by every topic and names none (a topic's words live in its crate: guides and headlines in experiments/<name>.rs, the lesson in lib.rs): {broken:#?}"
    );
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
}
