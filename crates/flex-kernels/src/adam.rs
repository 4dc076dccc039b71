//! One Adam step in one pass over memory: burn's Adam (`burn-optim` 0.22.1 `adam.rs`)
//! updates a parameter through 13 tensor ops, each a pass with its own allocation, which
//! was about a quarter of the MLP's training step (`bench/NOTES.md`, change 17).
//!
//! The arithmetic is burn's, operation for operation in f32 (no fused multiply-add), so the
//! results are the same bits as burn's Adam.

use rayon::prelude::*;
use std::mem::MaybeUninit;

/// The scalars of one step, computed once per step from burn's definitions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    pub beta_1: f32,
    pub beta_2: f32,
    /// `sqrt(1 - beta_2^t) / (1 - beta_1^t)`: scales the first moment.
    pub combined_factor: f32,
    /// `epsilon * sqrt(1 - beta_2^t)`: added to the second moment's square root.
    pub epsilon_term: f32,
    pub lr: f32,
}

impl AdamStep {
    /// The scalars of step `time` (1 for the first), as burn computes them.
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32, time: usize, lr: f64) -> Self {
        let time = time as i32;
        let bias_correction2_sqrt = (1.0 - beta_2.powi(time)).sqrt();
        Self {
            beta_1,
            beta_2,
            combined_factor: bias_correction2_sqrt / (1.0 - beta_1.powi(time)),
            epsilon_term: epsilon * bias_correction2_sqrt,
            lr: lr as f32,
        }
    }

    /// Element `i`'s new (parameter, first moment, second moment).
    #[inline(always)]
    fn apply(&self, p: f32, g: f32, m1: f32, m2: f32) -> (f32, f32, f32) {
        let m1 = m1 * self.beta_1 + g * (1.0 - self.beta_1);
        let m2 = m2 * self.beta_2 + g * g * (1.0 - self.beta_2);
        let update = m1 * self.combined_factor / (m2.sqrt() + self.epsilon_term);
        (p - update * self.lr, m1, m2)
    }
}

/// Elements per parallel chunk (a split by length only, so any thread count gives the same
/// bits; each element depends on its own inputs alone anyway).
const CHUNK: usize = 1 << 15;

/// The new parameter, first and second moments from `param`, `grad` and the moments of the
/// step before (zeros on the first step), all of one length.
pub fn adam_step(
    param: &[f32],
    grad: &[f32],
    moment_1: &[f32],
    moment_2: &[f32],
    step: &AdamStep,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let n = param.len();
    assert!(
        grad.len() == n && moment_1.len() == n && moment_2.len() == n,
        "adam step: parameter, gradient and moments must have one length"
    );
    let (mut p_out, mut m1_out, mut m2_out) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    type Out<'a> = &'a mut [MaybeUninit<f32>];
    let run = |(i, ((po, m1o), m2o)): (usize, ((Out, Out), Out))| {
        let at = i * CHUNK;
        for j in 0..po.len() {
            let k = at + j;
            let (p, m1, m2) = step.apply(param[k], grad[k], moment_1[k], moment_2[k]);
            po[j].write(p);
            m1o[j].write(m1);
            m2o[j].write(m2);
        }
    };
    let (po, m1o, m2o) = (
        &mut p_out.spare_capacity_mut()[..n],
        &mut m1_out.spare_capacity_mut()[..n],
        &mut m2_out.spare_capacity_mut()[..n],
    );
    if n > CHUNK {
        po.par_chunks_mut(CHUNK)
            .zip(m1o.par_chunks_mut(CHUNK))
            .zip(m2o.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(run);
    } else {
        run((0, ((po, m1o), m2o)));
    }
    // SAFETY: the chunks tile all `n` elements of each output and `run` writes every one.
    unsafe {
        p_out.set_len(n);
        m1_out.set_len(n);
        m2_out.set_len(n);
    }
    (p_out, m1_out, m2_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_gets_its_own_elements() {
        // Over three parallel chunks and a tail: each element against the formula alone.
        let n = 3 * CHUNK + 5;
        let v = |seed: usize| -> Vec<f32> {
            (0..n)
                .map(|i| ((i * seed) % 97) as f32 / 97.0 - 0.4)
                .collect()
        };
        let (param, grad, m1) = (v(3), v(7), v(11));
        let m2: Vec<f32> = v(13).iter().map(|x| x * x).collect();
        let step = AdamStep::new(0.9, 0.999, 1e-8, 4, 1e-3);
        let (p, a, b) = adam_step(&param, &grad, &m1, &m2, &step);
        for i in 0..n {
            assert_eq!(
                (p[i], a[i], b[i]),
                step.apply(param[i], grad[i], m1[i], m2[i]),
                "{i}"
            );
        }
        assert_ne!(p, param, "the step moved the parameters");
    }
}
