//! Rosenblatt's perceptron: `y_hat = sign(w . x + b)`, and on every mistake
//! `w <- w + eta y x`, `b <- b + eta y`. On linearly separable data it stops making
//! mistakes after finitely many updates (at most `(R / gamma)^2`, Novikoff 1962); on XOR no
//! line separates the classes, so it never does.

use rand::RngExt;

/// A 2-D point with a label of +1 or -1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Coordinates `(x1, x2)`.
    pub x: [f64; 2],
    /// The class: +1 or -1.
    pub y: f64,
}

/// A linear classifier `sign(w . x + b)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Perceptron {
    /// Weights: the line's normal.
    pub w: [f64; 2],
    /// Bias: the line's offset.
    pub b: f64,
}

impl Perceptron {
    /// `w . x + b`: positive on the +1 side of the line.
    pub fn score(&self, x: [f64; 2]) -> f64 {
        self.w[0] * x[0] + self.w[1] * x[1] + self.b
    }

    /// +1 or -1.
    pub fn predict(&self, x: [f64; 2]) -> f64 {
        if self.score(x) > 0.0 { 1.0 } else { -1.0 }
    }

    /// Fraction of `points` on their label's side of the line.
    pub fn accuracy(&self, points: &[Point]) -> f64 {
        points.iter().filter(|p| self.predict(p.x) == p.y).count() as f64
            / points.len().max(1) as f64
    }
}

/// What a perceptron training run did.
#[derive(Debug, Clone)]
pub struct PerceptronRun {
    /// The final weights.
    pub perceptron: Perceptron,
    /// Weight updates (mistakes) in total.
    pub updates: usize,
    /// Passes over the data.
    pub epochs: usize,
    /// True when a whole pass made no mistake.
    pub converged: bool,
    /// Accuracy after each pass.
    pub accuracy: Vec<f64>,
    /// The weights after the pass with the best accuracy (Gallant's "pocket").
    pub best: Perceptron,
}

/// Trains with the perceptron rule, cycling through the points in order, until a pass
/// makes no mistake or `max_epochs` passes are done.
pub fn train(points: &[Point], eta: f64, max_epochs: usize) -> PerceptronRun {
    let mut p = Perceptron::default();
    let mut best = p;
    let (mut updates, mut accuracy) = (0, Vec::new());
    for epoch in 1..=max_epochs {
        let mut mistakes = 0;
        for point in points {
            if point.y * p.score(point.x) <= 0.0 {
                p.w[0] += eta * point.y * point.x[0];
                p.w[1] += eta * point.y * point.x[1];
                p.b += eta * point.y;
                mistakes += 1;
            }
        }
        updates += mistakes;
        let current = p.accuracy(points);
        if accuracy.iter().all(|&a| current > a) {
            best = p;
        }
        accuracy.push(current);
        if mistakes == 0 {
            return PerceptronRun {
                perceptron: p,
                updates,
                epochs: epoch,
                converged: true,
                accuracy,
                best,
            };
        }
    }
    PerceptronRun {
        perceptron: p,
        updates,
        epochs: max_epochs,
        converged: false,
        accuracy,
        best,
    }
}

/// Novikoff's bound on the number of updates, `(R / gamma)^2`, for data separated by the
/// unit-norm hyperplane `(w, b)` with margin gamma (inputs augmented with a constant 1 so
/// the bias is a weight, as the theorem assumes).
pub fn novikoff_bound(points: &[Point], w: [f64; 2], b: f64) -> f64 {
    let norm = (w[0] * w[0] + w[1] * w[1] + b * b).sqrt();
    let gamma = points
        .iter()
        .map(|p| p.y * (w[0] * p.x[0] + w[1] * p.x[1] + b) / norm)
        .fold(f64::INFINITY, f64::min);
    let r2 = points
        .iter()
        .map(|p| p.x[0] * p.x[0] + p.x[1] * p.x[1] + 1.0)
        .fold(0.0, f64::max);
    r2 / (gamma * gamma)
}

fn normal(rng: &mut rand::rngs::StdRng) -> f64 {
    nn_core::augment::standard_normal(rng) as f64
}

/// The line that separates [`separable`]'s classes: `w . x + b = 0`.
pub const TRUE_W: [f64; 2] = [1.0, -0.6];
/// The bias of that line.
pub const TRUE_B: f64 = 0.3;

/// Points uniform in [-2, 2]^2 labelled by the side of the line [`TRUE_W`] . x +
/// [`TRUE_B`] = 0 they fall on, with every point at least `margin` from the line: linearly
/// separable by construction, and with points near the line, so the perceptron has work to do.
pub fn separable(n: usize, margin: f64, seed: u64) -> Vec<Point> {
    let mut rng = nn_core::backend::rng(seed, "separable");
    let norm = (TRUE_W[0] * TRUE_W[0] + TRUE_W[1] * TRUE_W[1]).sqrt();
    let mut points = Vec::with_capacity(n);
    while points.len() < n {
        let x = [rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0)];
        let distance = (TRUE_W[0] * x[0] + TRUE_W[1] * x[1] + TRUE_B) / norm;
        if distance.abs() >= margin {
            points.push(Point {
                x,
                y: distance.signum(),
            });
        }
    }
    points
}

/// XOR: four noisy clusters at (±1, ±1), label +1 where the signs differ.
pub fn xor(n: usize, noise: f64, seed: u64) -> Vec<Point> {
    let mut rng = nn_core::backend::rng(seed, "xor");
    (0..n)
        .map(|i| {
            let (sx, sy) = ([-1.0, 1.0][i % 2], [-1.0, 1.0][(i / 2) % 2]);
            let x = [sx + noise * normal(&mut rng), sy + noise * normal(&mut rng)];
            Point {
                x,
                y: if sx * sy < 0.0 { 1.0 } else { -1.0 },
            }
        })
        .collect()
}

/// Shuffles points reproducibly (the perceptron visits them in this order).
pub fn shuffle(points: &mut [Point], seed: u64) {
    let mut rng = nn_core::backend::rng(seed, "shuffle");
    for i in (1..points.len()).rev() {
        let j = rng.random_range(0..=i);
        points.swap(i, j);
    }
}
