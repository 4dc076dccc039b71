//! Backends: which burn `Device` a run uses, chosen at run time, and seeding in one place.

use crate::error::{Error, Result};
use burn::prelude::Device;

/// A burn backend that can be picked with `--backend`. Each is behind the cargo feature
/// of the same name; a kind that was not compiled in is a clear error, not a panic.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend (SIMD, multi-threaded). The default.
    Flex,
    /// The ndarray CPU backend (deprecated upstream; slow convolution backward).
    Ndarray,
    /// GPU through wgpu (Vulkan, Metal, DX12).
    Wgpu,
    /// NVIDIA GPU through CUDA (needs a network to build).
    Cuda,
}

impl BackendKind {
    /// The backends compiled into this binary.
    pub fn available() -> Vec<BackendKind> {
        [Self::Flex, Self::Ndarray, Self::Wgpu, Self::Cuda]
            .into_iter()
            .filter(|kind| kind.is_compiled())
            .collect()
    }

    /// The best backend this binary has: a GPU one when compiled in, else `flex`.
    pub fn preferred() -> BackendKind {
        [Self::Cuda, Self::Wgpu, Self::Flex, Self::Ndarray]
            .into_iter()
            .find(|kind| kind.is_compiled())
            .unwrap_or(Self::Flex)
    }

    /// Lower-case name, as on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }

    /// Whether the cargo feature of this backend was enabled at build time.
    pub fn is_compiled(self) -> bool {
        match self {
            Self::Flex => cfg!(feature = "flex"),
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The inference device of this backend (no autodiff). Use [`Device::autodiff`] to train.
    pub fn device(self) -> Result<Device> {
        let missing = || Error::BackendMissing {
            kind: self.name().into(),
            feature: self.name().into(),
        };
        match self {
            #[cfg(feature = "flex")]
            Self::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            // kept selectable on purpose: the course design names it
            Self::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            Self::Cuda => Ok(Device::cuda(0)),
            #[allow(unreachable_patterns)]
            _ => Err(missing()),
        }
    }

    /// Device `index` of this backend, for data-parallel training (`--devices`). A CPU
    /// backend has one device: every index is that CPU.
    pub fn device_at(self, index: usize) -> Result<Device> {
        match self {
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(index))),
            #[cfg(feature = "cuda")]
            Self::Cuda => Ok(Device::cuda(index)),
            _ => {
                let _ = index;
                self.device()
            }
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Derives an independent seed for a purpose (`"init"`, `"epoch-3"`, ...) from the run seed,
/// so every source of randomness is reproducible on its own (SplitMix64 finaliser).
pub fn derive_seed(seed: u64, purpose: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for byte in purpose.bytes() {
        h = (h ^ byte as u64).wrapping_mul(0x100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// Seeds burn's tensor RNG on `device` for a purpose; the one place the project seeds burn.
pub fn seed_device(device: &Device, seed: u64, purpose: &str) {
    device.seed(derive_seed(seed, purpose));
}

/// A seeded CPU random generator for a purpose (data order, augmentation, synthetic data).
pub fn rng(seed: u64, purpose: &str) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(derive_seed(seed, purpose))
}
