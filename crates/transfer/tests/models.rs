//! Parameter counts against the published ones, and forward shapes.

use burn::module::Module;
use burn::prelude::*;
use nn_core::train::{ImageClassifier, learnable_parameter_count as count};
use transfer::models::inception::GoogLeNetConfig;
use transfer::models::resnet::ResNetConfig;
use transfer::models::vgg::VggConfig;

fn device() -> Device {
    nn_core::backend::device(nn_core::BackendKind::Flex).unwrap()
}

#[test]
fn parameter_counts_match_torchvision() {
    let device = device();
    // torchvision's published counts at 1000 classes (batch-norm running statistics are
    // buffers, not parameters; burn's num_params counts them too).
    let resnet18 = ResNetConfig::new(18).init(&device).unwrap();
    assert_eq!(count(&resnet18), 11_689_512);
    assert_eq!(
        resnet18.num_params(),
        11_689_512 + 2 * 4_800,
        "4,800 batch-norm channels"
    );
    assert_eq!(
        count(&ResNetConfig::new(34).init(&device).unwrap()),
        21_797_672
    );
    assert_eq!(count(&GoogLeNetConfig::new().init(&device)), 6_624_904);
    assert_eq!(
        count(&VggConfig::new(11).init(&device).unwrap()),
        132_863_336
    );
    let vgg19 = VggConfig::new(19).init(&device).unwrap();
    assert_eq!(
        (count(&vgg19), vgg19.num_params()),
        (143_667_240, 143_667_240)
    );
    assert_eq!(
        count(
            &VggConfig::new(19)
                .with_batch_norm(true)
                .init(&device)
                .unwrap()
        ),
        143_678_248
    );
}

#[test]
fn forward_shapes_at_32x32() {
    let device = device();
    let x = Tensor::<4>::zeros([2, 3, 32, 32], &device);
    let vgg = VggConfig::new(16)
        .with_classes(10)
        .with_width_divisor(8)
        .with_hidden(64)
        .init(&device)
        .unwrap();
    assert_eq!(vgg.features(x.clone()).dims(), [2, 64, 1, 1]);
    assert_eq!(vgg.forward(x.clone()).dims(), [2, 10]);
    let resnet = ResNetConfig::new(18)
        .with_classes(10)
        .with_width_divisor(8)
        .init(&device)
        .unwrap();
    assert_eq!(resnet.forward(x.clone()).dims(), [2, 10]);
    let googlenet = GoogLeNetConfig::new()
        .with_classes(10)
        .with_width_divisor(8)
        .init(&device);
    assert_eq!(googlenet.forward(x).dims(), [2, 10]);
}

#[test]
fn multiply_accumulates_match_published_figures() {
    // Published GMACs at 224x224: VGG-19 19.6, ResNet-18 1.82, ResNet-34 3.67, GoogLeNet 1.50.
    let close =
        |macs: u64, published: f64| ((macs as f64 / 1e9) - published).abs() / published < 0.02;
    let vgg = VggConfig::new(19).macs(224).unwrap();
    assert!(close(vgg, 19.6), "VGG-19 {vgg}");
    let r18 = ResNetConfig::new(18).macs(224).unwrap();
    assert!(close(r18, 1.82), "ResNet-18 {r18}");
    let r34 = ResNetConfig::new(34).macs(224).unwrap();
    assert!(close(r34, 3.67), "ResNet-34 {r34}");
    let g = GoogLeNetConfig::new().macs(224);
    assert!(close(g, 1.50), "GoogLeNet {g}");
}
