//! Week 2 of the course: the famous architectures (VGG, ResNet, Inception) and transfer
//! learning.

pub mod experiments;
pub mod figures;
pub mod fine_tuning;
pub mod models;
pub mod pretrained;
pub mod same_budget;
pub mod weights;

use experiments::{
    architectures, cifar_architectures, label_efficiency, resnet_depth, vgg19_cifar10,
};
use nn_core::{Lesson, Registry, experiment};

/// This week of the course as the report shows it.
pub const LESSON: Lesson = Lesson {
    week: "2",
    title: "Transfer learning",
    text: "VGG, ResNet and Inception, counted and timed; a network pre-trained on other images, then fine-tuned, against the same network trained from scratch.",
};

/// The week's experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::topic(LESSON)
        .with(experiment::<architectures::ArchitecturesConfig>(
            "transfer/architectures",
            "VGG, ResNet and Inception: parameters, multiply-accumulates and forward time at 32 and 224 pixels",
            architectures::run,
        ).guide(architectures::GUIDE).headline(architectures::HEADLINE))
        .with(experiment::<cifar_architectures::CifarArchitecturesConfig>(
            "transfer/cifar-architectures",
            "VGG, ResNet and Inception trained: CIFAR-scale versions on CIFAR-10 with the same budget and augmentation, test accuracy over seeds",
            cifar_architectures::run,
        ).guide(cifar_architectures::GUIDE).headline(cifar_architectures::HEADLINE).quick_caveat(cifar_architectures::QUICK_CAVEAT))
        .with(experiment::<resnet_depth::ResnetDepthConfig>(
            "transfer/resnet-depth",
            "Why ResNet exists: He et al.'s CIFAR networks at two depths, plain and with skip connections, training loss over several seeds",
            resnet_depth::run,
        ).guide(resnet_depth::GUIDE).headline(resnet_depth::HEADLINE).quick_caveat(resnet_depth::QUICK_CAVEAT))
        .with(experiment::<vgg19_cifar10::Vgg19Cifar10Config>(
            "transfer/vgg19-cifar10",
            "The assignment: a pre-trained VGG-19 on CIFAR-10 before training, as a frozen feature extractor, fine-tuned, and against training from scratch",
            vgg19_cifar10::run,
        ).guide(vgg19_cifar10::GUIDE).headline(vgg19_cifar10::HEADLINE).quick_caveat(vgg19_cifar10::QUICK_CAVEAT))
        .with(experiment::<label_efficiency::LabelEfficiencyConfig>(
            "transfer/label-efficiency",
            "When pre-training pays: fine-tuned against scratch over the number of labelled images, across domains and within natural images, over seeds",
            label_efficiency::run,
        ).guide(label_efficiency::GUIDE).headline(label_efficiency::HEADLINE))
}
