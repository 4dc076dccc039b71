//! The hand-written ops: by hand on tiny inputs, and against burn on a grid.

use cnn::experiments::conv_ops::{ConvOpsConfig, compare_with_burn};
use cnn::ops::{Maps, avg_pool2d, conv2d, max_pool2d, output_size};
use nn_core::ExperimentConfig;

#[test]
fn output_size_formula() {
    assert_eq!(output_size(28, 3, 1, 1), Some(28)); // "same" padding
    assert_eq!(output_size(28, 2, 0, 2), Some(14)); // 2x2 pooling halves
    assert_eq!(output_size(32, 5, 0, 1), Some(28));
    assert_eq!(output_size(7, 3, 0, 2), Some(3));
    assert_eq!(output_size(11, 5, 2, 3), Some(4)); // floor((11 + 4 - 5) / 3) + 1
    assert_eq!(output_size(2, 5, 1, 1), None); // the kernel does not fit
}

#[test]
fn convolution_and_pooling_by_hand() {
    // 1x1x3x3 input 1..9, 2x2 kernel [[1, 0], [0, -1]]: out[y, x] = in[y, x] - in[y+1, x+1] = -4.
    let input = Maps {
        shape: [1, 1, 3, 3],
        data: (1..=9).map(|v| v as f32).collect(),
    };
    let kernel = Maps {
        shape: [1, 1, 2, 2],
        data: vec![1.0, 0.0, 0.0, -1.0],
    };
    assert_eq!(conv2d(&input, &kernel, None, 1, 0).data, vec![-4.0; 4]);
    // Padding 1, stride 2, bias 0.5: out[y, x] = 0.5 + P[2y, 2x] - P[2y+1, 2x+1] on the
    // zero-padded 5x5 P: 0.5 + 0 - 1, 0.5 + 0 - 3, 0.5 + 0 - 7, 0.5 + 5 - 9.
    let padded = conv2d(&input, &kernel, Some(&[0.5]), 2, 1);
    assert_eq!(padded.shape, [1, 1, 2, 2]);
    assert_eq!(padded.data, vec![-0.5, -2.5, -6.5, -3.5]);
    assert_eq!(max_pool2d(&input, 2, 1, 0).data, vec![5.0, 6.0, 8.0, 9.0]);
    assert_eq!(avg_pool2d(&input, 2, 1, 0).data, vec![3.0, 4.0, 6.0, 7.0]);
    // Average pooling counts padding as zeros: the corner window holds 1 of 4 values.
    assert_eq!(avg_pool2d(&input, 2, 2, 1).data[0], 0.25);
}

#[test]
fn hand_written_ops_match_burn_on_a_grid() {
    let device = nn_core::backend::device(nn_core::BackendKind::Flex).unwrap();
    let (conv, max, avg, checked) = compare_with_burn(&ConvOpsConfig::quick(), 7, &device).unwrap();
    assert!(checked >= 30, "{checked} combinations");
    // Stated bar: max abs error below 1e-5 (f32 sums of at most 75 products).
    assert!(
        conv < 1e-5 && max < 1e-5 && avg < 1e-5,
        "conv {conv:e}, max {max:e}, avg {avg:e}"
    );
}
