//! Weeks 1-2 of the course: convolution from first principles (padding, stride, pooling),
//! and convolutional classifiers on Fashion-MNIST, CIFAR and chest X-rays.

pub mod arithmetic;
pub mod experiments;
pub mod figures;
pub mod ops;
pub mod unbalanced;

use experiments::{
    augment_ablation, augment_gallery, cifar100, conv_ops, fashion_mnist, pneumonia,
};
use nn_core::{Lesson, Registry, experiment};

/// This week of the course as the report shows it.
pub const LESSON: Lesson = Lesson {
    week: "1-2",
    title: "Convolutional networks",
    text: "Convolution and pooling share weights across the image, so a small CNN beats a larger MLP on images. Augmentation fights overfitting; on a medical set the threshold and the ROC curve matter as much as accuracy.",
};

/// The weeks' experiments, in teaching order.
pub fn registry() -> Registry {
    Registry::topic(LESSON)
        .with(experiment::<conv_ops::ConvOpsConfig>("cnn/conv-ops", "Convolution and pooling by hand, checked against burn; classic kernels at work", conv_ops::run).guide(conv_ops::GUIDE).headline(conv_ops::HEADLINE))
        .with(experiment::<fashion_mnist::FashionCnnConfig>("cnn/fashion-mnist", "A CNN and an MLP with the same budget on Fashion-MNIST", fashion_mnist::run).guide(fashion_mnist::GUIDE))
        .with(experiment::<cifar100::CifarConfig>("cnn/cifar100", "A CNN with batch norm on CIFAR-100 (or --dataset cifar-10), with and without augmentation", cifar100::run).guide(cifar100::GUIDE))
        .with(experiment::<pneumonia::PneumoniaConfig>("cnn/pneumonia", "Pneumonia vs normal chest X-rays: class weights, a validated threshold, ROC", pneumonia::run).guide(pneumonia::GUIDE))
        .with(experiment::<augment_gallery::GalleryConfig>("cnn/augment-gallery", "One real image of each data set through every augmentation", augment_gallery::run).guide(augment_gallery::GUIDE).headline(augment_gallery::HEADLINE))
        .with(experiment::<augment_ablation::AblationConfig>("cnn/augment-ablation", "Which augmentations help: none, geometric, colour, noise, all on small training sets, over seeds", augment_ablation::run).guide(augment_ablation::GUIDE).headline(augment_ablation::HEADLINE).quick_caveat(augment_ablation::QUICK_CAVEAT))
}
