//! The summary table's headline of a run: its experiment's template filled with its
//! figures, else the first usual figure it reports; and how numbers are printed.

use crate::Summary;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The figure shown in the summary table, by priority, for experiments without a headline
/// template.
const HEADLINES: &[(&str, &str)] = &[
    ("class_recognition_rate", "samples recognised"),
    ("test_accuracy", "test accuracy"),
    ("cnn_test_accuracy", "CNN test accuracy"),
    ("fine_tune_test_accuracy", "fine-tuned test accuracy"),
    ("test_roc_auc", "test ROC-AUC"),
    ("frechet_final", "Frechet distance"),
    ("test_mse", "test MSE"),
    ("test_neg_elbo", "test -ELBO"),
    ("psnr_denoised_t50", "PSNR denoised t=50"),
    ("final_loss_a", "final loss (a)"),
];

pub(super) fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
        format!("{v:.3e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        // Four significant decimals, without the zeros that would only pad them (-4.6, not
        // -4.6000).
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The summary table's headline of a run: its experiment's template filled in (the first
/// of its `||` alternatives whose figures the run has), else the first figure of
/// [`HEADLINES`] it has. A run on synthetic stand-ins says first that it is not a result; a
/// quick run whose experiment has a quick caveat says that first.
pub fn headline(summary: &Summary) -> String {
    let metrics = &summary.metrics;
    let template = &summary.words.headline;
    // Alternatives separated by `||`: the first whose figures the run has (a quick preset
    // samples other budgets than the full one).
    let text = template
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .find_map(|t| fill_template(t, metrics))
        .or_else(|| {
            HEADLINES.iter().find_map(|(key, label)| {
                metrics.get(*key).map(|v| format!("{label} {}", number(*v)))
            })
        })
        .unwrap_or_default();
    let caveat = &summary.words.quick_caveat;
    if summary.data.stand_in {
        format!("not a result (synthetic stand-in data; checks the pipeline only): {text}")
    } else if summary.preset == "quick" && !caveat.is_empty() {
        format!("{caveat}: {text}")
    } else {
        text
    }
}

/// `template` with each `{key}` (or `{key:%}`, `{key:M}`, `{key:±}`) replaced by that figure of
/// `metrics`; `None` when one is missing.
fn fill_template(template: &str, metrics: &BTreeMap<String, f64>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = start + rest[start..].find('}')?;
        out.push_str(&rest[..start]);
        let field = &rest[start + 1..end];
        let (key, format) = field.split_once(':').unwrap_or((field, ""));
        let value = *metrics.get(key)?;
        match format {
            "%" => write!(out, "{:.1}%", 100.0 * value),
            "M" => write!(out, "{:.2}M", value / 1e6),
            // A standard deviation of one value is 0 by convention, not a measured spread.
            "±" if metrics.get("seeds") == Some(&1.0) => {
                write!(out, "{} (one seed: no spread)", number(value))
            }
            "±" => {
                let std = *metrics.get(&format!("{key}_std"))?;
                write!(out, "{} ± {}", number(value), number(std))
            }
            _ => write!(out, "{}", number(value)),
        }
        .ok()?;
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{headline, number};
    use crate::Summary;
    use crate::records::{DataInfo, Words};

    fn summary(
        template: &str,
        figures: &[(&str, f64)],
        synthetic: bool,
        stand_in: bool,
    ) -> Summary {
        Summary {
            data: DataInfo {
                synthetic,
                stand_in,
                ..DataInfo::default()
            },
            metrics: figures.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            words: Words {
                headline: template.into(),
                ..Words::default()
            },
            ..Summary::default()
        }
    }

    #[test]
    fn numbers_keep_four_decimals_but_not_padding_zeros() {
        assert_eq!(number(-4.6), "-4.6");
        assert_eq!(number(0.8488), "0.8488");
        assert_eq!(number(17.08741), "17.0874");
        assert_eq!(number(2.00001), "2");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2e-4), "2.000e-4");
    }

    #[test]
    fn a_template_is_filled_with_the_runs_figures() {
        let dead = summary(
            "dead units: ReLU {relu:%}, Leaky ReLU {leaky:%}",
            &[("relu", 0.4125), ("leaky", 0.0)],
            false,
            false,
        );
        assert_eq!(headline(&dead), "dead units: ReLU 41.2%, Leaky ReLU 0.0%");
        let params = summary(
            "VGG-19 {params:M}",
            &[("params", 20_024_384.0)],
            false,
            false,
        );
        assert_eq!(headline(&params), "VGG-19 20.02M");
    }

    /// Of a template's `||` alternatives, the first whose figures the run has is shown.
    #[test]
    fn the_first_alternative_with_all_its_figures_is_the_headline() {
        let template = "at 50: {nfe50:%} || at 16: {nfe16:%}";
        let quick = summary(template, &[("nfe16", 0.5)], false, false);
        assert_eq!(headline(&quick), "at 16: 50.0%");
        let full = summary(template, &[("nfe16", 0.5), ("nfe50", 0.75)], false, false);
        assert_eq!(headline(&full), "at 50: 75.0%");
    }

    /// A template whose figure the run lacks falls back to the first usual figure.
    #[test]
    fn a_missing_figure_falls_back_to_the_usual_one() {
        let run = summary("gain {gain:%}", &[("test_accuracy", 0.86)], false, false);
        assert_eq!(headline(&run), "test accuracy 0.86");
        let none = summary("", &[("test_accuracy", 0.86)], false, false);
        assert_eq!(headline(&none), "test accuracy 0.86");
    }

    /// A quick run with one seed has a standard deviation of 0 that nobody measured: its
    /// headline says so instead of printing "± 0".
    #[test]
    fn a_spread_over_one_seed_is_not_printed_as_zero() {
        let run = |gain: f64, std: f64, seeds: f64| {
            summary(
                "gain (points): {gain:±}",
                &[("gain", gain), ("gain_std", std), ("seeds", seeds)],
                false,
                false,
            )
        };
        assert_eq!(headline(&run(2.2, 1.4, 3.0)), "gain (points): 2.2 ± 1.4");
        assert_eq!(
            headline(&run(17.0874, 0.0, 1.0)),
            "gain (points): 17.0874 (one seed: no spread)"
        );
    }

    #[test]
    fn a_stand_in_run_says_it_is_not_a_result_and_a_designed_one_does_not() {
        let text = headline(&summary("", &[("test_accuracy", 1.0)], true, true));
        assert!(text.starts_with("not a result"), "{text}");
        assert!(text.ends_with("test accuracy 1"), "{text}");
        let points = summary("XOR {xor:%}", &[("xor", 0.5)], true, false);
        assert_eq!(headline(&points), "XOR 50.0%");
    }

    /// A quick run of an experiment with a quick caveat says it before its figures; the
    /// full run of the same experiment does not.
    #[test]
    fn a_quick_run_says_its_caveat_first_and_a_full_run_does_not() {
        let mut run = summary("accuracy {acc:%}", &[("acc", 0.138)], false, false);
        run.words.quick_caveat = "too short to train these networks".into();
        run.preset = "quick".into();
        assert_eq!(
            headline(&run),
            "too short to train these networks: accuracy 13.8%"
        );
        run.preset = "full".into();
        assert_eq!(headline(&run), "accuracy 13.8%");
    }
}
