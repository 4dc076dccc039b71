//! ImageNet weights from torchvision checkpoints (`vgg19-dcbb9e9d.pth`, `vgg19_bn-...`,
//! `resnet18-...`, or the same keys in a `.safetensors` file), loaded with
//! [`nn_core::models::torch_import::load_pytorch`].
//!
//! torchvision names a layer by its index in an `nn.Sequential` (`features.34.weight`,
//! `classifier.6.bias`). The rules below rename each key onto this crate's modules; burn's
//! PyTorch adapter then transposes Linear weights and renames batch norm's `weight`/`bias`
//! to `gamma`/`beta`. Every rule matches only a torchvision-shaped key, so a renamed key is
//! never renamed twice.

use crate::models::resnet::ResNetConfig;
use crate::models::vgg::{VggConfig, VggItem, vgg_layers};
pub use nn_core::models::torch_import::{KeyRules, Loaded, load_pytorch};

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
