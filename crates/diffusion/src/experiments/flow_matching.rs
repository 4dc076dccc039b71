//! `diffusion/flow-matching`: rectified flow beside DDPM on the same class-conditional
//! U-Net, data, budget and guidance. Per seed, one U-Net learns the noise (DDPM) and one
//! the velocity along the straight path (`crate::flow`); each is sampled with a budget of
//! network evaluations (DDIM for DDPM; Euler and Heun for the flow), and every setting's
//! samples are judged by the same CNN and measured by the fixed-feature Frechet distance
//! against the same held-out test images. Mean and spread over the seeds.

use super::{fixed_reference, load_data, note_dataset_departure, train_in_stage};
use crate::config::DiffusionConfig;
use crate::figures::{loss_curves, save_images, save_plot};
use crate::flow::{FlowSampler, flow_generate};
use crate::recognizer::{Recognizer, recognition_rates};
use crate::sampling::{Guidance, Sampler, generate};
use crate::schedule::NoiseSchedule;
use crate::training::{Objective, Trained};
use crate::unet::{UNet, UNetSpec};
use burn::prelude::{Device, Tensor};
use nn_core::data::batch::dataset_from_symmetric;
use nn_core::data::{ImageDataset, subset};
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::metrics::{ColourComparison, Spread};
use nn_core::train::FixedReference;
use nn_core::viz::{Curve, CurvePlot};
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The three ways of spending a budget of network evaluations, in table order.
pub const METHODS: [&str; 3] = ["ddim", "euler", "heun"];

/// Settings of `diffusion/flow-matching`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowMatchingConfig {
    /// Data, network, training budget, guidance and judge, shared by both models (the
    /// flow model reads `steps` as its time grid and ignores the beta schedule).
    pub base: DiffusionConfig,
    /// Budgets of network evaluations per image compared (a guided evaluation runs the
    /// conditional and the null pass together, for every method alike).
    pub evaluations: Vec<usize>,
    /// Samples of each class per (method, budget, seed).
    pub per_class: usize,
    /// The flow's budget whose Euler samples give the summary's headline figures
    /// (`class_recognition_rate`, `frechet_fixed`, the colour statistics).
    pub headline_evaluations: usize,
    /// One DDPM and one flow model trained per seed.
    pub seeds: Vec<u64>,
}

impl ExperimentConfig for FlowMatchingConfig {
    /// `diffusion/class-samples`' quick model (12,000 images, one epoch) trained both
    /// ways, one seed, three budgets.
    fn quick() -> Self {
        Self {
            base: DiffusionConfig::quick_base(),
            evaluations: vec![1, 4, 16],
            per_class: 5,
            headline_evaluations: 4,
            seeds: vec![42],
        }
    }

    /// `diffusion/class-samples`' network on all of Fashion-MNIST for one epoch (938 steps)
    /// per model, three seeds, budgets 1 to 50: about 55 minutes on 2 cores (six trainings
    /// of about 400 s, then the sampling), where `class-samples`' three epochs would take
    /// two hours of training alone.
    fn full() -> Self {
        Self {
            base: DiffusionConfig {
                epochs: 1,
                ..DiffusionConfig::full_base()
            },
            evaluations: vec![1, 2, 4, 8, 16, 50],
            per_class: 20,
            headline_evaluations: 8,
            seeds: vec![42, 1, 2],
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        self.base.check()?;
        require(
            !self.evaluations.is_empty() && self.evaluations.iter().all(|n| *n > 0),
            "evaluations",
            "must list budgets of at least one network evaluation",
        )?;
        require(self.per_class > 0, "per_class", "must be positive")?;
        require(
            self.headline_evaluations > 0,
            "headline_evaluations",
            "must be positive",
        )?;
        require(!self.seeds.is_empty(), "seeds", "needs at least one seed")
    }

    fn fixed_datasets(&self) -> Vec<String> {
        vec![self.base.dataset.clone()]
    }
}

/// What one (method, budget) scored over the seeds.
#[derive(Default, Clone)]
struct Scores {
    rates: Vec<f64>,
    frechet: Vec<f64>,
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The same class-conditional U-Net trained two ways with the same data and budget, to predict the noise (DDPM) and the velocity along a straight path from image to noise (rectified flow), once per seed; each is sampled with 1 to 50 network evaluations (DDIM for DDPM, Euler and Heun for the flow). Read recognition (up is better) and the Frechet distance (down is better, against its floor) at equal evaluations: the method whose curve rises first gets there cheaper; a gap counts only beyond the spread over seeds in the table.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "recognised at 8 evaluations: flow (Euler) {euler_nfe8_recognition_rate:%}, DDIM {ddim_nfe8_recognition_rate:%}; at 50: DDIM {ddim_nfe50_recognition_rate:%} || recognised at 16 evaluations: flow (Euler) {euler_nfe16_recognition_rate:%}, DDIM {ddim_nfe16_recognition_rate:%}";

/// Trains both models per seed, samples each method at each budget, and writes the table
/// (`flow_vs_ddim.md`), the curves (`recognition_by_evaluations.png`,
/// `frechet_by_evaluations.png`) and the first seed's samples, one row per setting
/// (`samples_by_evaluations.png`).
pub fn run(config: &FlowMatchingConfig, run: &mut Run) -> Result<Summary> {
    let base = &config.base;
    let setup = Setup::prepare(config, run)?;
    let measured = measure_every_seed(run, config, &setup)?;

    let mut metrics = BTreeMap::from([
        ("seeds".to_string(), config.seeds.len() as f64),
        (
            "classifier_test_accuracy".to_string(),
            setup.judge.test_accuracy,
        ),
        ("frechet_fixed_floor".to_string(), setup.realism.floor),
    ]);
    average_headline(&measured.headline, &mut metrics);
    let Tabulated {
        table,
        rate_curves,
        frechet_curves,
    } = tabulate(config, &setup, &measured.scores, &mut metrics);
    let path = run.path("flow_vs_ddim.md");
    std::fs::write(&path, &table).map_err(|e| nn_core::Error::io(&path, e))?;
    run.add_file(&path);
    print!("{table}");

    draw_curves(run, config, &setup, rate_curves, frechet_curves)?;
    save_first_rows(run, setup.classes, measured.first_rows)?;
    loss_curves(
        run,
        "loss_curves",
        "Training loss (first seed): noise MSE for DDPM, velocity MSE for the flow",
        &measured.first_stages,
    )?;
    run.note(format!(
        "both models: the same U-Net, data and budget ({} epochs, lr {}); guidance {} in both (the flow guides its velocity as DDPM its noise, with the same clipping of the implied x_0); {} samples per (method, budget, seed), judged by a CNN with {:.1}% on the real test images; frechet_fixed in the fixed feature network of `{}`; the headline figures are the flow's Euler samples at {} evaluations, averaged over seeds",
        base.epochs,
        base.lr,
        base.guidance,
        setup.count,
        100.0 * setup.judge.test_accuracy,
        base.dataset,
        config.headline_evaluations
    ));
    Ok(run.summary(base.epochs, metrics))
}

/// What both models are trained on and their samples measured with: the data, the
/// network's spec, the schedule and guidance, the held-out images, the realism reference,
/// the judge and the wanted labels.
struct Setup {
    train: ImageDataset,
    test: ImageDataset,
    classes: usize,
    spec: UNetSpec,
    /// `[c, h, w]` of an image.
    shape: [usize; 3],
    schedule: NoiseSchedule,
    guidance: Option<Guidance>,
    /// `classes * per_class`: samples per setting, and held-out test images.
    count: usize,
    held_out: ImageDataset,
    realism: FixedReference,
    judge: Recognizer,
    device: Device,
    /// The labels sampled per setting, `per_class` of each class, class-major.
    wanted: Vec<usize>,
}

impl Setup {
    /// Loads the data, measures the realism reference and trains the judge, in that order
    /// (the order the device's seeds are drawn in).
    fn prepare(config: &FlowMatchingConfig, run: &mut Run) -> Result<Setup> {
        let base = &config.base;
        let (train, test) = load_data(base, run)?;
        note_dataset_departure(base, run);
        let classes = train.num_classes();
        let spec = base.unet(train.shape.channels, classes);
        let shape = [train.shape.channels, train.shape.height, train.shape.width];
        let schedule = base.schedule()?;
        let guidance = base.guidance(&spec);
        let count = classes * config.per_class;
        let held_out = subset(test.clone(), count, run.seed);
        let realism = fixed_reference(run, base, (&train, &held_out))?;
        let judge_data = subset(train.clone(), base.classifier_train_size, run.seed);
        let judge = Recognizer::train(run, &judge_data, &test, base.classifier_epochs)?;
        let device = run.device.clone();
        let wanted = super::class_labels(classes, config.per_class);
        Ok(Setup {
            train,
            test,
            classes,
            spec,
            shape,
            schedule,
            guidance,
            count,
            held_out,
            realism,
            judge,
            device,
            wanted,
        })
    }
}

/// The configured budgets, with the headline budget added at the end when not among them.
fn budgets(config: &FlowMatchingConfig) -> Vec<usize> {
    let mut b = config.evaluations.clone();
    if !b.contains(&config.headline_evaluations) {
        b.push(config.headline_evaluations);
    }
    b
}

/// What every seed's two models scored.
#[derive(Default)]
struct Measured {
    /// Per (budget, index in [`METHODS`]), the scores of each seed.
    scores: BTreeMap<(usize, usize), Scores>,
    /// Per seed, the headline figures of the flow's Euler samples at the headline budget.
    headline: Vec<BTreeMap<String, f64>>,
    /// The first seed's `[classes, c, h, w]` rows (first sample of each class), named by
    /// method and budget.
    first_rows: Vec<(String, Tensor<4>)>,
    /// The first seed's two stages, named by model, for the loss curves.
    first_stages: Vec<(String, PathBuf)>,
}

/// For each seed (the run's seed set to it): trains both models, samples every method at
/// every budget and measures the samples.
fn measure_every_seed(
    run: &mut Run,
    config: &FlowMatchingConfig,
    setup: &Setup,
) -> Result<Measured> {
    let base = &config.base;
    let budgets = budgets(config);
    let mut measured = Measured::default();
    let run_seed = run.seed;
    for (s, &seed) in config.seeds.iter().enumerate() {
        run.seed = seed;
        let ((ddpm, ddpm_dir), (flow, flow_dir)) = train_both_models(run, base, setup, seed)?;
        if s == 0 {
            measured.first_stages = vec![
                ("DDPM (noise)".to_string(), ddpm_dir),
                ("flow (velocity)".to_string(), flow_dir),
            ];
        }
        for &budget in &budgets {
            for (m, method) in METHODS.iter().enumerate() {
                // Every method starts from the same noise; the judge sees each sample once.
                let models = (&ddpm.ema, &flow.ema);
                let samples = sample_with(run.seed, base, setup, models, (method, budget));
                measured.record(config, setup, (s, seed), (m, budget), samples)?;
            }
        }
    }
    run.seed = run_seed;
    Ok(measured)
}

/// Trains the DDPM (noise) model, then the flow (velocity) model, each in its own stage
/// for `seed`; both are trained before either's error is returned.
fn train_both_models(
    run: &mut Run,
    base: &DiffusionConfig,
    setup: &Setup,
    seed: u64,
) -> Result<(TrainedIn, TrainedIn)> {
    let trained = [Objective::Noise, Objective::Velocity].map(|objective| {
        let name = match objective {
            Objective::Noise => format!("ddpm-seed{seed}"),
            Objective::Velocity => format!("flow-seed{seed}"),
        };
        let settings = crate::training::TrainSettings {
            objective,
            ..base.train_settings(base.lr)
        };
        let data = (&setup.train, &setup.test);
        train_in_stage(run, &name, &setup.spec, &setup.schedule, data, &settings)
    });
    let [ddpm, flow] = trained;
    Ok((ddpm?, flow?))
}

/// A trained model and the folder of the stage that trained it.
type TrainedIn = (Trained, PathBuf);

/// `[classes * per_class, c, h, w]` samples of the wanted labels with `budget` network
/// evaluations, from the device seeded by (`seed`, "compare"): DDIM on the DDPM model for
/// `ddim`, else the flow model with the `method` sampler.
fn sample_with(
    seed: u64,
    base: &DiffusionConfig,
    setup: &Setup,
    (ddpm, flow): (&UNet, &UNet),
    (method, budget): (&str, usize),
) -> Tensor<4> {
    let (device, wanted) = (&setup.device, &setup.wanted);
    nn_core::backend::seed_device(device, seed, "compare");
    if method == "ddim" {
        generate(
            ddpm,
            &setup.schedule,
            setup.shape,
            wanted.len(),
            Some(wanted),
            Sampler::Ddim(budget),
            setup.guidance,
            base.sample_batch,
            device,
        )
    } else {
        let sampler =
            FlowSampler::within(method, budget).expect("METHODS lists only known samplers");
        flow_generate(
            flow,
            setup.schedule.steps(),
            setup.shape,
            wanted,
            sampler,
            setup.guidance,
            base.sample_batch,
            device,
        )
    }
}

impl Measured {
    /// Judges one setting's `samples` (`[classes * per_class, c, h, w]`), measures their
    /// Frechet distance, prints both, and keeps the scores, the headline figures (the
    /// flow's Euler samples at the headline budget) and the first seed's row.
    fn record(
        &mut self,
        config: &FlowMatchingConfig,
        setup: &Setup,
        (s, seed): (usize, u64),
        (m, budget): (usize, usize),
        samples: Tensor<4>,
    ) -> Result<()> {
        let (classes, wanted, method) = (setup.classes, &setup.wanted, METHODS[m]);
        let predicted = setup.judge.classify(samples.clone());
        let (rate, _) = recognition_rates(&predicted, wanted, classes);
        let images = dataset_from_symmetric(samples.clone());
        let frechet = setup.realism.distance(&images, &setup.device)?;
        eprintln!(
            "seed {seed}, {method} at {budget} evaluations: recognised {:.1}%, frechet_fixed {frechet:.2}",
            100.0 * rate
        );
        let entry = self.scores.entry((budget, m)).or_default();
        entry.rates.push(rate);
        entry.frechet.push(frechet);
        if method == "euler" && budget == config.headline_evaluations {
            let mut figures = BTreeMap::from([
                ("class_recognition_rate".to_string(), rate),
                ("frechet_fixed".to_string(), frechet),
            ]);
            ColourComparison::measure(&images, &setup.held_out).add_to(&mut figures);
            self.headline.push(figures);
        }
        if s == 0 && config.evaluations.contains(&budget) {
            let per = config.per_class;
            let row = Tensor::cat(
                (0..classes)
                    .map(|k| samples.clone().narrow(0, k * per, 1))
                    .collect(),
                0,
            );
            self.first_rows.push((format!("{method} {budget}"), row));
        }
        Ok(())
    }
}

/// The headline figures (the flow's Euler samples at the headline budget) averaged over
/// seeds into `metrics`, with the recognition rate's spread.
fn average_headline(headline: &[BTreeMap<String, f64>], metrics: &mut BTreeMap<String, f64>) {
    // The headline: the flow's Euler samples at the headline budget, averaged over seeds.
    if let Some(first) = headline.first() {
        for key in first.keys() {
            let values: Vec<f64> = headline
                .iter()
                .filter_map(|f| f.get(key).copied())
                .collect();
            metrics.insert(key.clone(), Spread::of(&values).mean);
        }
        let rates: Vec<f64> = headline
            .iter()
            .map(|f| f["class_recognition_rate"])
            .collect();
        metrics.insert("class_recognition_rate_std".into(), Spread::of(&rates).std);
    }
}

/// `flow_vs_ddim.md` and the curves drawn from the same means.
struct Tabulated {
    table: String,
    /// Per method, (evaluations spent, mean recognition rate) by budget.
    rate_curves: Vec<Curve>,
    /// Per method, (evaluations spent, mean Frechet distance) by budget.
    frechet_curves: Vec<Curve>,
}

/// Per configured budget (ascending) and method: the mean and spread over seeds of the
/// recognition rate and Frechet distance, as metrics, table cells and curve points.
fn tabulate(
    config: &FlowMatchingConfig,
    setup: &Setup,
    scores: &BTreeMap<(usize, usize), Scores>,
    metrics: &mut BTreeMap<String, f64>,
) -> Tabulated {
    let mut table = format!(
        "| network evaluations | {} |\n|---:|{}\n",
        METHODS
            .map(|m| format!("{m}: recognised (%) | {m}: Frechet"))
            .join(" | "),
        "---:|".repeat(2 * METHODS.len())
    );
    let mut rate_curves: Vec<Curve> = METHODS
        .iter()
        .map(|m| Curve {
            label: (*m).into(),
            points: Vec::new(),
        })
        .collect();
    let mut frechet_curves = rate_curves.clone();
    let mut sorted = config.evaluations.clone();
    sorted.sort_unstable();
    sorted.dedup();
    for budget in sorted {
        let mut cells = Vec::new();
        for (m, method) in METHODS.iter().enumerate() {
            let entry = scores.get(&(budget, m)).cloned().unwrap_or_default();
            let percent: Vec<f64> = entry.rates.iter().map(|r| 100.0 * r).collect();
            let (rate, frechet) = (Spread::of(&percent), Spread::of(&entry.frechet));
            metrics.insert(
                format!("{method}_nfe{budget}_recognition_rate"),
                rate.mean / 100.0,
            );
            metrics.insert(
                format!("{method}_nfe{budget}_recognition_rate_std"),
                rate.std / 100.0,
            );
            metrics.insert(format!("{method}_nfe{budget}_frechet_fixed"), frechet.mean);
            metrics.insert(
                format!("{method}_nfe{budget}_frechet_fixed_std"),
                frechet.std,
            );
            cells.push(rate.display(1));
            cells.push(frechet.display(1));
            let spent = FlowSampler::within(method, budget).map_or(budget, |s| s.evaluations());
            rate_curves[m]
                .points
                .push((spent as f64, rate.mean / 100.0));
            frechet_curves[m].points.push((spent as f64, frechet.mean));
        }
        table.push_str(&format!("| {budget} | {} |\n", cells.join(" | ")));
    }
    let count = setup.count;
    table.push_str(&format!(
        "\nFloor (as many real training images against the same {count} held-out test images): {:.2}. Heun spends 2n - 1 of its budget (its last step is Euler). {} seed(s); mean ± std over seeds.\n",
        setup.realism.floor,
        config.seeds.len()
    ));
    Tabulated {
        table,
        rate_curves,
        frechet_curves,
    }
}

/// `recognition_by_evaluations` and `frechet_by_evaluations`: one curve per method over
/// the network evaluations spent.
fn draw_curves(
    run: &mut Run,
    config: &FlowMatchingConfig,
    setup: &Setup,
    rate_curves: Vec<Curve>,
    frechet_curves: Vec<Curve>,
) -> Result<()> {
    let seeds = config.seeds.len();
    save_plot(
        run,
        "recognition_by_evaluations",
        CurvePlot {
            title: format!("Recognised as their class, by network evaluations ({seeds} seed(s))"),
            x_label: "network evaluations per image".into(),
            y_label: format!(
                "recognition rate (judge {:.1}%)",
                100.0 * setup.judge.test_accuracy
            ),
            curves: rate_curves,
            log_y: false,
        },
    )?;
    save_plot(
        run,
        "frechet_by_evaluations",
        CurvePlot {
            title: format!(
                "Frechet distance to real test images (floor {:.2}; {seeds} seed(s))",
                setup.realism.floor
            ),
            x_label: "network evaluations per image".into(),
            y_label: "Frechet distance in the fixed features (lower is better)".into(),
            curves: frechet_curves,
            log_y: true,
        },
    )
}

/// `samples_by_evaluations.png`: the first seed's `[classes, c, h, w]` rows, one per
/// (method, budget), each captioned with its setting; nothing when there are none.
fn save_first_rows(
    run: &mut Run,
    classes: usize,
    first_rows: Vec<(String, Tensor<4>)>,
) -> Result<()> {
    if first_rows.is_empty() {
        return Ok(());
    }
    let captions: Vec<Option<String>> = first_rows
        .iter()
        .flat_map(|(name, _)| (0..classes).map(move |k| (k == 0).then(|| name.clone())))
        .collect();
    let rows: Vec<Tensor<4>> = first_rows.into_iter().map(|(_, row)| row).collect();
    save_images(
        run,
        "samples_by_evaluations.png",
        Tensor::cat(rows, 0),
        &captions,
        classes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_check_and_bad_budgets_are_named() {
        assert!(FlowMatchingConfig::quick().validate().is_ok());
        assert!(FlowMatchingConfig::full().validate().is_ok());
        let bad = FlowMatchingConfig {
            evaluations: vec![4, 0],
            ..FlowMatchingConfig::quick()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("evaluations")
        );
        let none = FlowMatchingConfig {
            seeds: vec![],
            ..FlowMatchingConfig::quick()
        };
        assert!(none.validate().unwrap_err().to_string().contains("seeds"));
    }
}
