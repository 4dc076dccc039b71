//! Raw f32 buffers in and out of burn-flex tensors, for the kernels' Flex implementations.

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::{Bytes, DType, Shape};

/// Contiguous and f32 (an `Arc` clone when it already is; gradients can arrive as
/// broadcast views, which are copied). The front-end only sends f32 tensors.
pub(super) fn dense(t: FlexTensor, what: &str) -> FlexTensor {
    assert_eq!(t.dtype(), DType::F32, "our kernels: {what} must be f32");
    t.to_contiguous()
}

pub(super) fn data(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("a contiguous f32 tensor")
}

pub(super) fn dims<const D: usize>(t: &FlexTensor) -> [usize; D] {
    t.layout().shape().dims::<D>()
}

/// A contiguous f32 tensor owning `values` (no copy), shaped as `like`.
pub(super) fn shaped_as(values: Vec<f32>, like: &FlexTensor) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(values),
        Layout::contiguous(like.layout().shape().clone()),
        DType::F32,
    )
}

/// A contiguous f32 tensor owning `data` (no copy).
pub(super) fn tensor<const D: usize>(data: Vec<f32>, dims: [usize; D]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(Shape::new(dims)),
        DType::F32,
    )
}
