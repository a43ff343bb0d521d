//! One uniform parameter struct per shader, field for field as the `struct` at binding 0 of its
//! WGSL file (every field 4 bytes, padded to 16), and the table the pipelines are built from.

use bytemuck::{Pod, Zeroable};

/// `shaders/scores.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct ScoresDims {
    pub n_q: u32,
    pub n_k: u32,
    pub d: u32,
    pub scale: f32,
}

/// `shaders/softmax_rows.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct SoftmaxRowsParams {
    pub rows: u32,
    pub cols: u32,
    pub causal: u32,
    pub scale: f32,
}

/// `shaders/softmax_streaming.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct SoftmaxStreamingParams {
    pub rows: u32,
    pub keys: u32,
    pub d: u32,
    pub d_v: u32,
    pub scale: f32,
    pub causal: u32,
    pub pad: [u32; 2],
}

/// `shaders/matmul.wgsl` and `shaders/matmul_tn.wgsl`: an n×k by k×m product.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct MatmulDims {
    pub n: u32,
    pub k: u32,
    pub m: u32,
    pub pad: u32,
}

/// `shaders/abs_prefix.wgsl`, `column_sums.wgsl`, `common_scale.wgsl` and `row_metrics.wgsl`:
/// a rows×cols matrix.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct MatrixDims {
    pub rows: u32,
    pub cols: u32,
    pub pad: [u32; 2],
}

impl MatrixDims {
    pub fn new(rows: usize, cols: usize) -> Self {
        Self {
            rows: rows as u32,
            cols: cols as u32,
            pad: [0; 2],
        }
    }
}

/// `shaders/error_maps.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct ErrorMapsDims {
    pub len: u32,
    pub pad: [u32; 3],
}

/// Every `shaders/features_*.wgsl`: the one interface all feature kernels share.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct FeatureParams {
    pub rows: u32,
    /// Entries per input row.
    pub d: u32,
    /// Entries per output row.
    pub features: u32,
    /// Which of the kernel's maps (its catalog row's `variant`).
    pub variant: u32,
    /// The softmax scale s of exp(s·q·k).
    pub scale: f32,
    /// The sequence length M of position-aware maps (cosFormer's cos(πi/2M)).
    pub horizon: u32,
    /// Length of the `parameters` binding.
    pub parameters: u32,
    pub pad: u32,
}

/// The bindings of every feature kernel: params, x, parameters, features, log_scale.
pub(super) const FEATURE_ACCESS: [Access; 5] = [U, R, R, W, W];

/// `shaders/linear_normalise.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct LinearNormaliseParams {
    pub rows: u32,
    pub cols: u32,
    pub feature_dim: u32,
    pub causal: u32,
}

/// `shaders/linear_readout.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct LinearReadoutParams {
    pub rows: u32,
    pub feature_dim: u32,
    pub value_dim: u32,
    pub pad: u32,
}

/// `shaders/chunk_states.wgsl` and `shaders/causal_readout.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct ChunkParams {
    pub rows: u32,
    pub feature_dim: u32,
    pub value_dim: u32,
    pub chunk: u32,
}

/// `shaders/chunk_prefix.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct ChunkPrefixParams {
    pub chunks: u32,
    /// feature_dim × (value_dim + 2).
    pub entries: u32,
    pub pad: [u32; 2],
}

/// How a kernel reads a binding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Access {
    Uniform,
    Read,
    ReadWrite,
}

use Access::{Read as R, ReadWrite as W, Uniform as U};

/// Every compute kernel of the engine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kernel {
    Scores,
    SoftmaxRows,
    SoftmaxStreaming,
    Matmul,
    MatmulTn,
    CommonScale,
    AbsPrefix,
    LinearNormalise,
    ColumnSums,
    LinearReadout,
    ChunkStates,
    ChunkPrefix,
    CausalReadout,
    RowMetrics,
    ErrorMaps,
}

/// One row per kernel but the feature maps' (those come from [`crate::kernels::CATALOG`]): its label, its WGSL (with any shared helpers it needs) and the access
/// of its bindings in order. The bind-group layouts are built from the accesses, not inferred.
pub(super) const KERNELS: [(Kernel, &str, &[&str], &[Access]); 15] = [
    (
        Kernel::Scores,
        "scores",
        &[wgsl!("scores.wgsl")],
        &[U, R, R, W],
    ),
    (
        Kernel::SoftmaxRows,
        "softmax rows",
        &[wgsl!("softmax_rows.wgsl")],
        &[U, W],
    ),
    (
        Kernel::SoftmaxStreaming,
        "softmax streaming",
        &[wgsl!("softmax_streaming.wgsl")],
        &[U, R, R, R, W],
    ),
    (
        Kernel::Matmul,
        "matmul",
        &[wgsl!("matmul.wgsl")],
        &[U, R, R, W],
    ),
    (
        Kernel::MatmulTn,
        "matmul tn",
        &[wgsl!("matmul_tn.wgsl")],
        &[U, R, R, W],
    ),
    (
        Kernel::CommonScale,
        "common scale",
        &[wgsl!("common_scale.wgsl")],
        &[U, W, R],
    ),
    (
        Kernel::AbsPrefix,
        "abs prefix",
        &[wgsl!("abs_prefix.wgsl")],
        &[U, R, W],
    ),
    (
        Kernel::LinearNormalise,
        "linear normalise",
        &[wgsl!("linear_normalise.wgsl")],
        &[U, W, R, R, W],
    ),
    (
        Kernel::ColumnSums,
        "column sums",
        &[wgsl!("column_sums.wgsl")],
        &[U, R, W],
    ),
    (
        Kernel::LinearReadout,
        "linear readout",
        &[wgsl!("linear_readout.wgsl")],
        &[U, R, R, R, R, W, W],
    ),
    (
        Kernel::ChunkStates,
        "chunk states",
        &[wgsl!("chunk_states.wgsl")],
        &[U, R, R, W],
    ),
    (
        Kernel::ChunkPrefix,
        "chunk prefix",
        &[wgsl!("chunk_prefix.wgsl")],
        &[U, W],
    ),
    (
        Kernel::CausalReadout,
        "causal readout",
        &[wgsl!("causal_readout.wgsl")],
        &[U, R, R, R, R, R, W, W],
    ),
    (
        Kernel::RowMetrics,
        "row metrics",
        &[wgsl!("row_metrics.wgsl")],
        &[U, R, R, W],
    ),
    (
        Kernel::ErrorMaps,
        "error maps",
        &[wgsl!("error_maps.wgsl")],
        &[U, R, R, W, W],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_order_of_the_kernels() {
        for (i, (kernel, ..)) in KERNELS.iter().enumerate() {
            assert_eq!(*kernel as usize, i, "{kernel:?}");
        }
    }

    /// The bindings a WGSL source declares, with their access.
    fn declared(source: &str) -> Vec<(u32, Access)> {
        source
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let rest = line.strip_prefix("@group(0) @binding(")?;
                let (index, rest) = rest.split_once(')')?;
                let access = if rest.contains("var<uniform>") {
                    Access::Uniform
                } else if rest.contains("var<storage, read_write>") {
                    Access::ReadWrite
                } else if rest.contains("var<storage, read>") {
                    Access::Read
                } else {
                    return None;
                };
                Some((index.parse().ok()?, access))
            })
            .collect()
    }

    fn numbered(access: &[Access]) -> Vec<(u32, Access)> {
        access
            .iter()
            .enumerate()
            .map(|(i, a)| (i as u32, *a))
            .collect()
    }

    /// The accesses in the table are those the WGSL declares, binding by binding.
    #[test]
    fn the_table_matches_every_shaders_bindings() {
        for (kernel, _, sources, access) in KERNELS {
            assert_eq!(declared(&sources.concat()), numbered(access), "{kernel:?}");
        }
    }

    /// Every feature kernel of the catalog declares the shared interface, and its params
    /// struct has the fields of [`FeatureParams`] in order.
    #[test]
    fn every_feature_kernel_has_the_shared_interface() {
        for info in crate::kernels::CATALOG {
            let source = info.gpu.source;
            assert_eq!(declared(source), numbered(&FEATURE_ACCESS), "{}", info.slug);
            let fields: String = source
                .split_once("struct Params {")
                .and_then(|(_, rest)| rest.split_once('}'))
                .map(|(body, _)| body.split_whitespace().collect())
                .unwrap_or_default();
            assert_eq!(
                fields,
                "rows:u32,d:u32,features:u32,variant:u32,scale:f32,horizon:u32,parameters:u32,_pad:u32,",
                "{}",
                info.slug
            );
        }
    }

    /// Each parameter struct is as large as the WGSL struct it mirrors (16-byte aligned).
    #[test]
    fn parameter_structs_fill_whole_16_byte_rows() {
        let sizes = [
            std::mem::size_of::<ScoresDims>(),
            std::mem::size_of::<SoftmaxRowsParams>(),
            std::mem::size_of::<SoftmaxStreamingParams>(),
            std::mem::size_of::<MatmulDims>(),
            std::mem::size_of::<MatrixDims>(),
            std::mem::size_of::<ErrorMapsDims>(),
            std::mem::size_of::<FeatureParams>(),
            std::mem::size_of::<LinearNormaliseParams>(),
            std::mem::size_of::<LinearReadoutParams>(),
            std::mem::size_of::<ChunkParams>(),
            std::mem::size_of::<ChunkPrefixParams>(),
        ];
        assert!(sizes.iter().all(|s| s % 16 == 0), "{sizes:?}");
    }
}
