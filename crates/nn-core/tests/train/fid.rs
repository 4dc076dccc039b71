//! The FID's parts: the Newton-Schulz Frechet distance against the Jacobi one, and
//! pytorch-fid's InceptionV3 loaded from a checkpoint written in pytorch-fid's key layout
//! (names and shapes listed here from torchvision's `inception.py`, which pytorch-fid
//! patches), checked end to end through the features it then computes.

use nn_core::data::ImageDataset;
use nn_core::data::formats::torch_files::{Entry, Values, write_pth};
use nn_core::data::weights::find_weights;
use nn_core::metrics::fid::FidNetwork;
use nn_core::metrics::frechet::{Gaussian, frechet_distance, frechet_distance_large};
use rand::{RngExt, SeedableRng};

fn random_gaussian(n: usize, d: usize, seed: u64, shift: f32) -> Gaussian {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let features: Vec<f32> = (0..n * d)
        .map(|i| rng.random_range(-1.0f32..1.0) * (1.0 + (i % d) as f32 * 0.1) + shift)
        .collect();
    Gaussian::fit(&features, d)
}

#[test]
fn newton_schulz_frechet_equals_the_jacobi_one() {
    // Full-rank covariances (n > d), then rank-deficient ones (n < d), as the FID has when
    // fewer images than 2,048 are compared.
    for (n, d) in [(80, 24), (10, 24), (200, 64)] {
        let a = random_gaussian(n, d, 1, 0.0);
        let b = random_gaussian(n, d, 2, 0.3);
        let exact = frechet_distance(&a, &b);
        let fast = frechet_distance_large(&a, &b);
        assert!(
            (exact - fast).abs() <= 1e-6 * exact.abs().max(1.0),
            "n {n}, d {d}: Jacobi {exact}, Newton-Schulz {fast}"
        );
        assert!(frechet_distance_large(&a, &a).abs() < 1e-6 * exact.abs().max(1.0));
    }
}

/// One `BasicConv2d` of pytorch-fid's InceptionV3: key prefix, channels in and out, kernel.
type Conv = (String, usize, usize, [usize; 2]);

/// Every convolution of the network, in pytorch-fid's key layout.
fn layout() -> Vec<Conv> {
    let mut convs: Vec<Conv> = Vec::new();
    let mut add = |prefix: &str, c_in: usize, c_out: usize, k: [usize; 2]| {
        convs.push((prefix.to_string(), c_in, c_out, k));
    };
    add("Conv2d_1a_3x3", 3, 32, [3, 3]);
    add("Conv2d_2a_3x3", 32, 32, [3, 3]);
    add("Conv2d_2b_3x3", 32, 64, [3, 3]);
    add("Conv2d_3b_1x1", 64, 80, [1, 1]);
    add("Conv2d_4a_3x3", 80, 192, [3, 3]);
    for (block, c_in, pool) in [
        ("Mixed_5b", 192, 32),
        ("Mixed_5c", 256, 64),
        ("Mixed_5d", 288, 64),
    ] {
        let p = |name: &str| format!("{block}.{name}");
        add(&p("branch1x1"), c_in, 64, [1, 1]);
        add(&p("branch5x5_1"), c_in, 48, [1, 1]);
        add(&p("branch5x5_2"), 48, 64, [5, 5]);
        add(&p("branch3x3dbl_1"), c_in, 64, [1, 1]);
        add(&p("branch3x3dbl_2"), 64, 96, [3, 3]);
        add(&p("branch3x3dbl_3"), 96, 96, [3, 3]);
        add(&p("branch_pool"), c_in, pool, [1, 1]);
    }
    add("Mixed_6a.branch3x3", 288, 384, [3, 3]);
    add("Mixed_6a.branch3x3dbl_1", 288, 64, [1, 1]);
    add("Mixed_6a.branch3x3dbl_2", 64, 96, [3, 3]);
    add("Mixed_6a.branch3x3dbl_3", 96, 96, [3, 3]);
    for (block, c7) in [
        ("Mixed_6b", 128),
        ("Mixed_6c", 160),
        ("Mixed_6d", 160),
        ("Mixed_6e", 192),
    ] {
        let p = |name: &str| format!("{block}.{name}");
        add(&p("branch1x1"), 768, 192, [1, 1]);
        add(&p("branch7x7_1"), 768, c7, [1, 1]);
        add(&p("branch7x7_2"), c7, c7, [1, 7]);
        add(&p("branch7x7_3"), c7, 192, [7, 1]);
        add(&p("branch7x7dbl_1"), 768, c7, [1, 1]);
        add(&p("branch7x7dbl_2"), c7, c7, [7, 1]);
        add(&p("branch7x7dbl_3"), c7, c7, [1, 7]);
        add(&p("branch7x7dbl_4"), c7, c7, [7, 1]);
        add(&p("branch7x7dbl_5"), c7, 192, [1, 7]);
        add(&p("branch_pool"), 768, 192, [1, 1]);
    }
    add("Mixed_7a.branch3x3_1", 768, 192, [1, 1]);
    add("Mixed_7a.branch3x3_2", 192, 320, [3, 3]);
    add("Mixed_7a.branch7x7x3_1", 768, 192, [1, 1]);
    add("Mixed_7a.branch7x7x3_2", 192, 192, [1, 7]);
    add("Mixed_7a.branch7x7x3_3", 192, 192, [7, 1]);
    add("Mixed_7a.branch7x7x3_4", 192, 192, [3, 3]);
    for (block, c_in) in [("Mixed_7b", 1280), ("Mixed_7c", 2048)] {
        let p = |name: &str| format!("{block}.{name}");
        add(&p("branch1x1"), c_in, 320, [1, 1]);
        add(&p("branch3x3_1"), c_in, 384, [1, 1]);
        add(&p("branch3x3_2a"), 384, 384, [1, 3]);
        add(&p("branch3x3_2b"), 384, 384, [3, 1]);
        add(&p("branch3x3dbl_1"), c_in, 448, [1, 1]);
        add(&p("branch3x3dbl_2"), 448, 384, [3, 3]);
        add(&p("branch3x3dbl_3a"), 384, 384, [1, 3]);
        add(&p("branch3x3dbl_3b"), 384, 384, [3, 1]);
        add(&p("branch_pool"), c_in, 192, [1, 1]);
    }
    convs
}

/// The branches that end `Mixed_7c`, in pytorch-fid's concatenation order.
const LAST: [&str; 6] = [
    "branch1x1",
    "branch3x3_2a",
    "branch3x3_2b",
    "branch3x3dbl_3a",
    "branch3x3dbl_3b",
    "branch_pool",
];

/// The value the fixture gives channel `j` of the final features: each last convolution
/// of `Mixed_7c` gets batch-norm scale 0 and shift `beta(j)`, so its output is
/// `relu(beta(j))` whatever the input, and the average pool keeps it.
fn beta(j: usize) -> f32 {
    0.001 * j as f32 - 0.2
}

/// A checkpoint as `torch.save(model.state_dict())` writes pytorch-fid's network.
fn fixture() -> Vec<Entry> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut entries = Vec::new();
    let mut channel = 0;
    for (prefix, c_in, c_out, [kh, kw]) in layout() {
        let n = c_out * c_in * kh * kw;
        let bound = (1.0 / (c_in * kh * kw) as f32).sqrt();
        let weight: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..bound)).collect();
        entries.push(Entry::f32(
            &format!("{prefix}.conv.weight"),
            &[c_out, c_in, kh, kw],
            weight,
        ));
        let last = prefix
            .strip_prefix("Mixed_7c.")
            .is_some_and(|b| LAST.contains(&b));
        let (gamma, shift): (Vec<f32>, Vec<f32>) = if last {
            // Filled in pytorch-fid's concatenation order, as `LAST` lists the branches.
            let order = LAST.iter().position(|b| prefix.ends_with(b)).unwrap();
            let start: usize = LAST[..order]
                .iter()
                .map(|b| {
                    if *b == "branch1x1" {
                        320
                    } else if *b == "branch_pool" {
                        192
                    } else {
                        384
                    }
                })
                .sum();
            (
                (0..c_out).map(|_| 0.0).collect(),
                (0..c_out).map(|j| beta(start + j)).collect(),
            )
        } else {
            (vec![1.0; c_out], vec![0.0; c_out])
        };
        if last {
            channel += c_out;
        }
        let bn = format!("{prefix}.bn");
        entries.push(Entry::f32(&format!("{bn}.weight"), &[c_out], gamma));
        entries.push(Entry::f32(&format!("{bn}.bias"), &[c_out], shift));
        entries.push(Entry::f32(
            &format!("{bn}.running_mean"),
            &[c_out],
            vec![0.0; c_out],
        ));
        entries.push(Entry::f32(
            &format!("{bn}.running_var"),
            &[c_out],
            vec![1.0; c_out],
        ));
        entries.push(Entry {
            key: format!("{bn}.num_batches_tracked"),
            shape: vec![],
            values: Values::I64(vec![0]),
        });
    }
    assert_eq!(channel, 2048);
    entries.push(Entry::f32(
        "fc.weight",
        &[1008, 2048],
        vec![0.0; 1008 * 2048],
    ));
    entries.push(Entry::f32("fc.bias", &[1008], vec![0.0; 1008]));
    entries
}

#[test]
fn inception_loads_pytorch_fids_layout_and_computes_its_features() {
    let data_dir = tempfile::tempdir().unwrap();
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    assert!(
        FidNetwork::load(data_dir.path(), &device)
            .unwrap()
            .is_none(),
        "no weights file: no network"
    );
    let spec = find_weights("fid-inception").unwrap();
    let path = spec.path(data_dir.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_pth(&path, &fixture()).unwrap();
    // The fixture's sha256 is not the published file's: the catalog refuses it.
    let err = FidNetwork::load(data_dir.path(), &device)
        .err()
        .expect("a checksum error");
    assert!(err.to_string().contains("6726825d"), "{err}");

    // Loaded by the same path the catalog's file takes, past the checksum.
    let mut model = nn_core::models::inception_fid::InceptionFid::new(&device);
    let loaded = nn_core::models::torch_import::load_pytorch(
        &mut model,
        &path,
        &nn_core::models::inception_fid::key_rules(),
    )
    .unwrap();
    // 94 convolutions, each with a weight and four batch-norm tensors; the classifier and
    // the batch counters have no place in the model.
    assert_eq!(loaded.applied, 94 * 5, "unused: {:?}", loaded.unused);
    assert_eq!(loaded.unused.len(), 94 + 2, "{:?}", loaded.unused);
    assert!(
        loaded.unused.iter().any(|k| k.starts_with("fc.")),
        "{:?}",
        loaded.unused
    );

    let images = ImageDataset {
        pixels: (0..2 * 28 * 28).map(|i| (i * 37 % 256) as u8).collect(),
        labels: None,
        shape: nn_core::data::ImageShape::new(1, 28, 28),
        class_names: vec![],
        source: "fixture".into(),
    };
    let features = FidNetwork::from_model(model, &device).features(&images);
    assert_eq!(features.len(), 2 * 2048);
    for (i, value) in features.iter().enumerate() {
        let expected = beta(i % 2048).max(0.0);
        assert!(
            (value - expected).abs() < 1e-5,
            "feature {} of image {}: {value}, expected {expected}",
            i % 2048,
            i / 2048
        );
    }
}
