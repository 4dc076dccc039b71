//! A config file (TOML) merged over a preset with every kind of value, then checked by a
//! real experiment's config type.
#![no_main]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = common::scratch(data, "config.toml");
    let registry = nn_core::demo::registry();
    let Some(experiment) = registry.iter().next() else {
        return;
    };
    let preset = experiment.preset(nn_core::experiment::Preset::Quick);
    if let Ok(config) = nn_core::experiment::resolve_config(&preset, Some(&path)) {
        let _ = experiment.check(&config);
    }
    let mixed = serde_json::json!({
        "n": 3, "x": 0.5, "name": "a", "flag": true, "list": [1, 2], "nested": {"k": "v"}
    });
    let _ = nn_core::experiment::resolve_config(&mixed, Some(&path));
});
