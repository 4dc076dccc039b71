//! The Frechet distance between two sets of images in a network's feature space (the FID
//! recipe, Heusel et al. 2017): fit a Gaussian to each set's features and compare them,
//! `|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))`.
//!
//! The trace of the matrix square root comes from symmetric eigendecompositions (Jacobi
//! rotations, in f64): `tr((S_a S_b)^(1/2)) = sum sqrt(eig(R S_b R))` with `R = S_a^(1/2)`.
//! Written here because burn has no eigendecomposition in this project's feature set.
//! Jacobi costs minutes at InceptionV3's 2,048 features, so [`frechet_distance_large`]
//! takes the square root by Newton-Schulz iterations instead (matrix products only, f64,
//! through `gemm`), as burn-train's FID does in f32.

/// Mean and covariance of a set of feature vectors.
#[derive(Debug, Clone)]
pub struct Gaussian {
    /// The mean feature vector.
    pub mean: Vec<f64>,
    /// Row-major `d x d`.
    pub covariance: Vec<f64>,
    /// Length of a feature vector.
    pub dim: usize,
}

impl Gaussian {
    /// Fits the rows of a row-major `n x d` matrix (the unbiased covariance).
    pub fn fit(features: &[f32], d: usize) -> Gaussian {
        let n = features.len() / d.max(1);
        let mut mean = vec![0.0; d];
        for row in features.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut covariance = vec![0.0; d * d];
        for row in features.chunks_exact(d) {
            let centred: Vec<f64> = row.iter().zip(&mean).map(|(&v, m)| v as f64 - m).collect();
            for i in 0..d {
                for j in i..d {
                    covariance[i * d + j] += centred[i] * centred[j];
                }
            }
        }
        let scale = 1.0 / (n.saturating_sub(1)).max(1) as f64;
        for i in 0..d {
            for j in i..d {
                let v = covariance[i * d + j] * scale;
                covariance[i * d + j] = v;
                covariance[j * d + i] = v;
            }
        }
        Gaussian {
            mean,
            covariance,
            dim: d,
        }
    }
}

/// Eigenvalues and eigenvectors (columns of the returned row-major matrix) of a symmetric
/// matrix, by cyclic Jacobi rotations.
pub fn symmetric_eigen(matrix: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v = vec![0.0; d * d];
    (0..d).for_each(|i| v[i * d + i] = 1.0);
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-300);
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j].powi(2))
            .sum::<f64>()
            .sqrt();
        if off <= 1e-12 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

/// `A^(1/2)` of a symmetric positive semi-definite matrix (negative round-off clipped).
fn sqrt_psd(matrix: &[f64], d: usize) -> Vec<f64> {
    let (values, vectors) = symmetric_eigen(matrix, d);
    let mut out = vec![0.0; d * d];
    for (k, &value) in values.iter().enumerate() {
        let root = value.max(0.0).sqrt();
        for i in 0..d {
            let vik = vectors[i * d + k] * root;
            for j in 0..d {
                out[i * d + j] += vik * vectors[j * d + k];
            }
        }
    }
    out
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            for j in 0..d {
                out[i * d + j] += aik * b[k * d + j];
            }
        }
    }
    out
}

/// The Frechet distance between two Gaussians.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> f64 {
    let d = a.dim;
    let root_a = sqrt_psd(&a.covariance, d);
    let middle = matmul(&matmul(&root_a, &b.covariance, d), &root_a, d);
    // Symmetrise against round-off before the eigendecomposition.
    let mut sym = middle.clone();
    for i in 0..d {
        for j in 0..d {
            sym[i * d + j] = 0.5 * (middle[i * d + j] + middle[j * d + i]);
        }
    }
    let (values, _) = symmetric_eigen(&sym, d);
    let cross: f64 = values.iter().map(|v| v.max(0.0).sqrt()).sum();
    assemble(a, b, cross)
}

/// `|mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 cross`, with `cross = tr((S_a S_b)^(1/2))`.
fn assemble(a: &Gaussian, b: &Gaussian, cross: f64) -> f64 {
    let mean_term: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y).powi(2))
        .sum();
    mean_term + trace(&a.covariance, a.dim) + trace(&b.covariance, b.dim) - 2.0 * cross
}

/// The trace of a row-major `d x d` matrix.
fn trace(m: &[f64], d: usize) -> f64 {
    (0..d).map(|i| m[i * d + i]).sum()
}

/// [`frechet_distance`] for long feature vectors (the FID's 2,048): the square root of
/// `S_a S_b` by coupled Newton-Schulz iterations in f64 (`Y <- Y T`, `Z <- T Z`,
/// `T = (3I - Z Y) / 2`, from `Y = S_a S_b / |S_a S_b|_F`, `Z = I`), until an iteration
/// changes the trace by less than 1e-12 of it (at most 100).
pub fn frechet_distance_large(a: &Gaussian, b: &Gaussian) -> f64 {
    let d = a.dim;
    let product = gemm_f64(&a.covariance, &b.covariance, d);
    let norm = product.iter().map(|v| v * v).sum::<f64>().sqrt();
    let cross = if norm > 0.0 {
        let mut y: Vec<f64> = product.iter().map(|v| v / norm).collect();
        let mut z = identity(d);
        let mut last = f64::NAN;
        for _ in 0..100 {
            let zy = gemm_f64(&z, &y, d);
            let t: Vec<f64> = (0..d * d)
                .map(|k| {
                    let eye = if k % (d + 1) == 0 { 3.0 } else { 0.0 };
                    0.5 * (eye - zy[k])
                })
                .collect();
            y = gemm_f64(&y, &t, d);
            z = gemm_f64(&t, &z, d);
            let now = trace(&y, d);
            let settled = (now - last).abs() <= 1e-12 * now.abs();
            last = now;
            if settled {
                break;
            }
        }
        last * norm.sqrt()
    } else {
        0.0
    };
    assemble(a, b, cross)
}

fn identity(d: usize) -> Vec<f64> {
    (0..d * d)
        .map(|k| if k % (d + 1) == 0 { 1.0 } else { 0.0 })
        .collect()
}

/// `a b` of two row-major `d x d` matrices, multi-threaded.
fn gemm_f64(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    assert!(a.len() == d * d && b.len() == d * d, "gemm_f64: not d x d");
    let mut out = vec![0.0; d * d];
    if d == 0 {
        return out;
    }
    // SAFETY: the three buffers hold d x d row-major f64 values (checked above), and `out`
    // does not alias `a` or `b`.
    unsafe {
        gemm::gemm(
            d,
            d,
            d,
            out.as_mut_ptr(),
            1,
            d as isize,
            false,
            a.as_ptr(),
            1,
            d as isize,
            b.as_ptr(),
            1,
            d as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
    out
}
