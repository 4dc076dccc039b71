//! ImageNet weights from torchvision checkpoints (`vgg19-dcbb9e9d.pth`, `vgg19_bn-...`,
//! `resnet18-...`, or the same keys in a `.safetensors` file), loaded with burn's store.
//!
//! torchvision names a layer by its index in an `nn.Sequential` (`features.34.weight`,
//! `classifier.6.bias`). The rules below rename each key onto this crate's modules; burn's
//! PyTorch adapter then transposes Linear weights and renames batch norm's `weight`/`bias`
//! to `gamma`/`beta`. Every rule matches only a torchvision-shaped key, so a renamed key is
//! never renamed twice.

use crate::models::resnet::ResNetConfig;
use crate::models::vgg::{VggConfig, VggItem, vgg_layers};
use burn::store::{
    ApplyResult, KeyRemapper, ModuleSnapshot, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use nn_core::Result;
use nn_core::error::{Error, FormatError};
use std::path::Path;

/// `(regex, replacement)` pairs from torchvision's key names to this crate's module paths.
pub type KeyRules = Vec<(String, String)>;

/// torchvision's VGG keys -> [`crate::models::vgg::Vgg`]: `features.{i}` (a convolution,
/// its batch norm at `i + 1`, ReLUs and pools in between) -> `features.{unit}.conv|bn`, and
/// `classifier.0|3|6` -> `classifier.0|1|2`.
pub fn vgg_key_rules(config: &VggConfig) -> KeyRules {
    let mut rules = Vec::new();
    let (mut index, mut unit) = (0, 0);
    for item in vgg_layers(config.depth).unwrap_or_default() {
        match item {
            VggItem::Conv(_) => {
                rules.push((
                    format!(r"^features\.{index}\.([^.]+)$"),
                    format!("features.{unit}.conv.$1"),
                ));
                if config.batch_norm {
                    rules.push((
                        format!(r"^features\.{}\.([^.]+)$", index + 1),
                        format!("features.{unit}.bn.$1"),
                    ));
                }
                index += if config.batch_norm { 3 } else { 2 }; // conv (+ bn) + relu
                unit += 1;
            }
            VggItem::Pool => index += 1,
        }
    }
    for (ours, theirs) in [3, 6].into_iter().enumerate() {
        rules.push((
            format!(r"^classifier\.{theirs}\.([^.]+)$"),
            format!("classifier.{}.$1", ours + 1),
        ));
    }
    rules
}

/// torchvision's ResNet keys -> [`crate::models::resnet::ResNet`]: `conv1`/`bn1` -> the
/// stem, `layer{s}.{b}` -> the flat list `layers.{n}`; block internals and `fc` keep their
/// names.
pub fn resnet_key_rules(config: &ResNetConfig) -> KeyRules {
    let mut rules = vec![
        (r"^conv1\.([^.]+)$".to_string(), "stem.conv.$1".to_string()),
        (r"^bn1\.([^.]+)$".to_string(), "stem.bn.$1".to_string()),
    ];
    let mut flat = 0;
    for (stage, count) in config.blocks().unwrap_or_default().into_iter().enumerate() {
        for block in 0..count {
            rules.push((
                format!(r"^layer{}\.{block}\.(.+)$", stage + 1),
                format!("layers.{flat}.$1"),
            ));
            flat += 1;
        }
    }
    rules
}

/// What loading a checkpoint did.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Tensors written into the model.
    pub applied: usize,
    /// Checkpoint entries the model has no place for (batch norm's `num_batches_tracked`).
    pub unused: Vec<String>,
}

/// Loads a torchvision checkpoint (`.pth`/`.pt`, or `.safetensors` with the same keys) into
/// `model`. Every tensor of the model must come from the file with the right shape; else
/// the error names the file, the tensors and the likely cause.
pub fn load_torchvision<M: ModuleSnapshot>(
    model: &mut M,
    path: &Path,
    rules: &KeyRules,
) -> Result<Loaded> {
    if !path.is_file() {
        return Err(Error::Other(format!(
            "{}: no such weights file; fetch it with `cargo xtask download vgg19` (or vgg19_bn, resnet18) or pass the path of a torchvision checkpoint",
            path.display()
        )));
    }
    let invalid = |reason: String| FormatError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let remapper = KeyRemapper::from_patterns(rules.clone())
        .map_err(|e| invalid(format!("bad key rule: {e}")))?;
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let result: ApplyResult = match extension {
        "pth" | "pt" | "bin" => {
            let mut store = PytorchStore::from_file(path)
                .remap(remapper)
                .map_indices_contiguous(false)
                .allow_partial(true)
                .validate(false);
            model
                .load_from(&mut store)
                .map_err(|e| invalid(e.to_string()))?
        }
        "safetensors" => {
            let mut store = SafetensorsStore::from_file(path)
                .with_from_adapter(PyTorchToBurnAdapter)
                .remap(remapper)
                .map_indices_contiguous(false)
                .allow_partial(true)
                .validate(false);
            model
                .load_from(&mut store)
                .map_err(|e| invalid(e.to_string()))?
        }
        other => {
            return Err(invalid(format!(
                "unknown weights format `.{other}`: expected a PyTorch `.pth` or a `.safetensors` file"
            ))
            .into());
        }
    };
    if !result.errors.is_empty() {
        return Err(invalid(format!(
            "{} tensors do not fit the model (is it the same architecture, width and batch-norm setting?): {}",
            result.errors.len(),
            first_few(result.errors.iter().map(|e| e.to_string()))
        ))
        .into());
    }
    if !result.missing.is_empty() {
        return Err(invalid(format!(
            "{} tensors of the model are not in the file (a checkpoint of another architecture, or with/without batch norm?): {}",
            result.missing.len(),
            first_few(result.missing.iter().map(|(p, _)| p.clone()))
        ))
        .into());
    }
    Ok(Loaded {
        applied: result.applied.len(),
        unused: result.unused,
    })
}

/// The first five items, then how many more: enough to see the pattern.
fn first_few(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let mut shown: Vec<String> = items.take(5).collect();
    if total > shown.len() {
        shown.push(format!("and {} more", total - shown.len()));
    }
    shown.join("; ")
}
