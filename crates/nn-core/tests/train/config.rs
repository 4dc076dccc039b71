//! Config resolution: presets, files, flags; every bad file gives one error naming the key.

use nn_core::demo::registry;
use nn_core::experiment::{Preset, resolve_config};

fn resolve(toml: &str) -> Result<serde_json::Value, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, toml).unwrap();
    let registry = registry();
    let demo = registry.find("demo").unwrap();
    resolve_config(&demo.preset(Preset::Quick), Some(&path))
        .and_then(|c| demo.check(&c))
        .map_err(|e| e.to_string())
}

#[test]
fn file_values_override_the_preset() {
    let config = resolve("epochs = 7\nlr = 0.5\noptimizer = \"sgd\"\n").unwrap();
    assert_eq!(config["epochs"], 7);
    assert_eq!(config["lr"], 0.5);
    assert_eq!(config["optimizer"], "sgd");
    assert_eq!(config["hidden"], 64, "untouched keys keep the preset");
}

#[test]
fn bad_files_name_the_key() {
    let err = resolve("epochz = 3").unwrap_err();
    assert!(
        err.contains("epochz") && err.contains("unknown key"),
        "{err}"
    );
    let err = resolve("epochs = \"ten\"").unwrap_err();
    assert!(
        err.contains("`epochs`") && err.contains("non-negative integer"),
        "{err}"
    );
    let err = resolve("epochs = -3").unwrap_err();
    assert!(
        err.contains("`epochs`") && err.contains("non-negative integer"),
        "{err}"
    );
    let err = resolve("epochs = 0").unwrap_err();
    assert!(
        err.contains("`epochs`") && err.contains("positive"),
        "{err}"
    );
    let err = resolve("optimizer = \"rmsprop\"").unwrap_err();
    assert!(err.contains("rmsprop"), "{err}");
    let err = resolve("epochs = [").unwrap_err();
    assert!(err.contains("not valid TOML"), "{err}");
    for err in [
        resolve("epochz = 3").unwrap_err(),
        resolve("epochs = -3").unwrap_err(),
    ] {
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains("c.toml"), "names the file: {err}");
    }
}

#[test]
fn registry_finds_by_full_or_short_name() {
    let registry = registry();
    assert_eq!(
        registry.find("nn-core/demo").unwrap().name(),
        "nn-core/demo"
    );
    assert_eq!(registry.find("demo").unwrap().name(), "nn-core/demo");
    let err = registry.find("nope").err().unwrap().to_string();
    assert!(err.contains("nn-core/demo"), "{err}");
}
