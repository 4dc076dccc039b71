//! The shape of one convolution and the shape-only tuning of the kernels: every split of the
//! work is a function of these, never of the thread count, so results are the same bits
//! whatever the timing.

/// Shape-only tuning knobs. Defaults are sensible for a 2-16 core CPU; tests shrink them to
/// force several groups / chunks on tiny shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    /// Aim for at least this many gemm columns (`nb * P`) per group.
    pub target_cols: usize,
    /// At most this many f32 in one group's cols matrix (`K * nb * P`), ~8 MiB by default.
    pub col_budget: usize,
    /// Split the batch into at least this many groups (when it has as many images), so
    /// that the cores share the work evenly.
    pub min_groups: usize,
    /// Weight gradient: at most this many private accumulators (chunks).
    pub wgrad_max_chunks: usize,
    /// Weight gradient: at most this many f32 in all private accumulators together.
    pub wgrad_acc_budget: usize,
    /// Weight gradient: turn the operands channels-last when each group's product sums over
    /// at least this many positions (`nb * P`); below, keep them NCHW (`weight_grad`).
    pub wgrad_channels_last_min_columns: usize,
}

impl Default for KernelConfig {
    fn default() -> Self {
        Self {
            target_cols: 1024,
            min_groups: 4,
            col_budget: 2 * 1024 * 1024,
            wgrad_max_chunks: 4,
            wgrad_acc_budget: 16 * 1024 * 1024,
            wgrad_channels_last_min_columns: 256,
        }
    }
}

/// The geometry of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    pub batch: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    /// `[stride_h, stride_w]`, non-zero.
    pub stride: [usize; 2],
    /// `[pad_h, pad_w]`, symmetric zero padding.
    pub padding: [usize; 2],
}

impl ConvGeom {
    /// From the NCHW input dims and the `[oc, c, kh, kw]` weight dims.
    ///
    /// # Panics
    /// On a channel mismatch, a zero stride, or a kernel larger than the padded input.
    pub fn new(x: [usize; 4], w: [usize; 4], stride: [usize; 2], padding: [usize; 2]) -> Self {
        assert_eq!(
            x[1], w[1],
            "conv: input has {} channels, weight expects {} (groups = 1 only)",
            x[1], w[1]
        );
        assert!(
            stride[0] > 0 && stride[1] > 0,
            "conv: stride must be non-zero"
        );
        assert!(w[2] > 0 && w[3] > 0, "conv: empty kernel");
        assert!(
            x[2] + 2 * padding[0] >= w[2] && x[3] + 2 * padding[1] >= w[3],
            "conv: kernel {}x{} larger than the padded input {}x{}",
            w[2],
            w[3],
            x[2] + 2 * padding[0],
            x[3] + 2 * padding[1]
        );
        Self {
            batch: x[0],
            c_in: x[1],
            h: x[2],
            w: x[3],
            c_out: w[0],
            kh: w[2],
            kw: w[3],
            stride,
            padding,
        }
    }

    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.padding[0] - self.kh) / self.stride[0] + 1
    }
    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.padding[1] - self.kw) / self.stride[1] + 1
    }
    /// Output positions per item and channel, `P = oh*ow`.
    pub fn positions(&self) -> usize {
        self.out_h() * self.out_w()
    }
    /// Rows of the cols matrix, `K = c*kh*kw`.
    pub fn col_rows(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    pub fn x_len(&self) -> usize {
        self.batch * self.c_in * self.h * self.w
    }
    pub fn w_len(&self) -> usize {
        self.c_out * self.col_rows()
    }
    pub fn y_len(&self) -> usize {
        self.batch * self.c_out * self.positions()
    }
    pub fn out_dims(&self) -> [usize; 4] {
        [self.batch, self.c_out, self.out_h(), self.out_w()]
    }
    /// 1x1 kernel, stride 1, no padding: the cols matrix of an item IS the item `[c, h*w]`.
    pub(super) fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == [1, 1] && self.padding == [0, 0]
    }
    pub(super) fn is_empty(&self) -> bool {
        self.batch == 0 || self.c_in == 0 || self.c_out == 0 || self.positions() == 0
    }
    /// Items per group (shape-only): enough for [`KernelConfig::target_cols`] columns
    /// within [`KernelConfig::col_budget`], then evened out over at least
    /// [`KernelConfig::min_groups`] groups, so that parallel groups end together (32 images
    /// of a 4x4 map made groups of 28 and 4 before: one thread idled).
    pub(super) fn group_items(&self, cfg: &KernelConfig) -> usize {
        let p = self.positions().max(1);
        let k = self.col_rows().max(1);
        let batch = self.batch.max(1);
        let by_cols = cfg.target_cols.div_ceil(p);
        let by_budget = (cfg.col_budget / (k * p)).max(1);
        let most = by_cols.min(by_budget).clamp(1, batch);
        let groups = batch.div_ceil(most).max(cfg.min_groups.min(batch));
        batch.div_ceil(groups)
    }
}
