//! Backends: which burn `Device` a run uses, chosen at run time, and seeding in one place.

use crate::error::{Error, Result};
use burn::prelude::Device;
pub use nn_data::BackendKind;

/// The inference device of backend `kind` (no autodiff). Use [`Device::autodiff`] to train.
pub fn device(kind: BackendKind) -> Result<Device> {
    let missing = || Error::BackendMissing {
        kind: kind.name().into(),
        feature: kind.name().into(),
    };
    match kind {
        #[cfg(feature = "flex")]
        BackendKind::Flex => Ok(Device::flex()),
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        // kept selectable on purpose: the course design names it
        BackendKind::Ndarray => Ok(Device::ndarray()),
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => Ok(Device::cuda(0)),
        #[allow(unreachable_patterns)]
        _ => Err(missing()),
    }
}

/// Device `index` of backend `kind`, for data-parallel training (`--devices`). A CPU
/// backend has one device: every index is that CPU.
pub fn device_at(kind: BackendKind, index: usize) -> Result<Device> {
    match kind {
        #[cfg(feature = "wgpu")]
        BackendKind::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(index))),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => Ok(Device::cuda(index)),
        _ => {
            let _ = index;
            device(kind)
        }
    }
}

pub use nn_data::seed::{derive_seed, rng};

/// Seeds burn's tensor RNG on `device` for a purpose; the one place the project seeds burn.
pub fn seed_device(device: &Device, seed: u64, purpose: &str) {
    device.seed(derive_seed(seed, purpose));
}
