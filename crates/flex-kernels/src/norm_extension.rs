//! Batch norm and group norm, each fused with its activation, as burn ops (the
//! backend-extension mechanism of [`super::extension`]): a statistics op without gradient,
//! and a normalise + activate op whose hand-written backward takes two passes
//! ([`super::norm`], [`super::group_norm`]).
//!
//! The backward treats the statistics as those of `x` itself (it differentiates through the
//! mean and variance, as burn's `batch_norm_train_backward` and PyTorch do), so the
//! statistics given to [`FastNormOps::fn_batch_norm_act`] must come from
//! [`FastNormOps::fn_channel_stats`] of the same `x` when gradients are wanted.

use super::norm::NormActivation;
use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

/// Batch-norm kernels as backend ops (f32, `[n, c, ...]`).
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff)]
pub trait FastNormOps: Backend {
    /// `x [n, c, ...]` -> `[2, c]`: per-channel batch mean, then biased variance. Carries
    /// no gradient.
    fn fn_channel_stats(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `act(gamma * (x - mean) / sqrt(var + eps) + beta)` with `stats [2, c]` from
    /// [`FastNormOps::fn_channel_stats`] of `x`; `gamma`, `beta` `[c]`.
    fn fn_batch_norm_act(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        epsilon: f64,
        activation: NormActivation,
    ) -> FloatTensor<Self>;

    /// The backward's first pass: `[2, c]`, the gradients of beta, then gamma.
    fn fn_batch_norm_act_param_grads(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        epsilon: f64,
        activation: NormActivation,
    ) -> FloatTensor<Self>;

    /// The backward's second pass: the input gradient, shaped as `x`, from the first pass's
    /// `param_grads [2, c]`.
    #[allow(clippy::too_many_arguments)]
    fn fn_batch_norm_act_input_grad(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        param_grads: FloatTensor<Self>,
        epsilon: f64,
        activation: NormActivation,
    ) -> FloatTensor<Self>;

    /// `x [n, c, ...]` -> `[2, n * groups]`: mean, then biased variance, per sample and
    /// group of `c / groups` consecutive channels. Carries no gradient.
    fn fn_group_stats(x: FloatTensor<Self>, groups: usize) -> FloatTensor<Self>;

    /// `act(gamma_c * (x - mean_g) / sqrt(var_g + eps) + beta_c)` with `stats` from
    /// [`FastNormOps::fn_group_stats`] of `x`.
    fn fn_group_norm_act(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
        activation: NormActivation,
    ) -> FloatTensor<Self>;

    /// The group norm backward's first pass: `[2, n, c]`, per sample and channel the sums
    /// of `dz` and `dz * x_hat` (summed over `n`: the gradients of beta and gamma).
    #[allow(clippy::too_many_arguments)]
    fn fn_group_norm_act_plane_sums(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
        activation: NormActivation,
    ) -> FloatTensor<Self>;

    /// The group norm backward's second pass: the input gradient, shaped as `x`.
    #[allow(clippy::too_many_arguments)]
    fn fn_group_norm_act_input_grad(
        x: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        stats: FloatTensor<Self>,
        plane_sums: FloatTensor<Self>,
        groups: usize,
        epsilon: f64,
        activation: NormActivation,
    ) -> FloatTensor<Self>;
}

#[cfg(feature = "flex")]
mod flex {
    use super::super::buffers::{data, dense, shaped_as, tensor};
    use super::super::group_norm::{self as gk, GroupShape};
    use super::super::norm::{self as k, NormActivation, NormShape};
    use super::FastNormOps;
    use crate::activation::with_activation;
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;

    fn shape_of(x: &FlexTensor) -> NormShape {
        NormShape::from_dims(x.layout().shape().as_slice())
    }

    fn group_shape_of(x: &FlexTensor, groups: usize) -> GroupShape {
        GroupShape::from_dims(x.layout().shape().as_slice(), groups)
    }

    impl FastNormOps for Flex {
        fn fn_channel_stats(x: FlexTensor) -> FlexTensor {
            let x = dense(x, "x");
            let s = shape_of(&x);
            tensor(k::channel_stats(s, data(&x)), [2, s.channels])
        }

        fn fn_batch_norm_act(
            x: FlexTensor,
            gamma: FlexTensor,
            beta: FlexTensor,
            stats: FlexTensor,
            epsilon: f64,
            activation: NormActivation,
        ) -> FlexTensor {
            let (x, gamma, beta) = (dense(x, "x"), dense(gamma, "gamma"), dense(beta, "beta"));
            let stats = dense(stats, "statistics");
            let y = with_activation!(activation, |a| k::batch_norm_act_forward(
                shape_of(&x),
                data(&x),
                data(&gamma),
                data(&beta),
                data(&stats),
                epsilon,
                a,
            ));
            shaped_as(y, &x)
        }

        fn fn_batch_norm_act_param_grads(
            x: FlexTensor,
            output_grad: FlexTensor,
            gamma: FlexTensor,
            beta: FlexTensor,
            stats: FlexTensor,
            epsilon: f64,
            activation: NormActivation,
        ) -> FlexTensor {
            let (x, dy) = (dense(x, "x"), dense(output_grad, "output gradient"));
            let (gamma, beta) = (dense(gamma, "gamma"), dense(beta, "beta"));
            let stats = dense(stats, "statistics");
            let s = shape_of(&x);
            let sums = with_activation!(activation, |a| k::batch_norm_act_param_grads(
                s,
                data(&x),
                data(&dy),
                data(&gamma),
                data(&beta),
                data(&stats),
                epsilon,
                a,
            ));
            tensor(sums, [2, s.channels])
        }

        fn fn_batch_norm_act_input_grad(
            x: FlexTensor,
            output_grad: FlexTensor,
            gamma: FlexTensor,
            beta: FlexTensor,
            stats: FlexTensor,
            param_grads: FlexTensor,
            epsilon: f64,
            activation: NormActivation,
        ) -> FlexTensor {
            let (x, dy) = (dense(x, "x"), dense(output_grad, "output gradient"));
            let (gamma, beta) = (dense(gamma, "gamma"), dense(beta, "beta"));
            let (stats, sums) = (dense(stats, "statistics"), dense(param_grads, "sums"));
            let dx = with_activation!(activation, |a| k::batch_norm_act_input_grad(
                shape_of(&x),
                data(&x),
                data(&dy),
                data(&gamma),
                data(&beta),
                data(&stats),
                data(&sums),
                epsilon,
                a,
            ));
            shaped_as(dx, &x)
        }

        fn fn_group_stats(x: FlexTensor, groups: usize) -> FlexTensor {
            let x = dense(x, "x");
            let s = group_shape_of(&x, groups);
            tensor(gk::group_stats(s, data(&x)), [2, s.batch * groups])
        }

        fn fn_group_norm_act(
            x: FlexTensor,
            gamma: FlexTensor,
            beta: FlexTensor,
            stats: FlexTensor,
            groups: usize,
            epsilon: f64,
            activation: NormActivation,
        ) -> FlexTensor {
            let (x, gamma, beta) = (dense(x, "x"), dense(gamma, "gamma"), dense(beta, "beta"));
            let stats = dense(stats, "statistics");
            let y = with_activation!(activation, |a| gk::group_norm_act_forward(
                group_shape_of(&x, groups),
                data(&x),
                data(&gamma),
                data(&beta),
                data(&stats),
                epsilon,
                a,
            ));
            shaped_as(y, &x)
        }

        fn fn_group_norm_act_plane_sums(
            x: FlexTensor,
            output_grad: FlexTensor,
            gamma: FlexTensor,
            beta: FlexTensor,
            stats: FlexTensor,
            groups: usize,
            epsilon: f64,
            activation: NormActivation,
        ) -> FlexTensor {
            let (x, dy) = (dense(x, "x"), dense(output_grad, "output gradient"));
            let (gamma, beta) = (dense(gamma, "gamma"), dense(beta, "beta"));
            let stats = dense(stats, "statistics");
            let s = group_shape_of(&x, groups);
            let sums = with_activation!(activation, |a| gk::group_norm_act_plane_sums(
                s,
                data(&x),
                data(&dy),
                data(&gamma),
                data(&beta),
                data(&stats),
                epsilon,
                a,
            ));
            tensor(sums, [2, s.batch, s.channels])
        }

        fn fn_group_norm_act_input_grad(
            x: FlexTensor,
            output_grad: FlexTensor,
            gamma: FlexTensor,
            beta: FlexTensor,
            stats: FlexTensor,
            plane_sums: FlexTensor,
            groups: usize,
            epsilon: f64,
            activation: NormActivation,
        ) -> FlexTensor {
            let (x, dy) = (dense(x, "x"), dense(output_grad, "output gradient"));
            let (gamma, beta) = (dense(gamma, "gamma"), dense(beta, "beta"));
            let (stats, sums) = (dense(stats, "statistics"), dense(plane_sums, "sums"));
            let dx = with_activation!(activation, |a| gk::group_norm_act_input_grad(
                group_shape_of(&x, groups),
                data(&x),
                data(&dy),
                data(&gamma),
                data(&beta),
                data(&stats),
                data(&sums),
                epsilon,
                a,
            ));
            shaped_as(dx, &x)
        }
    }
}

mod autodiff {
    use super::super::norm::NormActivation;
    use super::FastNormOps;
    use burn::backend::autodiff::{
        Autodiff, NodeId,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    };
    use burn::backend::{AutodiffBackend, Slice, TensorMetadata, tensor::FloatTensor};

    /// Kept from the forward: the input and gamma are checkpointed; beta and the
    /// statistics (`[c]` and `[2, c]`) travel as they are.
    #[derive(Debug)]
    struct BatchNormAct;

    type State<B> = (
        NodeId,
        NodeId,
        FloatTensor<B>,
        FloatTensor<B>,
        f64,
        NormActivation,
    );

    impl<B: FastNormOps> Backward<B, 3> for BatchNormAct {
        type State = State<B>;

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [x_node, gamma_node, beta_node] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let (x_id, gamma_id, beta, stats, eps, act) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<B>>(x_id);
            let gamma = checkpointer.retrieve_node_output::<FloatTensor<B>>(gamma_id);
            let c = gamma.shape().dims::<1>()[0];
            let sums = B::fn_batch_norm_act_param_grads(
                x.clone(),
                dy.clone(),
                gamma.clone(),
                beta.clone(),
                stats.clone(),
                eps,
                act,
            );
            let row = |r: usize| {
                let slice =
                    B::float_slice(sums.clone(), &[Slice::from(r..r + 1), Slice::from(0..c)]);
                B::float_reshape(slice, [c].into())
            };
            if let Some(node) = beta_node {
                grads.register::<B>(node.id, row(0));
            }
            if let Some(node) = gamma_node {
                grads.register::<B>(node.id, row(1));
            }
            if let Some(node) = x_node {
                let dx = B::fn_batch_norm_act_input_grad(
                    x,
                    dy,
                    gamma,
                    beta,
                    stats,
                    sums.clone(),
                    eps,
                    act,
                );
                grads.register::<B>(node.id, dx);
            }
        }
    }

    /// Kept from the group norm's forward: as [`BatchNormAct`]'s, plus the group count.
    #[derive(Debug)]
    struct GroupNormAct;

    impl<B: FastNormOps> Backward<B, 3> for GroupNormAct {
        type State = (State<B>, usize);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let [x_node, gamma_node, beta_node] = ops.parents;
            let dy = grads.consume::<B>(&ops.node);
            let ((x_id, gamma_id, beta, stats, eps, act), groups) = ops.state;
            let x = checkpointer.retrieve_node_output::<FloatTensor<B>>(x_id);
            let gamma = checkpointer.retrieve_node_output::<FloatTensor<B>>(gamma_id);
            let [n, c] = {
                let dims = x.shape();
                [dims[0], dims[1]]
            };
            let sums = B::fn_group_norm_act_plane_sums(
                x.clone(),
                dy.clone(),
                gamma.clone(),
                beta.clone(),
                stats.clone(),
                groups,
                eps,
                act,
            );
            // [2, n, c] -> row r summed over the samples, [c].
            let row = |r: usize| {
                let slice = B::float_slice(
                    sums.clone(),
                    &[Slice::from(r..r + 1), Slice::from(0..n), Slice::from(0..c)],
                );
                B::float_reshape(B::float_sum_dim(slice, 1), [c].into())
            };
            if let Some(node) = beta_node {
                grads.register::<B>(node.id, row(0));
            }
            if let Some(node) = gamma_node {
                grads.register::<B>(node.id, row(1));
            }
            if let Some(node) = x_node {
                let dx = B::fn_group_norm_act_input_grad(
                    x,
                    dy,
                    gamma,
                    beta,
                    stats,
                    sums.clone(),
                    groups,
                    eps,
                    act,
                );
                grads.register::<B>(node.id, dx);
            }
        }
    }

    impl<B: FastNormOps, C: CheckpointStrategy> FastNormOps for Autodiff<B, C> {
        fn fn_channel_stats(x: FloatTensor<Self>) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fn_channel_stats(x.into_primitive()))
        }

        fn fn_batch_norm_act(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            epsilon: f64,
            activation: NormActivation,
        ) -> FloatTensor<Self> {
            let stats = stats.into_primitive();
            match BatchNormAct
                .prepare::<C>([x.node(), gamma.node(), beta.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let x_id = prep.checkpoint(&x);
                    let gamma_id = prep.checkpoint(&gamma);
                    let beta = beta.into_primitive();
                    let y = B::fn_batch_norm_act(
                        x.into_primitive(),
                        gamma.into_primitive(),
                        beta.clone(),
                        stats.clone(),
                        epsilon,
                        activation,
                    );
                    prep.finish((x_id, gamma_id, beta, stats, epsilon, activation), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::fn_batch_norm_act(
                    x.into_primitive(),
                    gamma.into_primitive(),
                    beta.into_primitive(),
                    stats,
                    epsilon,
                    activation,
                )),
            }
        }

        // The backward's passes on autodiff tensors (the bench may time them alone):
        // computed on the inner backend and returned as constants.
        fn fn_batch_norm_act_param_grads(
            x: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            epsilon: f64,
            activation: NormActivation,
        ) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fn_batch_norm_act_param_grads(
                x.into_primitive(),
                output_grad.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                stats.into_primitive(),
                epsilon,
                activation,
            ))
        }

        fn fn_batch_norm_act_input_grad(
            x: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            param_grads: FloatTensor<Self>,
            epsilon: f64,
            activation: NormActivation,
        ) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fn_batch_norm_act_input_grad(
                x.into_primitive(),
                output_grad.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                stats.into_primitive(),
                param_grads.into_primitive(),
                epsilon,
                activation,
            ))
        }

        fn fn_group_stats(x: FloatTensor<Self>, groups: usize) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fn_group_stats(x.into_primitive(), groups))
        }

        fn fn_group_norm_act(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            groups: usize,
            epsilon: f64,
            activation: NormActivation,
        ) -> FloatTensor<Self> {
            let stats = stats.into_primitive();
            match GroupNormAct
                .prepare::<C>([x.node(), gamma.node(), beta.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let x_id = prep.checkpoint(&x);
                    let gamma_id = prep.checkpoint(&gamma);
                    let beta = beta.into_primitive();
                    let y = B::fn_group_norm_act(
                        x.into_primitive(),
                        gamma.into_primitive(),
                        beta.clone(),
                        stats.clone(),
                        groups,
                        epsilon,
                        activation,
                    );
                    let state = (x_id, gamma_id, beta, stats, epsilon, activation);
                    prep.finish((state, groups), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::fn_group_norm_act(
                    x.into_primitive(),
                    gamma.into_primitive(),
                    beta.into_primitive(),
                    stats,
                    groups,
                    epsilon,
                    activation,
                )),
            }
        }

        fn fn_group_norm_act_plane_sums(
            x: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            groups: usize,
            epsilon: f64,
            activation: NormActivation,
        ) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fn_group_norm_act_plane_sums(
                x.into_primitive(),
                output_grad.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                stats.into_primitive(),
                groups,
                epsilon,
                activation,
            ))
        }

        fn fn_group_norm_act_input_grad(
            x: FloatTensor<Self>,
            output_grad: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            plane_sums: FloatTensor<Self>,
            groups: usize,
            epsilon: f64,
            activation: NormActivation,
        ) -> FloatTensor<Self> {
            <Self as AutodiffBackend>::from_inner(B::fn_group_norm_act_input_grad(
                x.into_primitive(),
                output_grad.into_primitive(),
                gamma.into_primitive(),
                beta.into_primitive(),
                stats.into_primitive(),
                plane_sums.into_primitive(),
                groups,
                epsilon,
                activation,
            ))
        }
    }
}
