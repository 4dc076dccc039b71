//! One Adam step as a burn op (the backend-extension mechanism of [`super::extension`]): the
//! optimiser works on the parameters' inner tensors, so no gradient is ever taken through it.

use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

/// Adam's one-pass update ([`super::adam`]) as a backend op (f32, any shape).
#[backend_extension(Flex: cfg(feature = "flex"), Autodiff)]
pub trait FastAdamOps: Backend {
    /// The new (parameter, first moment, second moment), each shaped as `param`. `step` is
    /// `[beta_1, beta_2, combined_factor, epsilon_term, lr]` ([`super::adam::AdamStep`]).
    fn fa_adam_step(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: [f32; 5],
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// `[beta_1, beta_2, combined_factor, epsilon_term, lr]` back into an [`AdamStep`].
pub(super) fn unpack(step: [f32; 5]) -> super::adam::AdamStep {
    let [beta_1, beta_2, combined_factor, epsilon_term, lr] = step;
    super::adam::AdamStep {
        beta_1,
        beta_2,
        combined_factor,
        epsilon_term,
        lr,
    }
}

#[cfg(feature = "flex")]
mod flex {
    use super::super::adam::adam_step;
    use super::super::buffers::{data, dense, shaped_as};
    use super::{FastAdamOps, unpack};
    use burn::backend::Flex;
    use burn::backend::flex::FlexTensor;

    impl FastAdamOps for Flex {
        fn fa_adam_step(
            param: FlexTensor,
            grad: FlexTensor,
            moment_1: FlexTensor,
            moment_2: FlexTensor,
            step: [f32; 5],
        ) -> (FlexTensor, FlexTensor, FlexTensor) {
            let param = dense(param, "parameter");
            let grad = dense(grad, "gradient");
            let moment_1 = dense(moment_1, "first moment");
            let moment_2 = dense(moment_2, "second moment");
            let (p, m1, m2) = adam_step(
                data(&param),
                data(&grad),
                data(&moment_1),
                data(&moment_2),
                &unpack(step),
            );
            (
                shaped_as(p, &param),
                shaped_as(m1, &param),
                shaped_as(m2, &param),
            )
        }
    }
}

mod autodiff {
    use super::FastAdamOps;
    use burn::backend::AutodiffBackend;
    use burn::backend::autodiff::{Autodiff, checkpoint::strategy::CheckpointStrategy};
    use burn::backend::tensor::FloatTensor;

    // On autodiff tensors: computed on the inner backend, returned as constants.
    impl<B: FastAdamOps, C: CheckpointStrategy> FastAdamOps for Autodiff<B, C> {
        fn fa_adam_step(
            param: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            moment_1: FloatTensor<Self>,
            moment_2: FloatTensor<Self>,
            step: [f32; 5],
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
            let (p, m1, m2) = B::fa_adam_step(
                param.into_primitive(),
                grad.into_primitive(),
                moment_1.into_primitive(),
                moment_2.into_primitive(),
                step,
            );
            (
                <Self as AutodiffBackend>::from_inner(p),
                <Self as AutodiffBackend>::from_inner(m1),
                <Self as AutodiffBackend>::from_inner(m2),
            )
        }
    }
}
