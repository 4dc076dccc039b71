//! The umbrella package: one registry of the whole course, in course order, whose every
//! experiment has presets that pass their own checks.

use ngvm::nn_core::experiment::Preset;

#[test]
fn registry_is_in_course_order_with_unique_names() {
    let registry = ngvm::registry();
    let names: Vec<&str> = registry.iter().map(|e| e.name()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "duplicate names in {names:?}");
    let week = |topic: &str| {
        [
            "nn-core",
            "mlp",
            "cnn",
            "transfer",
            "autoencoders",
            "gans",
            "diffusion",
        ]
        .iter()
        .position(|t| *t == topic)
    };
    let weeks: Vec<usize> = names
        .iter()
        .map(|n| week(n.split('/').next().unwrap()).expect(n))
        .collect();
    assert!(
        weeks.windows(2).all(|w| w[0] <= w[1]),
        "not in course order: {names:?}"
    );
    assert!(names.contains(&"mlp/scratch") && names.contains(&"cnn/pneumonia"));
    assert_eq!(names.last(), Some(&"diffusion/partial-denoise"));
}

#[test]
fn every_preset_passes_its_own_checks() {
    for experiment in ngvm::registry().iter() {
        for preset in [Preset::Quick, Preset::Full] {
            let config = experiment.preset(preset);
            experiment
                .check(&config)
                .unwrap_or_else(|e| panic!("{} {preset:?}: {e}", experiment.name()));
        }
    }
}

/// The report says of every experiment what its figures show and what to look for, and
/// of its week the lesson: words each topic crate gives its experiments.
#[test]
fn every_experiment_has_its_words_for_the_report() {
    for experiment in ngvm::registry().iter() {
        let name = experiment.name();
        let words = experiment.words();
        assert!(
            words.guide.len() > 60,
            "{name}: a guide says more than a phrase: {:?}",
            words.guide
        );
        // A headline template given as the guide would be shown as the guide.
        assert!(
            !words.guide.contains('{'),
            "{name}: its guide is a headline template: {}",
            words.guide
        );
        assert!(
            !words.week.is_empty() && words.lesson.len() > 40,
            "{name}: no week or lesson: {words:?}"
        );
        // Every `{key}` of a headline template is closed.
        assert_eq!(
            words.headline.matches('{').count(),
            words.headline.matches('}').count(),
            "{name}: {}",
            words.headline
        );
    }
}

#[test]
fn help_gives_each_experiment_its_own_description() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ngvm"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    for experiment in ngvm::registry().iter() {
        let line = help
            .lines()
            .find(|l| l.split_whitespace().next() == Some(experiment.name()))
            .unwrap_or_else(|| panic!("{} is not in --help:\n{help}", experiment.name()));
        let first_words: String = experiment.about().chars().take(30).collect();
        assert!(
            line.contains(&first_words),
            "{}: `{line}` does not start its description `{}`",
            experiment.name(),
            experiment.about()
        );
    }
    assert!(!help.contains("The flags every experiment takes"), "{help}");
}
