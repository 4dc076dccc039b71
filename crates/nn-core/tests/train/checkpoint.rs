//! Checkpoints: round trip of modules and optimiser state, corruption detection, fallback.

use burn::nn::LinearConfig;
use burn::optim::GradientsParams;
use burn::prelude::*;
use nn_core::train::OptimizerKind;
use nn_core::train::checkpoint::{Checkpoint, list, write_atomic};

#[test]
fn module_and_optimizer_round_trip_exactly() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex)
        .unwrap()
        .autodiff();
    device.seed(1);
    let mut model = LinearConfig::new(4, 3).init(&device);
    let mut optim = OptimizerKind::Adam.init();
    let x = Tensor::<2>::random([5, 4], burn::tensor::Distribution::Default, &device);
    let loss = model.forward(x.clone()).powf_scalar(2.0).mean();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    model = optim.step(1e-2, model, grads);

    let mut checkpoint = Checkpoint::new(7);
    checkpoint.put_module("model", &model).unwrap();
    checkpoint.put_optimizer("optim", &optim).unwrap();
    checkpoint.extra = serde_json::json!({"note": "x"});
    let dir = tempfile::tempdir().unwrap();
    let path = checkpoint.save(dir.path(), 2).unwrap();
    let back = Checkpoint::load(&path).unwrap();
    assert_eq!((back.epoch, back.extra["note"].as_str()), (7, Some("x")));

    let fresh = LinearConfig::new(4, 3).init(&device);
    let restored = back.load_module("model", fresh).unwrap();
    let same = |a: Tensor<2>, b: Tensor<2>| {
        a.into_data().try_to_vec::<f32>().unwrap() == b.into_data().try_to_vec::<f32>().unwrap()
    };
    assert!(same(model.weight.val(), restored.weight.val()));
    // The restored optimiser takes the same next step as the original.
    let mut optim_back = back
        .load_optimizer("optim", OptimizerKind::Adam.init())
        .unwrap();
    let step = |m: burn::nn::Linear, o: &mut burn::optim::ModuleOptimizer| {
        let loss = m.forward(x.clone()).powf_scalar(2.0).mean();
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        o.step(1e-2, m, grads)
    };
    let next_a = step(model.clone(), &mut optim);
    let next_b = step(restored, &mut optim_back);
    assert!(
        same(next_a.weight.val(), next_b.weight.val()),
        "Adam moments restored"
    );
}

#[test]
fn damaged_checkpoints_are_detected_and_the_previous_one_used() {
    let dir = tempfile::tempdir().unwrap();
    for epoch in 1..=3 {
        let mut c = Checkpoint::new(epoch);
        c.put_bytes("model", vec![epoch as u8; 1000]);
        c.save(dir.path(), 3).unwrap();
    }
    assert_eq!(list(dir.path()).len(), 3);
    // Flip a payload byte of the newest: checksum mismatch.
    let newest = dir.path().join("epoch-0003.ckpt");
    let mut bytes = std::fs::read(&newest).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&newest, &bytes).unwrap();
    let err = Checkpoint::load(&newest).unwrap_err().to_string();
    assert!(
        err.contains("checksum") && err.contains("epoch-0003"),
        "{err}"
    );
    let (good, path) = Checkpoint::latest(dir.path()).unwrap();
    assert_eq!((good.epoch, good.bytes("model").unwrap()[0]), (2, 2));
    assert!(path.ends_with("epoch-0002.ckpt"));
    // Truncate the second: detected too, epoch 1 is used.
    let second = dir.path().join("epoch-0002.ckpt");
    let bytes = std::fs::read(&second).unwrap();
    std::fs::write(&second, &bytes[..bytes.len() / 2]).unwrap();
    assert!(
        Checkpoint::load(&second)
            .unwrap_err()
            .to_string()
            .contains("truncated")
    );
    assert_eq!(Checkpoint::latest(dir.path()).unwrap().0.epoch, 1);
    // Garbage is not a checkpoint.
    std::fs::write(dir.path().join("epoch-0009.ckpt"), b"hello").unwrap();
    assert_eq!(Checkpoint::latest(dir.path()).unwrap().0.epoch, 1);
}

#[test]
fn keeps_the_newest_files_and_writes_atomically() {
    let dir = tempfile::tempdir().unwrap();
    for epoch in 0..5 {
        Checkpoint::new(epoch).save(dir.path(), 2).unwrap();
    }
    let epochs: Vec<usize> = list(dir.path()).into_iter().map(|(e, _)| e).collect();
    assert_eq!(epochs, vec![3, 4]);
    let target = dir.path().join("file.json");
    write_atomic(&target, b"one").unwrap();
    write_atomic(&target, b"two").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"two");
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
}

/// Found by reading the container code for the fuzz target: part lengths that wrap around
/// to the payload's length (here 0, with the sha256 of nothing) must be an error, not an
/// out-of-bounds slice.
#[test]
fn part_lengths_that_overflow_are_a_damaged_header() {
    let header = format!(
        r#"{{"epoch":1,"parts":[["a",{}],["b",1]],"extra":null,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}"#,
        usize::MAX
    );
    let mut bytes = b"NGVMCKP1".to_vec();
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    let Err(err) = Checkpoint::from_bytes(&bytes, std::path::Path::new("x.ckpt")) else {
        panic!("must be refused");
    };
    let err = err.to_string();
    assert!(err.contains("overflow"), "{err}");
}
