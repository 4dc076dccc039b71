//! Max pooling without padding as burn ops (the backend-extension mechanism of
//! [`super::extension`]), with a hand-written backward that finds each window's maximum
//! again from the input ([`super::pool`]) instead of keeping an index tensor.

use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

/// Max-pooling kernels as backend ops (f32, NCHW, no padding, dilation 1).
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff)]
pub trait FastPoolOps: Backend {
    /// `x [n, c, h, w]` -> `[n, c, (h - kh) / sh + 1, (w - kw) / sw + 1]`.
    fn fp_max_pool2d(
        x: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
    ) -> FloatTensor<Self>;

    /// The input gradient, shaped as `x`, from the output gradient.
    fn fp_max_pool2d_backward(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        kernel: [usize; 2],
        stride: [usize; 2],
    ) -> FloatTensor<Self>;
}

#[cfg(feature = "flex")]
mod flex {
    use super::super::buffers::{data, dense, dims, tensor};
    use super::super::pool::{PoolShape, max_pool_backward, max_pool_forward};
    use super::FastPoolOps;
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;

    impl FastPoolOps for Flex {
        fn fp_max_pool2d(x: FlexTensor, kernel: [usize; 2], stride: [usize; 2]) -> FlexTensor {
            let x = dense(x, "x");
            let d = dims::<4>(&x);
            let s = PoolShape::new(d, kernel, stride);
            tensor(
                max_pool_forward(s, data(&x)),
                [d[0], d[1], s.out_h(), s.out_w()],
            )
        }

        fn fp_max_pool2d_backward(
            x: FlexTensor,
            output_grad: FlexTensor,
            kernel: [usize; 2],
            stride: [usize; 2],
        ) -> FlexTensor {
            let (x, dy) = (dense(x, "x"), dense(output_grad, "output gradient"));
            let d = dims::<4>(&x);
            let s = PoolShape::new(d, kernel, stride);
            tensor(max_pool_backward(s, data(&x), data(&dy)), d)
        }
    }
}

mod autodiff {
    use super::FastPoolOps;
    use burn::backend::AutodiffBackend;
    use burn::backend::autodiff::{
        Autodiff, NodeId,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    };
    use burn::backend::tensor::FloatTensor;

    #[derive(Debug)]
    struct MaxPool;

    impl<B: FastPoolOps> Backward<B, 1> for MaxPool {
        /// The checkpointed input, the window and the stride.
        type State = (NodeId, [usize; 2], [usize; 2]);

        fn backward(
            self,
            ops: Ops<Self::State, 1>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [x_node] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let (x_id, kernel, stride) = ops.state;
            if let Some(node) = x_node {
                let x = checkpointer.retrieve_node_output::<FloatTensor<B>>(x_id);
                grads.register::<B>(node.id, B::fp_max_pool2d_backward(x, dy, kernel, stride));
            }
        }
    }

    impl<B: FastPoolOps, C: CheckpointStrategy> FastPoolOps for Autodiff<B, C> {
        fn fp_max_pool2d(
            x: FloatTensor<Self>,
            kernel: [usize; 2],
            stride: [usize; 2],
        ) -> FloatTensor<Self> {
            match MaxPool.prepare::<C>([x.node()]).compute_bound().stateful() {
                OpsKind::Tracked(mut prep) => {
                    let x_id = prep.checkpoint(&x);
                    let y = B::fp_max_pool2d(x.into_primitive(), kernel, stride);
                    prep.finish((x_id, kernel, stride), y)
                }
                OpsKind::UnTracked(prep) => {
                    prep.finish(B::fp_max_pool2d(x.into_primitive(), kernel, stride))
                }
            }
        }

        // Alone on autodiff tensors: computed on the inner backend, returned as a constant.
        fn fp_max_pool2d_backward(
            x: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            kernel: [usize; 2],
            stride: [usize; 2],
        ) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fp_max_pool2d_backward(
                x.into_primitive(),
                output_grad.into_primitive(),
                kernel,
                stride,
            ))
        }
    }
}
