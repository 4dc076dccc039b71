//! The course as one HTML page (`<runs>/report/index.html`, its images copied beside it),
//! written by `cargo xtask report` and at the end of `cargo xtask curriculum`. It reads
//! only run directories (each experiment's newest finished run, or its newest failed one)
//! and `curriculum.json` when present, so it can be rebuilt at any time.

use crate::{Error, Result};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The weeks in course order: topic, week, title, the lesson in a few sentences.
const LESSONS: &[(&str, &str, &str, &str)] = &[
    (
        "nn-core",
        "0",
        "Shared pieces",
        "Data, training loop, metrics and plots every week uses.",
    ),
    (
        "mlp",
        "1",
        "Perceptron, MLP and backpropagation",
        "A perceptron finds a separating line when one exists and cannot learn XOR; a hidden layer can. Backpropagation, written by hand, computes the same gradients as burn's autodiff, and ReLU's dead units are what Leaky ReLU avoids.",
    ),
    (
        "cnn",
        "1-2",
        "Convolutional networks",
        "Convolution and pooling share weights across the image, so a small CNN beats a larger MLP on images. Augmentation fights overfitting; on a medical set the threshold and the ROC curve matter as much as accuracy.",
    ),
    (
        "transfer",
        "2",
        "Transfer learning",
        "VGG, ResNet and Inception, counted and timed; a network pre-trained on other images, then fine-tuned, against the same network trained from scratch.",
    ),
    (
        "autoencoders",
        "3",
        "Autoencoders and VAEs",
        "A network squeezed through a narrow code learns a compressed representation: better than PCA, able to remove noise, sparse on demand; as a VAE it also generates, and its architecture changes how well.",
    ),
    (
        "gans",
        "4",
        "Generative adversarial networks",
        "A generator and a discriminator trained against each other: noise becomes cat faces, measured with a Frechet distance; convolutions (DCGAN) do it faster and better.",
    ),
    (
        "diffusion",
        "5",
        "Diffusion models",
        "Images are buried in noise step by step; a U-Net learns to predict the noise, and running the process backwards turns noise into images. Schedules, learning rates and the number of denoising steps decide how good and how fast.",
    ),
];

/// What each experiment's figures show and what to look for in them, shown at the top of
/// its section of the report.
const GUIDES: &[(&str, &str)] = &[
    (
        "nn-core/demo",
        "A tiny MLP on synthetic shapes through the whole experiment contract: the loss and accuracy curves should move in the right direction within three epochs, and the captioned test images show its guesses.",
    ),
    (
        "mlp/perceptron",
        "The decision line on separable points (it must separate them, within Novikoff's bound of updates) and on XOR (no line can: accuracy stays near chance); the 2-layer MLP's regions on XOR show what a hidden layer adds.",
    ),
    (
        "mlp/scratch",
        "An MLP trained with backpropagation written by hand: its loss should fall and its accuracy rise epoch by epoch, as burn's does for the same network (mlp/burn draws the two together).",
    ),
    (
        "mlp/burn",
        "The same MLP, the same start and settings, trained by burn: in the overlay plots the hand-written and the burn curves should lie almost on top of each other; a gap would mean a wrong gradient.",
    ),
    (
        "mlp/activations",
        "The share of units that never fire (dead) per layer, for ReLU and Leaky ReLU in a deep MLP: compare how many units each loses layer by layer as training goes on, and the test accuracies.",
    ),
    (
        "cnn/conv-ops",
        "Convolution and pooling written by hand against burn's (the error should be at float rounding, about 1e-6), classic kernels at work on a real image (edges, blur, sharpening), and how padding and stride set the output size: floor((n + 2p - k) / s) + 1, drawn for a 3x3 kernel on a 5x5 input.",
    ),
    (
        "cnn/fashion-mnist",
        "A small CNN and an MLP with a similar budget on the same data: the comparison plots show which learns faster and generalises better; the confusion matrices show which clothes each confuses (shirts with T-shirts and pullovers).",
    ),
    (
        "cnn/cifar100",
        "A batch-norm CNN with and without augmentation: look at the gap between training and test accuracy; augmentation should narrow it.",
    ),
    (
        "cnn/pneumonia",
        "An unbalanced medical task: accuracy alone misleads, so look at the ROC curve (area well above 0.5), and at the confusion matrix at the threshold chosen on the validation split rather than at 0.5.",
    ),
    (
        "cnn/augment-gallery",
        "One real image of each data set through every augmentation: each column should still be plainly the same object, which is what makes an augmentation safe to train with.",
    ),
    (
        "cnn/augment-ablation",
        "The same CNN trained on small training sets with no augmentation, one family of augmentations (geometric, colour, noise) or all of them, once per seed: the first figure shows every seed's test score, the second each recipe's gain over none, seed by seed. A gain counts only where its whisker (one standard deviation over seeds) stays clear of zero.",
    ),
    (
        "transfer/architectures",
        "VGG, ResNet and Inception counted: parameters, multiply-accumulates and forward time at 32 and 224 pixels; note how much less GoogLeNet and ResNet cost than VGG for a deeper network.",
    ),
    (
        "transfer/cifar-architectures",
        "VGG, ResNet and Inception in their CIFAR-scale versions, trained on the same CIFAR-10 images with the same budget, optimiser, augmentation and seeds: the first figure shows every seed's test accuracy beside each network's parameters and multiply-accumulates, the second the mean test accuracy per epoch. A difference counts only where the seeds' spreads do not overlap; read it against what each network costs.",
    ),
    (
        "transfer/resnet-depth",
        "The same CIFAR networks at two depths, plain and with skip connections, each trained with the same budget on several seeds: if the deeper plain network's training loss stays above the shallower one's, that is the degradation ResNet's skip connections were made to remove; compare the residual curves. The second figure shows every seed's final training loss, so a gap counts only where the seeds do not overlap; the summary's `degradation_plain` and `skip_gain_<depth>` give the same-seed differences with their spread.",
    ),
    (
        "transfer/vgg19-cifar10",
        "Each stage's curves (a new head on the frozen body, the last block, everything fine-tuned) beside the same network from scratch: transfer helps when its curves start higher and end at least as high as scratch's; compare the final accuracies, and read the notes for where the pre-trained weights came from.",
    ),
    (
        "transfer/label-efficiency",
        "Learning curves over the number of labelled target images: the course's CNN (and, in `cifar-halves-vgg`, a CIFAR-scale VGG) pre-trained on a source task and fine-tuned, beside the same network from scratch on the same images, once per seed. Transfer pays where the fine-tuned scores sit above scratch's by more than their spread; expect the gap to be largest with the fewest labels and to close as labels grow, and less from a distant source (clothes to X-rays) than a near one.",
    ),
    (
        "autoencoders/vanilla",
        "Reconstructions by the autoencoder beside PCA with the same code size: compare how much shape each keeps at the same compression (the test errors are in the figures); the loss curve should flatten.",
    ),
    (
        "autoencoders/denoising",
        "Noisy inputs, the network's clean-up and the originals, for Gaussian and salt-and-pepper noise: the PSNR gain in decibels says how much noise it removed.",
    ),
    (
        "autoencoders/sparse",
        "The mean activation of the code units against the target sparsity (the curve should approach it) and reconstructions that stay recognisable with few active units.",
    ),
    (
        "autoencoders/vae",
        "The VAE's two loss terms (reconstruction and KL), reconstructions, samples from the prior, a walk between two codes, and a 2-D latent map where similar clothes should sit near each other.",
    ),
    (
        "autoencoders/vae-variants",
        "Four VAE architectures under the same budget: compare the test -ELBO (lower is better) and how sharp their reconstructions and samples look.",
    ),
    (
        "gans/mlp-gan",
        "The same noise vectors rendered through the epochs (noise, then a grey average, then cat faces), D's outputs on real and fake images (a game, not a rout: neither should reach 0 or 1), and the Frechet distance to held-out real cats falling well below the noise baseline.",
    ),
    (
        "gans/dcgan",
        "The same loop with convolutions: compare the progression and the Frechet distance with the fully connected GAN's; D's outputs show how much stronger a convolutional discriminator is.",
    ),
    (
        "gans/what-mattered",
        "A DCGAN from burn's defaults, gaining the field's small-data tricks one rung at a time (DCGAN initialisation, full batches, a slower D, DiffAugment, the relativistic loss, a wider pair), each rung trained once per seed: read each rung's Frechet distance in the fixed features (lower is better, against its floor) and its change from the rung above, seed by seed; a trick matters where that change stays clear of its spread.",
    ),
    (
        "diffusion/hyperparams",
        "Two schedule and learning-rate settings trained with the same budget: the forward process under each schedule, loss curves (not directly comparable across schedules), samples, and how often a classifier recognises them.",
    ),
    (
        "diffusion/one-factor",
        "A baseline and variants that each change one factor (learning rate, beta schedule, number of steps T), each trained once per seed with the same budget: the first figure shows every seed's recognition rate per variant, the second each variant's difference from the baseline seed by seed. A factor matters where that difference's whisker stays clear of zero; the loss curves are not comparable across schedules.",
    ),
    (
        "diffusion/class-samples",
        "One sample of every class from a class-conditional U-Net with guidance, judged by a CNN trained on the real images; the step trade-off shows what fewer DDIM steps cost in time and recognition.",
    ),
    (
        "diffusion/class-samples-cifar10",
        "The same assignment on the course's data, CIFAR-10: one sample of every class in the top row of the grid, and the share of samples a CNN recognises as their class. Read that share against the judge's own accuracy on real test images (its ceiling, in the notes) and chance (10%); colour and rough layout come before recognisable objects.",
    ),
    (
        "diffusion/guidance",
        "One trained CIFAR-10 model sampled from the same noise at guidance scales 0 to 5, each four ways: x_0 clipped statically, dynamic thresholding, CFG rescale, guidance only in the middle of the process. Read recognition (up is better, against the judge's ceiling) beside the saturation and clipping figures (closer to the real images' is better): high guidance with static clipping buys recognition with burnt colour.",
    ),
    (
        "diffusion/flow-matching",
        "The same class-conditional U-Net trained two ways with the same data and budget, to predict the noise (DDPM) and the velocity along a straight path from image to noise (rectified flow), once per seed; each is sampled with 1 to 50 network evaluations (DDIM for DDPM, Euler and Heun for the flow). Read recognition (up is better) and the Frechet distance (down is better, against its floor) at equal evaluations: the method whose curve rises first gets there cheaper; a gap counts only beyond the spread over seeds in the table.",
    ),
    (
        "diffusion/partial-denoise",
        "Real images noised to a given step and denoised back: the PSNR by step shows how far the model can undo noise; the pictures show where detail starts to be invented rather than restored.",
    ),
];

/// What the report says `experiment`'s figures show and what to look for, if it has a
/// guide (every experiment of the course should: the umbrella's tests check it).
pub fn guide(experiment: &str) -> Option<&'static str> {
    GUIDES
        .iter()
        .find(|(name, _)| *name == experiment)
        .map(|(_, text)| *text)
}

/// The headline of an experiment in the summary table: `{key}` is replaced by the figure of
/// that name, `{key:%}` by it as a percentage, `{key:M}` in millions, `{key:±}` by its mean
/// over seeds and spread (`key_std`), or "(one seed: no spread)" when the run's `seeds`
/// figure is 1. An experiment not listed gets the first of [`HEADLINES`] it reports.
const HEADLINE_TEMPLATES: &[(&str, &str)] = &[
    (
        "mlp/perceptron",
        "separable {separable_accuracy:%}, XOR {xor_accuracy:%} (2-layer MLP on XOR {xor_mlp_accuracy:%})",
    ),
    (
        "mlp/activations",
        "dead units: ReLU {dead_fraction_relu:%}, Leaky ReLU {dead_fraction_leaky_relu:%}",
    ),
    (
        "cnn/conv-ops",
        "max error vs burn {max_abs_error} over {combinations_checked} settings",
    ),
    (
        "cnn/augment-gallery",
        "{images} images x {transforms} transforms",
    ),
    (
        "cnn/augment-ablation",
        "gain of all augmentations (points): CIFAR-10 {cifar-10_all_gain:±}",
    ),
    (
        "transfer/architectures",
        "parameters: VGG-19 {vgg19_params:M}, ResNet-18 {resnet18_params:M}, GoogLeNet {googlenetinceptionv1_params:M}",
    ),
    (
        "transfer/cifar-architectures",
        "test accuracy: VGG-16-BN {vgg16-bn_test_accuracy:%}, ResNet-20 {resnet-20_test_accuracy:%}, GoogLeNet {googlenet_test_accuracy:%}",
    ),
    (
        "transfer/resnet-depth",
        "final training loss, deepest plain minus shallowest (same seed): {degradation_plain:±}; at depth 20 plain {plain-20_train_loss}, residual {resnet-20_train_loss}",
    ),
    (
        "transfer/vgg19-cifar10",
        "fine-tuned {fine_tune_test_accuracy:%} vs from scratch {scratch_test_accuracy:%}",
    ),
    (
        "transfer/label-efficiency",
        "transfer gain with 200 labels (points): CIFAR halves {cifar-halves_200_gain:±}",
    ),
    (
        "gans/mlp-gan",
        "Frechet {frechet_fixed} (floor {frechet_fixed_floor}, noise {frechet_noise_baseline}); called cat {cat_share:%} (real faces {cat_share_real:%})",
    ),
    (
        "gans/dcgan",
        "Frechet {frechet_fixed} (floor {frechet_fixed_floor}, noise {frechet_noise_baseline}); called cat {cat_share:%} (real faces {cat_share_real:%})",
    ),
    (
        "gans/what-mattered",
        "Frechet (fixed): burn's defaults {burn-defaults_frechet_fixed:±}, every trick {wider_frechet_fixed:±} (floor {frechet_fixed_floor})",
    ),
    (
        "diffusion/guidance",
        "at s=3 recognised: static {recognised_s3_static:%}, dynamic {recognised_s3_dynamic:%}, rescale {recognised_s3_rescale:%}, interval {recognised_s3_interval:%}; saturation static {mean_saturation_s3_static} (real {mean_saturation_real})",
    ),
    (
        "diffusion/flow-matching",
        "recognised at 8 evaluations: flow (Euler) {euler_nfe8_recognition_rate:%}, DDIM {ddim_nfe8_recognition_rate:%}; at 50: DDIM {ddim_nfe50_recognition_rate:%}",
    ),
    (
        "diffusion/one-factor",
        "recognised: baseline {variant0_recognition_rate:%}, lr {variant1_recognition_rate:%}, cosine {variant2_recognition_rate:%}, T 250 {variant3_recognition_rate:%}",
    ),
    (
        "autoencoders/denoising",
        "PSNR {noisy_psnr_db} -> {denoised_psnr_db} dB",
    ),
    (
        "autoencoders/vae-variants",
        "-ELBO (nats): standard {standard_test_neg_elbo_nats}, both nested {both_nested_test_neg_elbo_nats}",
    ),
];

/// The figure shown in the summary table, by priority, for experiments without a template.
const HEADLINES: &[(&str, &str)] = &[
    ("class_recognition_rate", "samples recognised"),
    ("test_accuracy", "test accuracy"),
    ("cnn_test_accuracy", "CNN test accuracy"),
    ("fine_tune_test_accuracy", "fine-tuned test accuracy"),
    ("test_roc_auc", "test ROC-AUC"),
    ("frechet_final", "Frechet distance"),
    ("test_mse", "test MSE"),
    ("test_neg_elbo", "test -ELBO"),
    ("psnr_denoised_t50", "PSNR denoised t=50"),
    ("final_loss_a", "final loss (a)"),
];

struct Found {
    name: String,
    dir: Option<PathBuf>,
    summary: Option<Value>,
    error: Option<String>,
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Each experiment under `runs` (topic/name folders): its newest finished run, else its
/// newest run with the reason it failed.
fn find_runs(runs: &Path) -> Vec<Found> {
    let mut found = Vec::new();
    // The curriculum's order and recorded errors, when it ran.
    let entries: Vec<Value> = read_json(&runs.join("curriculum.json"))
        .and_then(|s| s["experiments"].as_array().cloned())
        .unwrap_or_default();
    let mut names: Vec<String> = entries
        .iter()
        .filter_map(|e| e["name"].as_str().map(str::to_string))
        .collect();
    for (topic, ..) in LESSONS {
        let mut dirs: Vec<String> = std::fs::read_dir(runs.join(topic))
            .map(|e| {
                e.flatten()
                    .filter(|e| e.path().is_dir())
                    .map(|e| format!("{topic}/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        dirs.sort();
        names.extend(
            dirs.into_iter()
                .filter(|d| !names.contains(d))
                .collect::<Vec<_>>(),
        );
    }
    let week = |name: &str| {
        LESSONS
            .iter()
            .position(|l| name.split('/').next() == Some(l.0))
            .unwrap_or(LESSONS.len())
    };
    names.sort_by_key(|n| week(n)); // stable: curriculum order within a week
    for name in names {
        let dirs = crate::run::finished_runs(runs, &name);
        if let Some(dir) = dirs.last() {
            found.push(Found {
                name,
                summary: read_json(&dir.join("summary.json")),
                dir: Some(dir.clone()),
                error: None,
            });
            continue;
        }
        let mut all: Vec<PathBuf> = std::fs::read_dir(runs.join(&name))
            .map(|e| e.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        all.sort();
        let recorded = entries
            .iter()
            .find(|e| e["name"] == name.as_str())
            .and_then(|e| e["error"].as_str().map(str::to_string));
        let dir = all.pop();
        let error = dir
            .as_ref()
            .and_then(|d| std::fs::read_to_string(d.join("error.txt")).ok())
            .or(recorded);
        if dir.is_some() || error.is_some() {
            found.push(Found {
                name,
                dir,
                summary: None,
                error: Some(error.unwrap_or_else(|| "did not finish".into())),
            });
        }
    }
    found
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
        format!("{v:.3e}")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        // Four significant decimals, without the zeros that would only pad them (-4.6, not
        // -4.6000).
        let text = format!("{v:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The summary table's headline of a run: its experiment's template filled in (`None`
/// when a figure is missing), else the first figure of [`HEADLINES`] it has. A run on
/// synthetic stand-ins says first that it is not a result.
fn headline(summary: &Value) -> String {
    let metrics = &summary["metrics"];
    let experiment = summary["experiment"].as_str().unwrap_or("");
    let text = HEADLINE_TEMPLATES
        .iter()
        .find(|(name, _)| *name == experiment)
        .and_then(|(_, template)| fill_template(template, metrics))
        .or_else(|| {
            HEADLINES.iter().find_map(|(key, label)| {
                metrics[*key]
                    .as_f64()
                    .map(|v| format!("{label} {}", number(v)))
            })
        })
        .unwrap_or_default();
    if summary["data"]["stand_in"].as_bool().unwrap_or(false) {
        format!("not a result (synthetic stand-in data; checks the pipeline only): {text}")
    } else {
        text
    }
}

/// `template` with each `{key}` (or `{key:%}`, `{key:M}`, `{key:±}`) replaced by that figure of
/// `metrics`; `None` when one is missing.
fn fill_template(template: &str, metrics: &Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = start + rest[start..].find('}')?;
        out.push_str(&rest[..start]);
        let field = &rest[start + 1..end];
        let (key, format) = field.split_once(':').unwrap_or((field, ""));
        let value = metrics[key].as_f64()?;
        match format {
            "%" => write!(out, "{:.1}%", 100.0 * value),
            "M" => write!(out, "{:.2}M", value / 1e6),
            // A standard deviation of one value is 0 by convention, not a measured spread.
            "±" if metrics["seeds"].as_f64() == Some(1.0) => {
                write!(out, "{} (one seed: no spread)", number(value))
            }
            "±" => {
                let std = metrics[format!("{key}_std")].as_f64()?;
                write!(out, "{} ± {}", number(value), number(std))
            }
            _ => write!(out, "{}", number(value)),
        }
        .ok()?;
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `; on AMD EPYC (avx2 fma), 2 threads`, or nothing for a summary without its host.
fn host_label(host: &Value) -> String {
    serde_json::from_value::<crate::host::Host>(host.clone())
        .ok()
        .filter(|h| !h.cpu.is_empty())
        .map(|h| format!("; on {}", escape(&h.label())))
        .unwrap_or_default()
}

fn anchor(name: &str) -> String {
    name.replace('/', "-")
}

/// Copies the run's pictures into `img/` beside the page; returns their relative paths.
fn copy_images(found: &Found, summary: &Value, img: &Path) -> Result<Vec<String>> {
    let Some(dir) = &found.dir else {
        return Ok(vec![]);
    };
    let mut out = Vec::new();
    // The experiment's own pictures first, then those of its stages (`stage/file.png`).
    let mut files: Vec<&str> = summary["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    files.sort_by_key(|f| f.contains('/'));
    for file in files {
        if !file.ends_with(".png") {
            continue;
        }
        let source = dir.join(file);
        if !source.exists() {
            continue;
        }
        let target_name = format!("{}-{}", anchor(&found.name), file.replace('/', "-"));
        let target = img.join(&target_name);
        std::fs::copy(&source, &target).map_err(|e| Error::io(&target, e))?;
        out.push(format!("img/{target_name}"));
    }
    Ok(out)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}\
th{background:#f3f3f3}.badge{display:inline-block;border-radius:4px;padding:1px 7px;margin-right:4px;font-size:12px;color:#fff;background:#555}\
.guide{color:#333;max-width:60em}.real{background:#2a7d2a}.synthetic{background:#c0392b}.failed{background:#c0392b}.ok{background:#2a7d2a}\
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:8px}.figs img{max-width:100%;border:1px solid #ddd}.lesson{color:#444}details{margin:.5em 0}";

/// After loading, a picture that did not load is replaced by a line naming it, and the
/// body records how many loaded (`data-loaded-images`, `data-broken-images`; the browser
/// test reads them).
const CHECK_IMAGES: &str = "<script>window.addEventListener('load',function(){var ok=0,bad=0;\
Array.from(document.images).forEach(function(img){if(img.complete&&img.naturalWidth>0){ok++;}else{bad++;\
var p=document.createElement('p');p.className='missing';p.textContent='missing picture: '+img.getAttribute('src');img.replaceWith(p);}});\
document.body.dataset.loadedImages=ok;document.body.dataset.brokenImages=bad;});</script>";

/// Writes `<runs>/report/index.html` (and `img/`); returns the page's path.
pub fn write(runs: &Path) -> Result<PathBuf> {
    let report = runs.join("report");
    let img = report.join("img");
    if img.exists() {
        std::fs::remove_dir_all(&img).map_err(|e| Error::io(&img, e))?;
    }
    std::fs::create_dir_all(&img).map_err(|e| Error::io(&img, e))?;
    let found = find_runs(runs);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Next Gen Visual Models: course report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        html,
        "<h1>Next Gen Visual Models: course report</h1><p>{} experiments from <code>{}</code>.</p>",
        found.len(),
        escape(&runs.display().to_string())
    );
    html.push_str("<table id=\"summary\"><thead><tr><th>experiment</th><th>status</th><th>headline</th><th>data</th><th>backend</th><th>preset</th><th>wall</th></tr></thead><tbody>");
    for f in &found {
        let (status, class) = if f.summary.is_some() {
            ("ok", "ok")
        } else {
            ("failed", "failed")
        };
        let s = f.summary.clone().unwrap_or(Value::Null);
        let synthetic = s["data"]["synthetic"].as_bool().unwrap_or(false);
        let _ = write!(
            html,
            "<tr><td><a href=\"#{}\">{}</a></td><td><span class=\"badge {class}\">{status}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            anchor(&f.name),
            escape(&f.name),
            escape(&if f.summary.is_some() {
                headline(&s)
            } else {
                f.error.clone().unwrap_or_default()
            }),
            if f.summary.is_none() {
                String::new()
            } else if synthetic {
                "<span class=\"badge synthetic\">synthetic</span>".into()
            } else {
                format!(
                    "<span class=\"badge real\">real</span> {}",
                    escape(s["data"]["name"].as_str().unwrap_or(""))
                )
            },
            escape(s["backend"].as_str().unwrap_or("")),
            escape(s["preset"].as_str().unwrap_or("")),
            s["wall_seconds"]
                .as_f64()
                .map(|w| format!("{w:.1} s"))
                .unwrap_or_default(),
        );
    }
    html.push_str("</tbody></table>");
    for (topic, week, title, lesson) in LESSONS {
        let of_week: Vec<&Found> = found
            .iter()
            .filter(|f| f.name.split('/').next() == Some(*topic))
            .collect();
        if of_week.is_empty() {
            continue;
        }
        let _ = write!(
            html,
            "<h2>Week {week}: {}</h2><p class=\"lesson\">{}</p>",
            escape(title),
            escape(lesson)
        );
        for f in of_week {
            let _ = write!(
                html,
                "<section id=\"{}\"><h3>{}</h3>",
                anchor(&f.name),
                escape(&f.name)
            );
            let Some(s) = &f.summary else {
                let _ = write!(
                    html,
                    "<p><span class=\"badge failed\">failed</span> {}</p></section>",
                    escape(f.error.as_deref().unwrap_or(""))
                );
                continue;
            };
            if let Some(guide) = guide(&f.name) {
                let _ = write!(html, "<p class=\"guide\">{}</p>", escape(guide));
            }
            let synthetic = s["data"]["synthetic"].as_bool().unwrap_or(false);
            let _ = write!(
                html,
                "<p><span class=\"badge {}\">{} data: {}</span><span class=\"badge\">{}</span><span class=\"badge\">{} preset</span><span class=\"badge\">{:.1} s</span> {} train / {} test images{}</p>",
                if synthetic { "synthetic" } else { "real" },
                if synthetic { "synthetic" } else { "real" },
                escape(s["data"]["name"].as_str().unwrap_or("")),
                escape(s["backend"].as_str().unwrap_or("")),
                escape(s["preset"].as_str().unwrap_or("")),
                s["wall_seconds"].as_f64().unwrap_or(0.0),
                s["data"]["train"].as_u64().unwrap_or(0),
                s["data"]["test"].as_u64().unwrap_or(0),
                host_label(&s["host"]),
            );
            let notes: Vec<&str> = s["notes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !notes.is_empty() {
                html.push_str("<ul>");
                for note in notes {
                    let _ = write!(html, "<li>{}</li>", escape(note));
                }
                html.push_str("</ul>");
            }
            let metrics = s["metrics"].as_object().cloned().unwrap_or_default();
            let _ = write!(
                html,
                "<details><summary>{} figures</summary><table>",
                metrics.len()
            );
            for (key, value) in &metrics {
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(key),
                    value.as_f64().map(number).unwrap_or_default()
                );
            }
            html.push_str("</table></details><div class=\"figs\">");
            for image in copy_images(f, s, &img)? {
                let _ = write!(
                    html,
                    "<img src=\"{image}\" alt=\"{image}\" loading=\"eager\">"
                );
            }
            html.push_str("</div></section>");
        }
    }
    html.push_str(CHECK_IMAGES);
    html.push_str("</body></html>\n");
    let page = report.join("index.html");
    crate::train::checkpoint::write_atomic(&page, html.as_bytes())?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::{headline, number};
    use serde_json::json;

    #[test]
    fn numbers_keep_four_decimals_but_not_padding_zeros() {
        assert_eq!(number(-4.6), "-4.6");
        assert_eq!(number(0.8488), "0.8488");
        assert_eq!(number(17.08741), "17.0874");
        assert_eq!(number(2.00001), "2");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2e-4), "2.000e-4");
    }

    #[test]
    fn every_experiment_without_a_usual_figure_gets_its_template() {
        let summary = json!({
            "experiment": "mlp/activations",
            "data": {"synthetic": false},
            "metrics": {"dead_fraction_relu": 0.4125, "dead_fraction_leaky_relu": 0.0},
        });
        assert_eq!(
            headline(&summary),
            "dead units: ReLU 41.2%, Leaky ReLU 0.0%"
        );
        let vgg = json!({
            "experiment": "transfer/vgg19-cifar10",
            "data": {"synthetic": false},
            "metrics": {"fine_tune_test_accuracy": 0.33, "scratch_test_accuracy": 0.346},
        });
        assert_eq!(headline(&vgg), "fine-tuned 33.0% vs from scratch 34.6%");
    }

    /// A quick run with one seed has a standard deviation of 0 that nobody measured: its
    /// headline says so instead of printing "± 0".
    #[test]
    fn a_spread_over_one_seed_is_not_printed_as_zero() {
        let run = |gain: f64, std: f64, seeds: f64| {
            json!({
                "experiment": "transfer/label-efficiency",
                "data": {"synthetic": false},
                "metrics": {"cifar-halves_200_gain": gain, "cifar-halves_200_gain_std": std, "seeds": seeds},
            })
        };
        assert_eq!(
            headline(&run(2.2, 1.4, 3.0)),
            "transfer gain with 200 labels (points): CIFAR halves 2.2 ± 1.4"
        );
        assert_eq!(
            headline(&run(17.0874, 0.0, 1.0)),
            "transfer gain with 200 labels (points): CIFAR halves 17.0874 (one seed: no spread)"
        );
    }

    #[test]
    fn a_stand_in_run_says_it_is_not_a_result_and_a_designed_one_does_not() {
        let summary = json!({
            "experiment": "cnn/cifar100",
            "data": {"synthetic": true, "stand_in": true},
            "metrics": {"test_accuracy": 1.0},
        });
        let text = headline(&summary);
        assert!(text.starts_with("not a result"), "{text}");
        assert!(text.ends_with("test accuracy 1"), "{text}");
        let points = json!({
            "experiment": "mlp/perceptron",
            "data": {"synthetic": true},
            "metrics": {"separable_accuracy": 1.0, "xor_accuracy": 0.5, "xor_mlp_accuracy": 1.0},
        });
        assert_eq!(
            headline(&points),
            "separable 100.0%, XOR 50.0% (2-layer MLP on XOR 100.0%)"
        );
    }
}
