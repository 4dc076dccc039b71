//! The activations the fused normalisations apply, element by element on f32, with their
//! derivatives; and an `exp` that LLVM vectorises (libm's `expf` is a scalar call: 7% of
//! the U-Net's step in `perf`, `bench/NOTES.md`).

/// The activation after a normalisation's affine step, `y = act(gamma * x_hat + beta)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormActivation {
    Identity,
    Relu,
    /// Leaky ReLU with this slope below 0 (the gradient at exactly 0 is the slope, as
    /// PyTorch's and [`crate::layers::leaky_relu`]).
    LeakyRelu(f32),
    /// `z * sigmoid(z)` (the U-Net's).
    Silu,
}

impl NormActivation {
    pub fn apply(self, z: f32) -> f32 {
        with_activation!(self, |act| act.apply(z))
    }

    /// `act'(z)`: ReLU's is 0 at 0 (PyTorch's), leaky ReLU's the slope.
    pub fn derivative(self, z: f32) -> f32 {
        with_activation!(self, |act| act.derivative(z))
    }
}

/// One activation as a type, so that each kernel is compiled once per activation with the
/// choice made outside its loops (a `match` inside them kept LLVM from vectorising).
pub trait Activation: Copy + Send + Sync {
    fn apply(self, z: f32) -> f32;
    fn derivative(self, z: f32) -> f32;
}

#[derive(Clone, Copy)]
pub struct Identity;
#[derive(Clone, Copy)]
pub struct Relu;
#[derive(Clone, Copy)]
pub struct LeakyRelu(pub f32);
#[derive(Clone, Copy)]
pub struct Silu;

impl Activation for Identity {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        z
    }
    #[inline(always)]
    fn derivative(self, _: f32) -> f32 {
        1.0
    }
}

impl Activation for Relu {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        if z > 0.0 { z } else { 0.0 }
    }
    #[inline(always)]
    fn derivative(self, z: f32) -> f32 {
        if z > 0.0 { 1.0 } else { 0.0 }
    }
}

impl Activation for LeakyRelu {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        if z > 0.0 { z } else { self.0 * z }
    }
    #[inline(always)]
    fn derivative(self, z: f32) -> f32 {
        if z > 0.0 { 1.0 } else { self.0 }
    }
}

impl Activation for Silu {
    #[inline(always)]
    fn apply(self, z: f32) -> f32 {
        z * sigmoid(z)
    }
    #[inline(always)]
    fn derivative(self, z: f32) -> f32 {
        let s = sigmoid(z);
        s * (1.0 + z * (1.0 - s))
    }
}

/// The value itself, choosing per call (tests, and the one-off calls outside the kernels).
impl Activation for NormActivation {
    fn apply(self, z: f32) -> f32 {
        NormActivation::apply(self, z)
    }
    fn derivative(self, z: f32) -> f32 {
        NormActivation::derivative(self, z)
    }
}

/// `with_activation!(act, |a| body)`: `body` with `a` bound to the [`Activation`] type of
/// the [`NormActivation`] value `act` (one monomorphised copy per activation).
macro_rules! with_activation {
    ($act:expr, |$a:ident| $body:expr) => {
        match $act {
            $crate::activation::NormActivation::Identity => {
                let $a = $crate::activation::Identity;
                $body
            }
            $crate::activation::NormActivation::Relu => {
                let $a = $crate::activation::Relu;
                $body
            }
            $crate::activation::NormActivation::LeakyRelu(slope) => {
                let $a = $crate::activation::LeakyRelu(slope);
                $body
            }
            $crate::activation::NormActivation::Silu => {
                let $a = $crate::activation::Silu;
                $body
            }
        }
    };
}
pub(crate) use with_activation;

/// `1 / (1 + e^-z)` through [`exp`].
#[inline(always)]
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + exp(-z))
}

/// `e^x` within 2 ulp on the f32 range (Cephes' `expf`: `x = n ln 2 + r`, a degree-6
/// polynomial for `e^r` on `|r| <= ln 2 / 2`, `2^n` written into the exponent bits), without
/// branches so that a loop over it vectorises. Saturates to the smallest normal float below
/// -87.3 and to about `f32::MAX` above 88.7; NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer (ties to even) in
    // plain SSE2: `round` and `floor` are libm calls at the baseline x86-64 target.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.336_55, 88.722_83);
    let rounded = x * LOG2E + ROUND;
    let n = rounded - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let e_r = p * r * r + r + 1.0;
    // 2^n for n in [-126, 128], as 2^a * 2^b with a = floor(n / 2): each factor's exponent
    // field stays in range at the ends.
    // n as an integer, read from the low bits of `rounded` (1.5 * 2^23 + n, whose unit is
    // 1): a float-to-int `as` saturates, and LLVM left that scalar, with the whole loop
    // around it (5 of the group norm's 6 ns per value; `bench/NOTES.md`). Same value.
    let n = rounded.to_bits() as i32 - ROUND.to_bits() as i32;
    let a = n >> 1;
    let scale_a = f32::from_bits(((a + 127) as u32) << 23);
    let scale_b = f32::from_bits(((n - a + 127) as u32) << 23);
    e_r * scale_a * scale_b
}

/// `tanh(x)` within a few ulp, without branches so that a loop over it vectorises (glibc's
/// `tanhf` is a scalar call through `expm1f`: 5% of the DCGAN's step). Cephes' `tanhf`:
/// an odd polynomial below `|x| = 0.625`, `1 - 2 / (e^(2|x|) + 1)` through [`exp`] above,
/// the sign put back; saturates to +-1, NaN stays NaN.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let p = -5.704_988_7e-3f32;
    let p = p * z + 2.063_908_8e-2;
    let p = p * z - 5.373_971_6e-2;
    let p = p * z + 1.333_144_2e-1;
    let p = p * z - 3.333_328e-1;
    let small = x + x * z * p;
    let large = (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 { small } else { large }
}

/// `d tanh / dx` from the output `y = tanh(x)`: `1 - y^2`.
#[inline(always)]
pub fn tanh_derivative_from_output(y: f32) -> f32 {
    1.0 - y * y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_within_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.5 {
            let (ours, std) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((ours - std) / std).abs());
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert!(exp(-200.0) <= f32::MIN_POSITIVE * 1.01);
        assert!(exp(200.0).is_infinite() || exp(200.0) > 1e38);
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn tanh_matches_std_within_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -12.0f32;
        while x < 12.0 {
            let (ours, std) = (tanh(x) as f64, (x as f64).tanh());
            // Relative to the value, or to 1e-30 at zero.
            worst = worst.max((ours - std).abs() / std.abs().max(1e-30));
            x += 0.000_731;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(40.0), 1.0);
        assert_eq!(tanh(-40.0), -1.0);
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!(tanh(1e-20), 1e-20);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [
            NormActivation::Identity,
            NormActivation::Relu,
            NormActivation::LeakyRelu(0.2),
            NormActivation::Silu,
        ] {
            for z in [-3.0f32, -0.7, 0.4, 2.5] {
                let h = 1e-3f64;
                let f = |v: f64| act.apply(v as f32) as f64;
                let numeric = (f(z as f64 + h) - f(z as f64 - h)) / (2.0 * h);
                let analytic = act.derivative(z) as f64;
                assert!(
                    (numeric - analytic).abs() < 2e-3,
                    "{act:?} at {z}: {analytic} vs {numeric}"
                );
            }
        }
        assert_eq!(NormActivation::Relu.derivative(0.0), 0.0);
        assert_eq!(NormActivation::LeakyRelu(0.2).derivative(0.0), 0.2);
    }
}
