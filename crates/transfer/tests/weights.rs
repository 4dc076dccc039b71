//! Weight import: checkpoints with torchvision's keys and layouts, written by the tests as
//! `.pth` and `.safetensors`, land in the right layers. The loaded VGG-19's output equals a
//! forward pass computed independently (burn's own convolution and pooling, not the
//! course's kernels that the model runs through; batch norm and dense layers as loops);
//! every ResNet-18 tensor arrives where torchvision has it.

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleSnapshot;
use nn_core::data::formats::torch_files::{Entry, Values, write_pth, write_safetensors};
use nn_core::train::ImageClassifier;
use rand::RngExt;
use std::collections::HashMap;
use std::path::Path;
use transfer::models::resnet::ResNetConfig;
use transfer::models::vgg::{VggConfig, VggItem, vgg_layers};
use transfer::weights::{load_pytorch, resnet_key_rules, vgg_key_rules};

const DIVISOR: usize = 16;
const HIDDEN: usize = 16;
const CLASSES: usize = 10;

fn device() -> Device {
    nn_core::backend::device(nn_core::BackendKind::Flex).unwrap()
}

/// Feature maps `[batch, channels, height, width]`, row-major.
#[derive(Debug, Clone)]
struct Maps {
    shape: [usize; 4],
    data: Vec<f32>,
}

impl Maps {
    fn tensor(&self) -> Tensor<4> {
        Tensor::from_data(TensorData::new(self.data.clone(), self.shape), &device())
    }

    fn of(tensor: Tensor<4>) -> Maps {
        Maps {
            shape: tensor.dims(),
            data: tensor.into_data().try_to_vec::<f32>().unwrap(),
        }
    }

    /// The value of image `n`, channel `c`, at row `y`, column `x`.
    fn at(&self, n: usize, c: usize, y: usize, x: usize) -> f32 {
        let [_, channels, height, width] = self.shape;
        self.data[((n * channels + c) * height + y) * width + x]
    }
}

/// burn's functional convolution (not the kernels the model's layers are routed to).
fn conv2d(x: &Maps, kernel: &Maps, bias: Option<&[f32]>, stride: usize, padding: usize) -> Maps {
    let bias =
        bias.map(|b| Tensor::<1>::from_data(TensorData::new(b.to_vec(), [b.len()]), &device()));
    let options = burn::tensor::ops::ConvOptions::new([stride; 2], [padding; 2], [1, 1], 1);
    Maps::of(burn::tensor::module::conv2d(
        x.tensor(),
        kernel.tensor(),
        bias,
        options,
    ))
}

/// burn's functional max pooling, `size` x `size` windows every `stride`, no padding.
fn max_pool2d(x: &Maps, size: usize, stride: usize) -> Maps {
    let options = burn::tensor::ops::MaxPoolOptions::new([size; 2]).with_stride([stride; 2]);
    Maps::of(burn::tensor::module::max_pool2d(x.tensor(), options))
}

fn uniform(rng: &mut rand::rngs::StdRng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn vgg_config(batch_norm: bool) -> VggConfig {
    VggConfig::new(19)
        .with_width_divisor(DIVISOR)
        .with_hidden(HIDDEN)
        .with_classes(CLASSES)
        .with_batch_norm(batch_norm)
}

/// A batch norm's five entries under `prefix`, as PyTorch saves them.
fn batch_norm_entries(rng: &mut rand::rngs::StdRng, prefix: &str, n: usize) -> Vec<Entry> {
    vec![
        Entry::f32(&format!("{prefix}.weight"), &[n], uniform(rng, n, 0.5, 1.5)),
        Entry::f32(&format!("{prefix}.bias"), &[n], uniform(rng, n, -0.1, 0.1)),
        Entry::f32(
            &format!("{prefix}.running_mean"),
            &[n],
            uniform(rng, n, -0.2, 0.2),
        ),
        Entry::f32(
            &format!("{prefix}.running_var"),
            &[n],
            uniform(rng, n, 0.5, 1.5),
        ),
        Entry {
            key: format!("{prefix}.num_batches_tracked"),
            shape: vec![],
            values: Values::I64(vec![7]),
        },
    ]
}

fn conv_entry(rng: &mut rand::rngs::StdRng, key: &str, shape: [usize; 4]) -> Entry {
    let bound = (6.0 / (shape[1] * shape[2] * shape[3]) as f32).sqrt();
    Entry::f32(
        key,
        &shape,
        uniform(rng, shape.iter().product(), -bound, bound),
    )
}

/// torchvision's `vgg19(_bn)` state dict at 1/16 of the width: `features.{i}` counts every
/// layer of the `nn.Sequential` (conv, [bn], ReLU, ..., max pool).
fn vgg_state_dict(batch_norm: bool) -> Vec<Entry> {
    let mut rng = nn_core::backend::rng(7, "vgg state dict");
    let mut entries = Vec::new();
    let (mut index, mut channels) = (0, 3);
    for item in vgg_layers(19).unwrap() {
        match item {
            VggItem::Conv(c) => {
                let out = c / DIVISOR;
                let key = format!("features.{index}");
                entries.push(conv_entry(
                    &mut rng,
                    &format!("{key}.weight"),
                    [out, channels, 3, 3],
                ));
                entries.push(Entry::f32(
                    &format!("{key}.bias"),
                    &[out],
                    uniform(&mut rng, out, -0.1, 0.1),
                ));
                if batch_norm {
                    entries.extend(batch_norm_entries(
                        &mut rng,
                        &format!("features.{}", index + 1),
                        out,
                    ));
                }
                index += if batch_norm { 3 } else { 2 };
                channels = out;
            }
            VggItem::Pool => index += 1,
        }
    }
    let flat = channels * 49;
    for (i, (out, input)) in [(HIDDEN, flat), (HIDDEN, HIDDEN), (CLASSES, HIDDEN)]
        .into_iter()
        .enumerate()
    {
        let bound = (3.0 / input as f32).sqrt();
        entries.push(Entry::f32(
            &format!("classifier.{}.weight", 3 * i),
            &[out, input],
            uniform(&mut rng, out * input, -bound, bound),
        ));
        entries.push(Entry::f32(
            &format!("classifier.{}.bias", 3 * i),
            &[out],
            uniform(&mut rng, out, -0.1, 0.1),
        ));
    }
    entries
}

fn values<'a>(dict: &'a HashMap<&str, &Entry>, key: &str) -> &'a [f32] {
    match &dict[key].values {
        Values::F32(v) => v,
        Values::I64(_) => panic!("{key} is not float"),
    }
}

/// VGG-19 in inference mode, from the state dict alone: hand-written convolution and max
/// pooling, batch norm with running statistics, adaptive average pooling to 7x7, dense layers.
fn reference_vgg(entries: &[Entry], batch_norm: bool, input: &Maps) -> Vec<f32> {
    let dict: HashMap<&str, &Entry> = entries.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut x = input.clone();
    let mut index = 0;
    for item in vgg_layers(19).unwrap() {
        match item {
            VggItem::Conv(_) => {
                let weight = &dict[format!("features.{index}.weight").as_str()];
                let kernel = Maps {
                    shape: weight.shape.clone().try_into().unwrap(),
                    data: values(&dict, &weight.key).to_vec(),
                };
                let bias = values(&dict, &format!("features.{index}.bias"));
                x = conv2d(&x, &kernel, Some(bias), 1, 1);
                let [_, c, h, w] = x.shape;
                if batch_norm {
                    let bn = |name: &str| values(&dict, &format!("features.{}.{name}", index + 1));
                    let (g, b, m, v) = (
                        bn("weight"),
                        bn("bias"),
                        bn("running_mean"),
                        bn("running_var"),
                    );
                    for (i, value) in x.data.iter_mut().enumerate() {
                        let ch = (i / (h * w)) % c;
                        *value = (*value - m[ch]) / (v[ch] + 1e-5).sqrt() * g[ch] + b[ch];
                    }
                }
                x.data.iter_mut().for_each(|v| *v = v.max(0.0));
                index += if batch_norm { 3 } else { 2 };
            }
            VggItem::Pool => {
                x = max_pool2d(&x, 2, 2);
                index += 1;
            }
        }
    }
    let [batch, channels, h, w] = x.shape;
    let mut logits = Vec::new();
    for n in 0..batch {
        // Adaptive average pooling to 7x7: cell i covers rows floor(i h / 7) .. ceil((i + 1) h / 7).
        let mut flat = Vec::new();
        for c in 0..channels {
            for i in 0..7 {
                for j in 0..7 {
                    let (y0, y1) = (i * h / 7, ((i + 1) * h).div_ceil(7));
                    let (x0, x1) = (j * w / 7, ((j + 1) * w).div_ceil(7));
                    let mut sum = 0.0;
                    for y in y0..y1 {
                        for xx in x0..x1 {
                            sum += x.at(n, c, y, xx);
                        }
                    }
                    flat.push(sum / ((y1 - y0) * (x1 - x0)) as f32);
                }
            }
        }
        for (layer, last) in [(0, false), (3, false), (6, true)] {
            let weight = values(&dict, &format!("classifier.{layer}.weight"));
            let bias = values(&dict, &format!("classifier.{layer}.bias"));
            flat = bias
                .iter()
                .enumerate()
                .map(|(o, b)| {
                    let dot: f32 = flat
                        .iter()
                        .enumerate()
                        .map(|(i, v)| v * weight[o * flat.len() + i])
                        .sum();
                    if last { b + dot } else { (b + dot).max(0.0) }
                })
                .collect();
        }
        logits.extend(flat);
    }
    logits
}

fn random_images(batch: usize) -> Maps {
    let mut rng = nn_core::backend::rng(11, "images");
    Maps {
        shape: [batch, 3, 32, 32],
        data: uniform(&mut rng, batch * 3 * 32 * 32, -1.0, 1.0),
    }
}

fn max_relative_error(actual: &[f32], expected: &[f32]) -> f32 {
    assert_eq!(actual.len(), expected.len());
    let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(
        scale > 1e-3,
        "the reference output is all but zero: the check would be empty"
    );
    actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).abs())
        .fold(0.0, f32::max)
        / scale
}

fn check_vgg_import(
    batch_norm: bool,
    write: fn(&Path, &[Entry]) -> std::io::Result<()>,
    file: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    let entries = vgg_state_dict(batch_norm);
    write(&path, &entries).unwrap();

    let device = device();
    let config = vgg_config(batch_norm);
    let mut model = config.init(&device).unwrap();
    let loaded = load_pytorch(&mut model, &path, &vgg_key_rules(&config)).unwrap();
    let bn_entries = if batch_norm { 16 * 5 } else { 0 };
    assert_eq!(
        loaded.applied + loaded.unused.len(),
        16 * 2 + 6 + bn_entries
    );
    assert_eq!(
        loaded.unused.len(),
        bn_entries / 5,
        "only num_batches_tracked is unused: {:?}",
        loaded.unused
    );

    let images = random_images(2);
    let input = Tensor::<4>::from_data(TensorData::new(images.data.clone(), images.shape), &device);
    let output: Vec<f32> = model
        .valid()
        .forward(input)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    let expected = reference_vgg(&entries, batch_norm, &images);
    let error = max_relative_error(&output, &expected);
    assert!(error < 1e-4, "{file}: relative error {error}");
}

#[test]
fn vgg19_pth_matches_an_independent_forward_pass() {
    check_vgg_import(false, write_pth, "vgg19.pth");
}

#[test]
fn vgg19_bn_pth_matches_an_independent_forward_pass() {
    check_vgg_import(true, write_pth, "vgg19_bn.pth");
}

#[test]
fn vgg19_safetensors_matches_an_independent_forward_pass() {
    check_vgg_import(false, write_safetensors, "vgg19.safetensors");
}

/// torchvision's `resnet18` state dict at 1/16 of the width, with the burn path each entry
/// must land in (written out by hand here, independently of the loader's rules).
fn resnet18_state_dict() -> Vec<(Entry, String)> {
    let mut rng = nn_core::backend::rng(9, "resnet state dict");
    let mut out = Vec::new();
    let bn = |rng: &mut rand::rngs::StdRng, torch: &str, ours: &str, n: usize| {
        batch_norm_entries(rng, torch, n)
            .into_iter()
            .map(|e| {
                let leaf = e.key.rsplit('.').next().unwrap().to_string();
                let burn_leaf = match leaf.as_str() {
                    "weight" => "gamma",
                    "bias" => "beta",
                    other => other,
                };
                let path = format!("{ours}.{burn_leaf}");
                (e, path)
            })
            .collect::<Vec<_>>()
    };
    let w = |c: usize| c / DIVISOR;
    out.push((
        conv_entry(&mut rng, "conv1.weight", [w(64), 3, 7, 7]),
        "stem.conv.weight".into(),
    ));
    out.extend(bn(&mut rng, "bn1", "stem.bn", w(64)));
    let mut channels = w(64);
    for stage in 0..4 {
        let width = w(64 << stage);
        for block in 0..2 {
            let (torch, ours) = (
                format!("layer{}.{block}", stage + 1),
                format!("layers.{}", 2 * stage + block),
            );
            let input = if block == 0 { channels } else { width };
            out.push((
                conv_entry(
                    &mut rng,
                    &format!("{torch}.conv1.weight"),
                    [width, input, 3, 3],
                ),
                format!("{ours}.conv1.weight"),
            ));
            out.extend(bn(
                &mut rng,
                &format!("{torch}.bn1"),
                &format!("{ours}.bn1"),
                width,
            ));
            out.push((
                conv_entry(
                    &mut rng,
                    &format!("{torch}.conv2.weight"),
                    [width, width, 3, 3],
                ),
                format!("{ours}.conv2.weight"),
            ));
            out.extend(bn(
                &mut rng,
                &format!("{torch}.bn2"),
                &format!("{ours}.bn2"),
                width,
            ));
            if stage > 0 && block == 0 {
                out.push((
                    conv_entry(
                        &mut rng,
                        &format!("{torch}.downsample.0.weight"),
                        [width, input, 1, 1],
                    ),
                    format!("{ours}.downsample.0.weight"),
                ));
                out.extend(bn(
                    &mut rng,
                    &format!("{torch}.downsample.1"),
                    &format!("{ours}.downsample.1"),
                    width,
                ));
            }
        }
        channels = width;
    }
    out.push((
        Entry::f32(
            "fc.weight",
            &[CLASSES, channels],
            uniform(&mut rng, CLASSES * channels, -1.0, 1.0),
        ),
        "fc.weight".into(),
    ));
    out.push((
        Entry::f32("fc.bias", &[CLASSES], uniform(&mut rng, CLASSES, -1.0, 1.0)),
        "fc.bias".into(),
    ));
    out
}

#[test]
fn every_resnet18_tensor_lands_in_its_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resnet18.pth");
    let pairs = resnet18_state_dict();
    let entries: Vec<Entry> = pairs
        .iter()
        .map(|(e, _)| Entry {
            key: e.key.clone(),
            shape: e.shape.clone(),
            values: match &e.values {
                Values::F32(v) => Values::F32(v.clone()),
                Values::I64(v) => Values::I64(v.clone()),
            },
        })
        .collect();
    write_pth(&path, &entries).unwrap();

    let config = ResNetConfig::new(18)
        .with_width_divisor(DIVISOR)
        .with_classes(CLASSES);
    let mut model = config.init(&device()).unwrap();
    let loaded = load_pytorch(&mut model, &path, &resnet_key_rules(&config)).unwrap();
    let ours: HashMap<String, Vec<f32>> = model
        .collect(None, None, false)
        .into_iter()
        .map(|t| {
            let bytes = t.to_bytes().unwrap();
            let floats = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect();
            (t.name.clone(), floats)
        })
        .collect();
    let mut checked = 0;
    for (entry, path) in &pairs {
        let Values::F32(expected) = &entry.values else {
            continue; // num_batches_tracked has no place in burn's BatchNorm
        };
        let actual = ours
            .get(path)
            .unwrap_or_else(|| panic!("{} should land in {path}", entry.key));
        let expected = if entry.key == "fc.weight" {
            // PyTorch keeps Linear weights [out, in]; burn keeps [in, out].
            let (out, input) = (entry.shape[0], entry.shape[1]);
            (0..input * out)
                .map(|k| expected[(k % out) * input + k / out])
                .collect()
        } else {
            expected.clone()
        };
        assert_eq!(actual, &expected, "{} -> {path}", entry.key);
        checked += 1;
    }
    assert_eq!(checked, ours.len(), "every tensor of the model was checked");
    assert_eq!(loaded.applied, ours.len());
}

#[test]
fn mismatched_checkpoints_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("vgg19.pth");
    write_pth(&plain, &vgg_state_dict(false)).unwrap();
    let device = device();

    // A batch-norm VGG cannot come from a plain one (the layer indices differ): refused.
    let config = vgg_config(true);
    let mut model = config.init(&device).unwrap();
    let error = load_pytorch(&mut model, &plain, &vgg_key_rules(&config))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("vgg19.pth") && error.contains("batch-norm setting"),
        "{error}"
    );

    // Another width: the shapes do not fit.
    let config = vgg_config(false).with_width_divisor(8);
    let mut model = config.init(&device).unwrap();
    let error = load_pytorch(&mut model, &plain, &vgg_key_rules(&config))
        .unwrap_err()
        .to_string();
    assert!(error.contains("do not fit"), "{error}");

    // No file: say how to get it.
    let error = load_pytorch(
        &mut model,
        &dir.path().join("absent.pth"),
        &vgg_key_rules(&config),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("absent.pth")
            && error.contains("cargo xtask download NAME")
            && error.contains("vgg19"),
        "{error}"
    );

    // Not a checkpoint at all.
    let junk = dir.path().join("junk.pth");
    std::fs::write(&junk, b"not a zip").unwrap();
    let error = load_pytorch(&mut model, &junk, &vgg_key_rules(&config))
        .unwrap_err()
        .to_string();
    assert!(error.contains("junk.pth"), "{error}");
}
