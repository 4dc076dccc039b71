//! Shapes of every model for grey 28x28 and colour 32x32 images.

use autoencoders::autoencoder::AutoencoderConfig;
use autoencoders::vae::{VaeConfig, Variant};
use burn::prelude::*;

#[test]
fn every_vae_variant_rebuilds_the_input_shape() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    for (channels, side) in [(1, 28), (3, 32)] {
        let x = Tensor::<4>::zeros([2, channels, side, side], &device);
        for variant in Variant::ALL {
            let vae = VaeConfig::new(channels, side, 5)
                .with_width(4)
                .with_variant(variant)
                .init(&device);
            let out = vae.forward(x.clone());
            assert_eq!(out.logits.dims(), [2, channels, side, side], "{variant:?}");
            assert_eq!(out.mu.dims(), [2, 5]);
            assert_eq!(vae.generate(out.log_var).dims(), [2, channels, side, side]);
        }
        let ae = AutoencoderConfig::new(channels, side, 7)
            .with_width(4)
            .init(&device);
        let (code, out) = ae.forward(x.clone());
        assert_eq!(
            (code.dims(), out.dims()),
            ([2, 7], [2, channels, side, side])
        );
    }
}
