//! Every feature map in one table, [`CATALOG`]: its key, the name links use, the label the
//! controls show, its formula, how the CPU builds it and which GPU kernel computes it. Adding
//! a map means one row here, its CPU file in `kernels/` and its WGSL file in `shaders/`.

use super::{
    CosFormer, EluPlusOne, FeatureMap, Hedgehog, Identity, MapSpec, Performer, Relu, ReluSquared,
    Taylor, TrigRandomFeatures,
};

/// How a GPU feature kernel is dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    /// One workgroup of 64 per row (maps that reduce over a row, such as its largest logit).
    Rows,
    /// One invocation per entry of the input.
    Inputs,
    /// One invocation per entry of the output.
    Features,
}

/// A map's GPU kernel. Every feature kernel has the same interface: the `FeatureParams`
/// uniform at binding 0, the rows x at 1, the map's [`FeatureMap::parameters`] at 2, the
/// features at 3 and a per-row log-scale at 4 (see `shaders/features_*.wgsl`).
#[derive(Debug, PartialEq, Eq)]
pub struct GpuFeatures {
    /// The pipeline's label; maps that share a kernel share its label.
    pub label: &'static str,
    /// The WGSL, with any shared helper it needs prepended.
    pub source: &'static str,
    /// Which of the kernel's maps this is (the shader's `params.variant`).
    pub variant: u32,
    pub grid: Grid,
    /// The kernel writes a per-row log-scale (its features are scaled exponentials).
    pub log_scale: bool,
}

/// One row of [`CATALOG`].
pub struct MapInfo {
    pub key: MapKey,
    /// The name in links and test ids.
    pub slug: &'static str,
    /// What the controls show.
    pub label: &'static str,
    /// φ in MathML.
    pub formula: &'static str,
    /// Random features: m, the seed and orthogonality apply.
    pub random: bool,
    /// The trained variant's name in `hedgehog.safetensors`, for maps that need trained weights.
    pub trained: Option<&'static str>,
    /// The CPU map for a request and head dimension d.
    pub cpu: fn(&MapSpec, usize) -> Box<dyn FeatureMap>,
    pub gpu: GpuFeatures,
}

/// The table, and [`MapKey`] with one variant per row in the same order.
macro_rules! feature_maps {
    ($($key:ident { $($field:ident: $value:expr),* $(,)? })*) => {
        /// The feature maps, in the order the controls list them (the order of [`CATALOG`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MapKey { $($key),* }

        pub const CATALOG: &[MapInfo] = &[$(MapInfo { key: MapKey::$key, $($field: $value),* }),*];
    };
}

/// A feature kernel's WGSL: the interface all of them share, any helpers, then the kernel.
macro_rules! features_wgsl {
    ($($file:literal),+) => {
        concat!(
            include_str!(concat!(env!("OUT_DIR"), "/shaders/features_interface.wgsl")),
            $(include_str!(concat!(env!("OUT_DIR"), "/shaders/", $file))),+
        )
    };
}

const POINTWISE: &str = features_wgsl!("features_pointwise.wgsl");

/// The four maps of `features_pointwise.wgsl`, by its `variant`.
const fn pointwise(variant: u32) -> GpuFeatures {
    GpuFeatures {
        label: "pointwise features",
        source: POINTWISE,
        variant,
        grid: Grid::Inputs,
        log_scale: false,
    }
}

/// Performer (variant 0) and trig (1) of `features_random.wgsl`.
const fn random(variant: u32) -> GpuFeatures {
    GpuFeatures {
        label: "random features",
        source: features_wgsl!("accurate_trig.wgsl", "features_random.wgsl"),
        variant,
        grid: Grid::Rows,
        log_scale: true,
    }
}

/// Hedgehog's kernel, trained or not.
const HEDGEHOG_KERNEL: GpuFeatures = GpuFeatures {
    label: "Hedgehog features",
    source: features_wgsl!("features_hedgehog.wgsl"),
    variant: 0,
    grid: Grid::Rows,
    log_scale: true,
};

/// Hedgehog with the request's weights where they fit this head, else the untrained start.
fn hedgehog(spec: &MapSpec, d: usize) -> Box<dyn FeatureMap> {
    Box::new(match spec.weights.as_deref() {
        Some(w) if w.w.ncols() == d && w.b.len() == w.w.nrows() => Hedgehog::new(w.clone()),
        _ => Hedgehog::untrained(d),
    })
}

feature_maps! {
    Elu {
        slug: "elu",
        label: "elu+1",
        formula: super::elu::FORMULA,
        random: false,
        trained: None,
        cpu: |_, _| Box::new(EluPlusOne),
        gpu: pointwise(1),
    }
    Relu {
        slug: "relu",
        label: "ReLU",
        formula: super::relu::RELU_FORMULA,
        random: false,
        trained: None,
        cpu: |_, _| Box::new(Relu),
        gpu: pointwise(2),
    }
    ReluSquared {
        slug: "relu2",
        label: "ReLU²",
        formula: super::relu::RELU_SQUARED_FORMULA,
        random: false,
        trained: None,
        cpu: |_, _| Box::new(ReluSquared),
        gpu: pointwise(3),
    }
    Performer {
        slug: "performer",
        label: "Performer FAVOR+",
        formula: super::performer::FORMULA,
        random: true,
        trained: None,
        cpu: |spec, d| Box::new(Performer::new(d, spec.random_params())),
        gpu: random(0),
    }
    Trig {
        slug: "trig",
        label: "trig RFF",
        formula: super::trig::FORMULA,
        random: true,
        trained: None,
        cpu: |spec, d| Box::new(TrigRandomFeatures::new(d, spec.random_params())),
        gpu: random(1),
    }
    CosFormer {
        slug: "cosformer",
        label: "cosFormer",
        formula: super::cosformer::FORMULA,
        random: false,
        trained: None,
        cpu: |_, _| Box::new(CosFormer),
        gpu: GpuFeatures {
            label: "cosFormer features",
            source: features_wgsl!("accurate_trig.wgsl", "features_cosformer.wgsl"),
            variant: 0,
            grid: Grid::Inputs,
            log_scale: false,
        },
    }
    Taylor {
        slug: "taylor",
        label: "Taylor (Based)",
        formula: super::taylor::FORMULA,
        random: false,
        trained: None,
        cpu: |_, _| Box::new(Taylor),
        gpu: GpuFeatures {
            label: "Taylor features",
            source: features_wgsl!("features_taylor.wgsl"),
            variant: 0,
            grid: Grid::Features,
            log_scale: false,
        },
    }
    Hedgehog {
        slug: "hedgehog",
        label: "Hedgehog (trained)",
        formula: super::hedgehog::FORMULA,
        random: false,
        trained: Some("hedgehog"),
        cpu: hedgehog,
        gpu: HEDGEHOG_KERNEL,
    }
    Hedgehog128 {
        slug: "hedgehog-128",
        label: "Hedgehog-128 (trained)",
        formula: super::hedgehog::FORMULA,
        random: false,
        trained: Some("hedgehog128"),
        cpu: hedgehog,
        gpu: HEDGEHOG_KERNEL,
    }
    HedgehogUntrained {
        slug: "hedgehog-untrained",
        label: "Hedgehog (untrained)",
        formula: super::hedgehog::FORMULA,
        random: false,
        trained: None,
        cpu: |_, d| Box::new(Hedgehog::untrained(d)),
        gpu: HEDGEHOG_KERNEL,
    }
    Identity {
        slug: "identity",
        label: "identity",
        formula: super::identity::FORMULA,
        random: false,
        trained: None,
        cpu: |_, _| Box::new(Identity),
        gpu: pointwise(0),
    }
}

impl MapKey {
    /// Every key, in the controls' order.
    pub fn all() -> impl Iterator<Item = MapKey> {
        CATALOG.iter().map(|m| m.key)
    }

    pub fn info(self) -> &'static MapInfo {
        // The enum's order is the table's (a test checks it).
        &CATALOG[self as usize]
    }

    pub fn as_str(self) -> &'static str {
        self.info().slug
    }

    pub fn label(self) -> &'static str {
        self.info().label
    }

    pub fn parse(text: &str) -> Option<Self> {
        CATALOG.iter().find(|m| m.slug == text).map(|m| m.key)
    }

    pub fn is_random(self) -> bool {
        self.info().random
    }

    /// The trained variant's name in the weights file, for the maps that need trained weights.
    pub fn trained_variant(self) -> Option<&'static str> {
        self.info().trained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_are_in_the_order_of_the_table_and_slugs_are_unique() {
        for (i, info) in CATALOG.iter().enumerate() {
            assert_eq!(info.key as usize, i, "{}", info.slug);
            assert_eq!(MapKey::parse(info.slug), Some(info.key));
        }
        let mut slugs: Vec<&str> = CATALOG.iter().map(|m| m.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), CATALOG.len());
    }

    /// Each row builds its map, keeps random settings only where they apply, and names a
    /// GPU kernel.
    #[test]
    fn every_row_builds_a_map() {
        use crate::kernels::RandomParams;
        let params = RandomParams {
            m: 16,
            seed: 1,
            orthogonal: true,
        };
        for info in CATALOG {
            let spec = MapSpec::new(info.key, params);
            assert_eq!(spec.random.is_some(), info.random, "{}", info.slug);
            let map = spec.build(8);
            assert!(map.feature_dim(8) > 0, "{}", info.slug);
            assert!(info.gpu.source.contains("fn main("), "{}", info.slug);
        }
    }
}
