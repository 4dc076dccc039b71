//! tanh as burn ops (the backend-extension mechanism of [`super::extension`]): the forward
//! through the vectorised [`super::activation::tanh`], the backward `dy * (1 - y^2)` in one
//! pass from the saved output (burn's recomputes `tanh` from the input, then 4 more ops).

use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

/// tanh and its backward as backend ops (f32, any shape).
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff)]
pub trait FastActivationOps: Backend {
    /// `tanh(x)`, shaped as `x`.
    fn fa_tanh(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `dx = dy * (1 - y^2)` from the output `y = tanh(x)` and its gradient `dy`.
    fn fa_tanh_backward(y: FloatTensor<Self>, dy: FloatTensor<Self>) -> FloatTensor<Self>;
}

#[cfg(feature = "flex")]
mod flex {
    use super::super::activation::{tanh, tanh_derivative_from_output};
    use super::super::buffers::{data, dense, shaped_as};
    use super::super::uninit::written_by;
    use super::FastActivationOps;
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;
    use rayon::prelude::*;

    /// Elements per parallel chunk (a split by length only: the same bits for any thread
    /// count, each element depending on its own inputs alone anyway).
    const CHUNK: usize = 1 << 14;

    /// `out[i] = f(i)` for every element, in parallel chunks above one chunk.
    fn map_indexed(n: usize, f: impl Fn(usize) -> f32 + Sync) -> Vec<f32> {
        // SAFETY: the chunks tile all `n` elements and each is written.
        unsafe {
            written_by(n, |out| {
                let run = |(c, chunk): (usize, &mut [std::mem::MaybeUninit<f32>])| {
                    for (j, v) in chunk.iter_mut().enumerate() {
                        v.write(f(c * CHUNK + j));
                    }
                };
                if n > CHUNK {
                    out.par_chunks_mut(CHUNK).enumerate().for_each(run);
                } else {
                    out.chunks_mut(CHUNK).enumerate().for_each(run);
                }
            })
        }
    }

    impl FastActivationOps for Flex {
        fn fa_tanh(x: FlexTensor) -> FlexTensor {
            let x = dense(x, "x");
            let xs = data(&x);
            let y = map_indexed(xs.len(), |i| tanh(xs[i]));
            shaped_as(y, &x)
        }

        fn fa_tanh_backward(y: FlexTensor, dy: FlexTensor) -> FlexTensor {
            let (y, dy) = (dense(y, "tanh output"), dense(dy, "output gradient"));
            let (ys, dys) = (data(&y), data(&dy));
            assert_eq!(
                ys.len(),
                dys.len(),
                "tanh backward: output and gradient lengths"
            );
            let dx = map_indexed(ys.len(), |i| dys[i] * tanh_derivative_from_output(ys[i]));
            shaped_as(dx, &y)
        }
    }
}

mod autodiff {
    use super::FastActivationOps;
    use burn::backend::AutodiffBackend;
    use burn::backend::autodiff::{
        Autodiff,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    };
    use burn::backend::tensor::FloatTensor;

    #[derive(Debug)]
    struct Tanh;

    impl<B: FastActivationOps> Backward<B, 1> for Tanh {
        /// The forward's output (an `Arc` of its buffer on flex, not a copy).
        type State = FloatTensor<B>;

        fn backward(
            self,
            ops: Ops<Self::State, 1>,
            grads: &mut Gradients,
            _checkpointer: &mut Checkpointer,
        ) {
            let [x_node] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            if let Some(node) = x_node {
                grads.register::<B>(node.id, B::fa_tanh_backward(ops.state, dy));
            }
        }
    }

    impl<B: FastActivationOps, C: CheckpointStrategy> FastActivationOps for Autodiff<B, C> {
        fn fa_tanh(x: FloatTensor<Self>) -> FloatTensor<Self> {
            match Tanh.prepare::<C>([x.node()]).compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let y = B::fa_tanh(x.into_primitive());
                    prep.finish(y.clone(), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::fa_tanh(x.into_primitive())),
            }
        }

        // Alone on autodiff tensors: computed on the inner backend, returned as a constant.
        fn fa_tanh_backward(y: FloatTensor<Self>, dy: FloatTensor<Self>) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fa_tanh_backward(
                y.into_primitive(),
                dy.into_primitive(),
            ))
        }
    }
}
