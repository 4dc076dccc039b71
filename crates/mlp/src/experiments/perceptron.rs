//! `mlp/perceptron`: the perceptron converges on separable data, fails on XOR, and a
//! two-layer MLP solves XOR.

use crate::figures::decision_plot;
use crate::perceptron::{self, PerceptronRun, Point};
use crate::scratch::{ScratchMlp, SgdMomentum};
use ndarray::Array2;
use nn_core::error::ConfigError;
use nn_core::experiment::require;
use nn_core::run::DataInfo;
use nn_core::{ExperimentConfig, Result, Run, Summary};
use std::collections::BTreeMap;

/// Settings of `mlp/perceptron`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerceptronConfig {
    /// Points of the separable set.
    pub points: usize,
    /// Minimum distance of every separable point from the true boundary.
    pub margin: f64,
    /// Points of the XOR set.
    pub xor_points: usize,
    /// Standard deviation of the XOR clusters.
    pub xor_noise: f64,
    /// Perceptron learning rate.
    pub eta: f64,
    /// Passes before the perceptron gives up.
    pub max_epochs: usize,
    /// Hidden units of the MLP that solves XOR.
    pub hidden: usize,
    /// Full-batch gradient steps of that MLP.
    pub mlp_steps: usize,
    /// That MLP's learning rate.
    pub lr: f64,
}

impl ExperimentConfig for PerceptronConfig {
    fn quick() -> Self {
        Self {
            points: 200,
            margin: 0.3,
            xor_points: 200,
            xor_noise: 0.25,
            eta: 1.0,
            max_epochs: 100,
            hidden: 8,
            mlp_steps: 1500,
            lr: 0.1,
        }
    }

    fn full() -> Self {
        Self {
            points: 1000,
            margin: 0.1,
            xor_points: 1000,
            max_epochs: 1000,
            mlp_steps: 3000,
            ..Self::quick()
        }
    }

    fn validate(&self) -> std::result::Result<(), ConfigError> {
        require(self.points >= 2, "points", "needs at least 2 points")?;
        require(
            self.xor_points >= 4,
            "xor_points",
            "needs at least 4 points",
        )?;
        require(self.max_epochs > 0, "max_epochs", "must be positive")?;
        require(self.hidden > 0, "hidden", "must be positive")?;
        require(
            self.eta > 0.0 && self.lr > 0.0,
            "lr",
            "eta and lr must be positive",
        )?;
        require(self.margin >= 0.0, "margin", "must not be negative")?;
        Ok(())
    }
}

/// Trains a small ReLU MLP (from scratch, full batch) on 2-D points.
pub fn fit_mlp(
    points: &[Point],
    hidden: usize,
    steps: usize,
    lr: f64,
    seed: u64,
) -> ScratchMlp<f64> {
    let mut rng = nn_core::backend::rng(seed, "xor-mlp");
    let mut mlp = ScratchMlp::<f64>::new(&[2, hidden, 2], &mut rng);
    let x = Array2::from_shape_fn((points.len(), 2), |(i, j)| points[i].x[j]);
    let labels: Vec<usize> = points.iter().map(|p| usize::from(p.y > 0.0)).collect();
    let mut optim = SgdMomentum::new(lr, 0.9);
    for _ in 0..steps {
        let (_, grads) = mlp.loss_and_gradients(x.view(), &labels);
        optim.step(&mut mlp, grads);
    }
    mlp
}

/// +1 / -1 prediction of a 2-class MLP at one point.
pub fn mlp_sign(mlp: &ScratchMlp<f64>, x: [f64; 2]) -> f64 {
    let input = Array2::from_shape_vec((1, 2), x.to_vec()).expect("1x2");
    if mlp.predict(input.view())[0] == 1 {
        1.0
    } else {
        -1.0
    }
}

/// What the report says this experiment's figures show and what to look for.
pub const GUIDE: &str = "The decision line on separable points (it must separate them, within Novikoff's bound of updates) and on XOR (no line can: accuracy stays near chance); the 2-layer MLP's regions on XOR show what a hidden layer adds.";
/// The report's headline: each `{key}` is this run's figure of that name (`:%` as a
/// percentage, `:M` in millions, `:±` with its spread over seeds).
pub const HEADLINE: &str = "separable {separable_accuracy:%}, XOR {xor_accuracy:%} (2-layer MLP on XOR {xor_mlp_accuracy:%})";

/// `mlp/perceptron`: trains the perceptron on both sets and the MLP on XOR, and draws
/// their decision regions and the perceptron's accuracy per pass.
pub fn run(config: &PerceptronConfig, run: &mut Run) -> Result<Summary> {
    let (separable, xor) = make_data(config, run);

    let sep = perceptron::train(&separable, config.eta, config.max_epochs);
    let bound = perceptron::novikoff_bound(&separable, perceptron::TRUE_W, perceptron::TRUE_B);
    eprintln!(
        "separable: {} after {} updates in {} passes (Novikoff bound (R/gamma)^2 = {bound:.0}), accuracy {:.3}",
        if sep.converged {
            "converged"
        } else {
            "did NOT converge"
        },
        sep.updates,
        sep.epochs,
        sep.perceptron.accuracy(&separable)
    );
    let xr = perceptron::train(&xor, config.eta, config.max_epochs);
    let xor_best = xr.accuracy.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "XOR: perceptron after {} passes: accuracy {:.3} (best pass {xor_best:.3}); it never separates XOR",
        xr.epochs,
        xr.perceptron.accuracy(&xor)
    );
    let mlp = fit_mlp(&xor, config.hidden, config.mlp_steps, config.lr, run.seed);
    let mlp_accuracy =
        xor.iter().filter(|p| mlp_sign(&mlp, p.x) == p.y).count() as f64 / xor.len() as f64;
    eprintln!(
        "XOR: 2-layer MLP (2-{}-2) accuracy {mlp_accuracy:.3}",
        config.hidden
    );

    draw_decision_plots(run, (&separable, &sep), (&xor, &xr), (&mlp, mlp_accuracy))?;
    draw_accuracy_curves(run, &sep, &xr)?;
    let mut metrics = BTreeMap::new();
    metrics.insert("separable_updates".into(), sep.updates as f64);
    metrics.insert("separable_epochs".into(), sep.epochs as f64);
    metrics.insert(
        "separable_converged".into(),
        f64::from(u8::from(sep.converged)),
    );
    metrics.insert(
        "separable_accuracy".into(),
        sep.perceptron.accuracy(&separable),
    );
    metrics.insert("novikoff_bound".into(), bound);
    metrics.insert("xor_accuracy".into(), xr.perceptron.accuracy(&xor));
    metrics.insert("xor_best_accuracy".into(), xor_best);
    metrics.insert("xor_mlp_accuracy".into(), mlp_accuracy);
    Ok(run.summary(0, metrics))
}

/// The separable and the XOR points, each generated and shuffled with the run's seed, and
/// the run's data description.
fn make_data(config: &PerceptronConfig, run: &mut Run) -> (Vec<Point>, Vec<Point>) {
    let mut separable = perceptron::separable(config.points, config.margin, run.seed);
    perceptron::shuffle(&mut separable, run.seed);
    let mut xor = perceptron::xor(config.xor_points, config.xor_noise, run.seed);
    perceptron::shuffle(&mut xor, run.seed);
    run.set_data(DataInfo {
        name: "synthetic-2d (separable blobs, XOR)".into(),
        synthetic: true,
        train: config.points + config.xor_points,
        test: 0,
        stand_in: false,
        ..Default::default()
    });
    (separable, xor)
}

/// Draws the decision regions: the perceptron's final line on the separable points
/// (`perceptron_separable.png`), its best line on XOR (`perceptron_xor.png`) and the MLP's
/// regions on XOR (`mlp_xor.png`).
fn draw_decision_plots(
    run: &mut Run,
    (separable, sep): (&[Point], &PerceptronRun),
    (xor, xr): (&[Point], &PerceptronRun),
    (mlp, mlp_accuracy): (&ScratchMlp<f64>, f64),
) -> Result<()> {
    let p = sep.perceptron;
    let path = run.path("perceptron_separable.png");
    decision_plot(
        &path,
        &format!(
            "Perceptron, separable: converged after {} updates",
            sep.updates
        ),
        separable,
        |x| p.predict(x),
        Some((p.w, p.b)),
    )?;
    run.add_file(&path);
    let q = xr.best;
    let path = run.path("perceptron_xor.png");
    decision_plot(
        &path,
        &format!(
            "Perceptron on XOR: best line of {} passes gets {:.0}%",
            xr.epochs,
            100.0 * q.accuracy(xor)
        ),
        xor,
        |x| q.predict(x),
        Some((q.w, q.b)),
    )?;
    run.add_file(&path);
    let path = run.path("mlp_xor.png");
    decision_plot(
        &path,
        &format!("2-layer MLP on XOR: accuracy {:.0}%", 100.0 * mlp_accuracy),
        xor,
        |x| mlp_sign(mlp, x),
        None,
    )?;
    run.add_file(&path);
    Ok(())
}

/// Draws the perceptron's accuracy after every pass, on the separable points and on XOR
/// (`perceptron_accuracy.png`).
fn draw_accuracy_curves(run: &mut Run, sep: &PerceptronRun, xr: &PerceptronRun) -> Result<()> {
    let curve = nn_core::viz::CurvePlot {
        title: "Perceptron accuracy per pass".into(),
        x_label: "pass over the data".into(),
        y_label: "accuracy".into(),
        curves: vec![
            nn_core::viz::Curve {
                label: "separable".into(),
                points: sep
                    .accuracy
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| ((i + 1) as f64, a))
                    .collect(),
            },
            nn_core::viz::Curve {
                label: "XOR".into(),
                points: xr
                    .accuracy
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| ((i + 1) as f64, a))
                    .collect(),
            },
        ],
        log_y: false,
    };
    for file in curve.save(&run.path("perceptron_accuracy"))? {
        run.add_file(&file);
    }
    Ok(())
}
