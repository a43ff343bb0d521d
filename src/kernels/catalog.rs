//! Every feature map in one table: its key in links (and test ids), the label the controls
//! show, whether it is random or needs trained weights, and how the state's settings make it.
//! The CPU map itself lives in its own file; its formula is its `FeatureMap::formula`.

use super::{MapSpec, RandomParams};

/// The feature maps by the short names links use, in the order the controls list them (the
/// order of [`CATALOG`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapKey {
    Elu,
    Relu,
    ReluSquared,
    Performer,
    Trig,
    CosFormer,
    Taylor,
    /// Trained Hedgehog, 64 features.
    Hedgehog,
    /// Trained Hedgehog, 128 features.
    Hedgehog128,
    /// Hedgehog's untrained start (W = I), to show what training bought.
    HedgehogUntrained,
    Identity,
}

/// One row of [`CATALOG`].
pub struct MapInfo {
    pub key: MapKey,
    /// The name in links and test ids.
    pub slug: &'static str,
    /// What the controls show.
    pub label: &'static str,
    /// Random features: m, the seed and orthogonality apply.
    pub random: bool,
    /// The trained variant's name in `hedgehog.safetensors`, for maps that need trained weights.
    pub trained: Option<&'static str>,
    /// The map for the state's random-feature settings (a trained map: its untrained start,
    /// until its weights are looked up).
    pub spec: fn(RandomParams) -> MapSpec,
}

pub const CATALOG: [MapInfo; 11] = [
    MapInfo {
        key: MapKey::Elu,
        slug: "elu",
        label: "elu+1",
        random: false,
        trained: None,
        spec: |_| MapSpec::EluPlusOne,
    },
    MapInfo {
        key: MapKey::Relu,
        slug: "relu",
        label: "ReLU",
        random: false,
        trained: None,
        spec: |_| MapSpec::Relu,
    },
    MapInfo {
        key: MapKey::ReluSquared,
        slug: "relu2",
        label: "ReLU²",
        random: false,
        trained: None,
        spec: |_| MapSpec::ReluSquared,
    },
    MapInfo {
        key: MapKey::Performer,
        slug: "performer",
        label: "Performer FAVOR+",
        random: true,
        trained: None,
        spec: MapSpec::Performer,
    },
    MapInfo {
        key: MapKey::Trig,
        slug: "trig",
        label: "trig RFF",
        random: true,
        trained: None,
        spec: MapSpec::Trig,
    },
    MapInfo {
        key: MapKey::CosFormer,
        slug: "cosformer",
        label: "cosFormer",
        random: false,
        trained: None,
        spec: |_| MapSpec::CosFormer,
    },
    MapInfo {
        key: MapKey::Taylor,
        slug: "taylor",
        label: "Taylor (Based)",
        random: false,
        trained: None,
        spec: |_| MapSpec::Taylor,
    },
    MapInfo {
        key: MapKey::Hedgehog,
        slug: "hedgehog",
        label: "Hedgehog (trained)",
        random: false,
        trained: Some("hedgehog"),
        spec: |_| MapSpec::Hedgehog,
    },
    MapInfo {
        key: MapKey::Hedgehog128,
        slug: "hedgehog-128",
        label: "Hedgehog-128 (trained)",
        random: false,
        trained: Some("hedgehog128"),
        spec: |_| MapSpec::Hedgehog,
    },
    MapInfo {
        key: MapKey::HedgehogUntrained,
        slug: "hedgehog-untrained",
        label: "Hedgehog (untrained)",
        random: false,
        trained: None,
        spec: |_| MapSpec::Hedgehog,
    },
    MapInfo {
        key: MapKey::Identity,
        slug: "identity",
        label: "identity",
        random: false,
        trained: None,
        spec: |_| MapSpec::Identity,
    },
];

impl MapKey {
    /// Every key, in the controls' order.
    pub const ALL: [MapKey; 11] = {
        let mut all = [MapKey::Elu; 11];
        let mut i = 0;
        while i < CATALOG.len() {
            all[i] = CATALOG[i].key;
            i += 1;
        }
        all
    };

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

    /// A map's spec knows its key (trained maps: once their weights are in).
    #[test]
    fn each_spec_has_its_keys_slug() {
        let params = RandomParams {
            m: 16,
            seed: 1,
            orthogonal: true,
        };
        for info in CATALOG.iter().filter(|m| m.trained.is_none()) {
            assert_eq!((info.spec)(params).key(), info.key);
        }
    }
}
