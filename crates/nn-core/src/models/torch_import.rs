//! PyTorch checkpoints (`.pth`, or the same keys in `.safetensors`) loaded into our modules
//! with burn's store: the keys renamed by regex rules, burn's PyTorch adapter transposing
//! Linear weights and renaming batch norm's `weight`/`bias` to `gamma`/`beta`. Every tensor
//! of the model must come from the file with the right shape. Used for torchvision's
//! ImageNet weights (`transfer`) and pytorch-fid's InceptionV3 ([`super::inception_fid`]).

use crate::Result;
use crate::error::{Error, FormatError};
use burn::store::{
    ApplyResult, KeyRemapper, ModuleSnapshot, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use std::path::Path;

/// `(regex, replacement)` pairs from a checkpoint's key names to our module paths.
pub type KeyRules = Vec<(String, String)>;

/// What loading a checkpoint did.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Tensors written into the model.
    pub applied: usize,
    /// Checkpoint entries the model has no place for (batch norm's `num_batches_tracked`).
    pub unused: Vec<String>,
}

/// Loads a PyTorch checkpoint (`.pth`/`.pt`, or `.safetensors` with the same keys) into
/// `model`, renaming its keys by `rules`. Every tensor of the model must come from the file with the right shape; else
/// the error names the file, the tensors and the likely cause.
pub fn load_pytorch<M: ModuleSnapshot>(
    model: &mut M,
    path: &Path,
    rules: &KeyRules,
) -> Result<Loaded> {
    if !path.is_file() {
        return Err(Error::Other(format!(
            "{}: no such weights file; fetch it with `cargo xtask download NAME` (NAME one of {}) or pass the path of a PyTorch checkpoint",
            path.display(),
            crate::data::weights::weights()
                .iter()
                .map(|w| w.name)
                .collect::<Vec<_>>()
                .join(", ")
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
