//! The week's experiments. They share nothing beyond the crate's concept files: the
//! models, the weights, the pre-training and the stages.

pub mod architectures;
pub mod cifar_architectures;
pub mod label_efficiency;
pub mod resnet_depth;
pub mod vgg19_cifar10;
