//! The kernels as burn ops: a backend extension (burn 0.22's `#[backend_extension]`) with a
//! Flex implementation on raw f32 buffers and an `Autodiff` implementation whose backward
//! pass is written by hand from the same kernels. Templates: burn-signal 0.22.1 (`ops.rs`,
//! `backends/flex.rs`, `backends/autodiff.rs`) and burn's `tests/backend_extension_runtime.rs`.
//!
//! A transposed convolution is the adjoint of a convolution with the same weight, so it needs
//! no kernel of its own: its forward is the convolution's input gradient, its input gradient
//! the convolution's forward, and its weight gradient the convolution's weight gradient with
//! input and output gradient exchanged.
//!
//! Rules of the macro (burn-backend-extension 0.22.1): tensor inputs must be plain
//! `FloatTensor<Self>` (an `Option` of one is not recognised, hence the `_nobias` variants);
//! names must not clash with burn's `ModuleOps` (`conv2d`), hence the `fc_` prefix; any
//! backend not listed here panics, so [`super::conv2d`] checks the device first.

use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

/// Stride and zero padding of one convolution (dilation 1 and groups 1 are implied).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvSetting {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

/// Our convolution kernels as backend ops (f32, NCHW).
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff)]
pub trait FastConvOps: Backend {
    /// `x [n, c, h, w]`, `weight [oc, c, kh, kw]`, `bias [oc]` -> `[n, oc, oh, ow]`.
    fn fc_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        setting: ConvSetting,
    ) -> FloatTensor<Self>;

    /// [`FastConvOps::fc_conv2d`] without a bias.
    fn fc_conv2d_nobias(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        setting: ConvSetting,
    ) -> FloatTensor<Self>;

    /// Transposed: `x [n, ci, h, w]`, `weight [ci, co, kh, kw]`, `bias [co]` ->
    /// `[n, co, out_hw[0], out_hw[1]]`.
    fn fc_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        setting: ConvSetting,
        out_hw: [usize; 2],
    ) -> FloatTensor<Self>;

    /// [`FastConvOps::fc_conv_transpose2d`] without a bias.
    fn fc_conv_transpose2d_nobias(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        setting: ConvSetting,
        out_hw: [usize; 2],
    ) -> FloatTensor<Self>;

    /// A convolution's input gradient `[n, c, x_hw[0], x_hw[1]]` from `weight [oc, c, kh, kw]`
    /// and `output_grad [n, oc, oh, ow]` (`x_hw` is needed: with a stride above 1 several
    /// input sizes give the same output size).
    fn fc_conv2d_x_grad(
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        x_hw: [usize; 2],
        setting: ConvSetting,
    ) -> FloatTensor<Self>;

    /// A convolution's weight gradient `[oc, c, kernel_hw[0], kernel_hw[1]]` from
    /// `x [n, c, h, w]` and `output_grad [n, oc, oh, ow]`.
    fn fc_conv2d_weight_grad(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        kernel_hw: [usize; 2],
        setting: ConvSetting,
    ) -> FloatTensor<Self>;

    /// A bias gradient `[oc]`: `output_grad [n, oc, oh, ow]` summed over batch and positions.
    fn fc_conv2d_bias_grad(output_grad: FloatTensor<Self>) -> FloatTensor<Self>;
}

#[cfg(feature = "flex")]
mod flex {
    use super::super::buffers::{data, dense, dims, tensor};
    use super::super::conv as k;
    use super::super::geometry::ConvGeom;
    use super::{ConvSetting, FastConvOps};
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;

    fn forward(
        x: FlexTensor,
        weight: FlexTensor,
        bias: Option<FlexTensor>,
        s: ConvSetting,
    ) -> FlexTensor {
        let (x, weight) = (dense(x, "x"), dense(weight, "weight"));
        let g = ConvGeom::new(dims(&x), dims(&weight), s.stride, s.padding);
        let bias = bias.map(|b| dense(b, "bias"));
        let y = k::conv2d_forward(&g, data(&x), data(&weight), bias.as_ref().map(data));
        tensor(y, g.out_dims())
    }

    /// The convolution whose adjoint is the transposed convolution of `x [n, ci, h, w]`
    /// with `weight [ci, co, kh, kw]` into `out_hw`.
    fn transposed_geometry(
        x: &FlexTensor,
        weight: &FlexTensor,
        s: ConvSetting,
        out_hw: [usize; 2],
    ) -> ConvGeom {
        let [n, ci, h, w] = dims(x);
        let wd = dims::<4>(weight);
        let g = ConvGeom::new([n, wd[1], out_hw[0], out_hw[1]], wd, s.stride, s.padding);
        assert_eq!(
            [g.c_out, g.out_h(), g.out_w()],
            [ci, h, w],
            "transposed convolution: shapes"
        );
        g
    }

    fn transposed(
        x: FlexTensor,
        weight: FlexTensor,
        bias: Option<FlexTensor>,
        s: ConvSetting,
        out_hw: [usize; 2],
    ) -> FlexTensor {
        let (x, weight) = (dense(x, "x"), dense(weight, "weight"));
        let g = transposed_geometry(&x, &weight, s, out_hw);
        let mut y = k::conv2d_input_grad(&g, data(&weight), data(&x));
        if let Some(bias) = bias.map(|b| dense(b, "bias")) {
            let plane = g.h * g.w;
            for (i, channel) in y.chunks_mut(plane).enumerate() {
                let b = data(&bias)[i % g.c_in];
                channel.iter_mut().for_each(|v| *v += b);
            }
        }
        tensor(y, [g.batch, g.c_in, g.h, g.w])
    }

    impl FastConvOps for Flex {
        fn fc_conv2d(
            x: FlexTensor,
            weight: FlexTensor,
            bias: FlexTensor,
            s: ConvSetting,
        ) -> FlexTensor {
            forward(x, weight, Some(bias), s)
        }

        fn fc_conv2d_nobias(x: FlexTensor, weight: FlexTensor, s: ConvSetting) -> FlexTensor {
            forward(x, weight, None, s)
        }

        fn fc_conv_transpose2d(
            x: FlexTensor,
            weight: FlexTensor,
            bias: FlexTensor,
            s: ConvSetting,
            out_hw: [usize; 2],
        ) -> FlexTensor {
            transposed(x, weight, Some(bias), s, out_hw)
        }

        fn fc_conv_transpose2d_nobias(
            x: FlexTensor,
            weight: FlexTensor,
            s: ConvSetting,
            out_hw: [usize; 2],
        ) -> FlexTensor {
            transposed(x, weight, None, s, out_hw)
        }

        fn fc_conv2d_x_grad(
            weight: FlexTensor,
            output_grad: FlexTensor,
            x_hw: [usize; 2],
            s: ConvSetting,
        ) -> FlexTensor {
            let (weight, dy) = (
                dense(weight, "weight"),
                dense(output_grad, "output gradient"),
            );
            let wd = dims::<4>(&weight);
            let n = dims::<4>(&dy)[0];
            let g = ConvGeom::new([n, wd[1], x_hw[0], x_hw[1]], wd, s.stride, s.padding);
            let dx = k::conv2d_input_grad(&g, data(&weight), data(&dy));
            tensor(dx, [n, g.c_in, g.h, g.w])
        }

        fn fc_conv2d_weight_grad(
            x: FlexTensor,
            output_grad: FlexTensor,
            kernel_hw: [usize; 2],
            s: ConvSetting,
        ) -> FlexTensor {
            let (x, dy) = (dense(x, "x"), dense(output_grad, "output gradient"));
            let xd = dims::<4>(&x);
            let wd = [dims::<4>(&dy)[1], xd[1], kernel_hw[0], kernel_hw[1]];
            let g = ConvGeom::new(xd, wd, s.stride, s.padding);
            tensor(k::conv2d_weight_grad(&g, data(&x), data(&dy)), wd)
        }

        fn fc_conv2d_bias_grad(output_grad: FlexTensor) -> FlexTensor {
            let dy = dense(output_grad, "output gradient");
            let [n, oc, oh, ow] = dims::<4>(&dy);
            tensor(k::conv2d_bias_grad(n, oc, oh * ow, data(&dy)), [oc])
        }
    }
}

mod autodiff {
    use super::{ConvSetting, FastConvOps};
    use burn::backend::autodiff::{
        Autodiff, NodeId,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    };
    use burn::backend::{AutodiffBackend, TensorMetadata, tensor::FloatTensor};

    /// A float tensor of the autodiff backend over `B`.
    type Tracked<B, C> = FloatTensor<Autodiff<B, C>>;

    /// What a backward pass needs besides the two saved tensors (input and weight).
    #[derive(Clone, Copy, Debug)]
    struct Saved {
        setting: ConvSetting,
        /// The input's height and width.
        x_hw: [usize; 2],
        kernel_hw: [usize; 2],
        transposed: bool,
    }

    impl Saved {
        fn new<T: TensorMetadata>(
            x: &T,
            weight: &T,
            setting: ConvSetting,
            transposed: bool,
        ) -> Self {
            let x = x.shape().dims::<4>();
            let w = weight.shape().dims::<4>();
            Self {
                setting,
                x_hw: [x[2], x[3]],
                kernel_hw: [w[2], w[3]],
                transposed,
            }
        }
    }

    /// Registers the gradients of input, weight and (when present) bias, for the parents
    /// that need them.
    fn register<B: FastConvOps>(
        parents: [Option<NodeId>; 3],
        (x, weight, dy): (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>),
        saved: Saved,
        grads: &mut Gradients,
    ) {
        let [x_node, w_node, b_node] = parents;
        let s = saved.setting;
        if let Some(id) = b_node {
            grads.register::<B>(id, B::fc_conv2d_bias_grad(dy.clone()));
        }
        if let Some(id) = x_node {
            let dx = if saved.transposed {
                B::fc_conv2d_nobias(dy.clone(), weight, s)
            } else {
                B::fc_conv2d_x_grad(weight, dy.clone(), saved.x_hw, s)
            };
            grads.register::<B>(id, dx);
        }
        if let Some(id) = w_node {
            let dw = if saved.transposed {
                B::fc_conv2d_weight_grad(dy, x, saved.kernel_hw, s)
            } else {
                B::fc_conv2d_weight_grad(x, dy, saved.kernel_hw, s)
            };
            grads.register::<B>(id, dw);
        }
    }

    #[derive(Debug)]
    struct WithBias;
    #[derive(Debug)]
    struct NoBias;

    impl<B: FastConvOps> Backward<B, 3> for WithBias {
        type State = (NodeId, NodeId, Saved);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [x_node, w_node, b_node] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let (x_id, w_id, saved) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<B>>(x_id);
            let weight = checkpointer.retrieve_node_output::<FloatTensor<B>>(w_id);
            let parents = [
                x_node.map(|n| n.id),
                w_node.map(|n| n.id),
                b_node.map(|n| n.id),
            ];
            register::<B>(parents, (x, weight, dy), saved, grads);
        }
    }

    impl<B: FastConvOps> Backward<B, 2> for NoBias {
        type State = (NodeId, NodeId, Saved);

        fn backward(
            self,
            ops: Ops<Self::State, 2>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [x_node, w_node] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let (x_id, w_id, saved) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<B>>(x_id);
            let weight = checkpointer.retrieve_node_output::<FloatTensor<B>>(w_id);
            let parents = [x_node.map(|n| n.id), w_node.map(|n| n.id), None];
            register::<B>(parents, (x, weight, dy), saved, grads);
        }
    }

    /// Records a convolution with a bias: `run` computes the forward on the inner backend.
    fn with_bias<B: FastConvOps, C: CheckpointStrategy>(
        (x, weight, bias): (Tracked<B, C>, Tracked<B, C>, Tracked<B, C>),
        saved: Saved,
        run: impl FnOnce(FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) -> FloatTensor<B>,
    ) -> Tracked<B, C> {
        match WithBias
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_id = prep.checkpoint(&x);
                let w_id = prep.checkpoint(&weight);
                let out = run(
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                );
                prep.finish((x_id, w_id, saved), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(run(
                x.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
            )),
        }
    }

    /// Records a convolution without a bias.
    fn no_bias<B: FastConvOps, C: CheckpointStrategy>(
        (x, weight): (Tracked<B, C>, Tracked<B, C>),
        saved: Saved,
        run: impl FnOnce(FloatTensor<B>, FloatTensor<B>) -> FloatTensor<B>,
    ) -> Tracked<B, C> {
        match NoBias
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_id = prep.checkpoint(&x);
                let w_id = prep.checkpoint(&weight);
                let out = run(x.into_primitive(), weight.into_primitive());
                prep.finish((x_id, w_id, saved), out)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(run(x.into_primitive(), weight.into_primitive()))
            }
        }
    }

    impl<B: FastConvOps, C: CheckpointStrategy> FastConvOps for Autodiff<B, C> {
        fn fc_conv2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            s: ConvSetting,
        ) -> FloatTensor<Self> {
            let saved = Saved::new(&x, &weight, s, false);
            with_bias::<B, C>((x, weight, bias), saved, |x, w, b| B::fc_conv2d(x, w, b, s))
        }

        fn fc_conv2d_nobias(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            s: ConvSetting,
        ) -> FloatTensor<Self> {
            let saved = Saved::new(&x, &weight, s, false);
            no_bias::<B, C>((x, weight), saved, |x, w| B::fc_conv2d_nobias(x, w, s))
        }

        fn fc_conv_transpose2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            s: ConvSetting,
            out_hw: [usize; 2],
        ) -> FloatTensor<Self> {
            let saved = Saved::new(&x, &weight, s, true);
            with_bias::<B, C>((x, weight, bias), saved, |x, w, b| {
                B::fc_conv_transpose2d(x, w, b, s, out_hw)
            })
        }

        fn fc_conv_transpose2d_nobias(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            s: ConvSetting,
            out_hw: [usize; 2],
        ) -> FloatTensor<Self> {
            let saved = Saved::new(&x, &weight, s, true);
            no_bias::<B, C>((x, weight), saved, |x, w| {
                B::fc_conv_transpose2d_nobias(x, w, s, out_hw)
            })
        }

        // The gradient ops on autodiff tensors (the bench times them alone): computed on the
        // inner backend and returned as constants; no second-order gradients.
        fn fc_conv2d_x_grad(
            weight: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            x_hw: [usize; 2],
            s: ConvSetting,
        ) -> FloatTensor<Self> {
            let dx = B::fc_conv2d_x_grad(
                weight.into_primitive(),
                output_grad.into_primitive(),
                x_hw,
                s,
            );
            <Self as AutodiffBackend>::from_inner(dx)
        }

        fn fc_conv2d_weight_grad(
            x: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            kernel_hw: [usize; 2],
            s: ConvSetting,
        ) -> FloatTensor<Self> {
            let dw = B::fc_conv2d_weight_grad(
                x.into_primitive(),
                output_grad.into_primitive(),
                kernel_hw,
                s,
            );
            <Self as AutodiffBackend>::from_inner(dw)
        }

        fn fc_conv2d_bias_grad(output_grad: FloatTensor<Self>) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fc_conv2d_bias_grad(
                output_grad.into_primitive(),
            ))
        }
    }
}
