//! The week's two experiments. They share nothing beyond the crate's concept files: the
//! models, the weights, the pre-training and the stages.

pub mod architectures;
pub mod vgg19_cifar10;
