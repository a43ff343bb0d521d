//! Hedgehog (Zhang et al. 2024): a learned map `φ(x) = [exp(Wx + b), exp(−(Wx + b))]`,
//! trained per head to mimic that head's softmax attention. Weights are data: trained ones
//! ship per head ([`HedgehogSet`]); the untrained start is W = I, b = 0.

use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};

use super::{FeatureMap, Features, MapContext, stable_exp_rows};

/// One head's Hedgehog parameters: W is d_out×d, b has d_out entries.
#[derive(Debug, Clone, PartialEq)]
pub struct HedgehogWeights {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
    pub trained: bool,
}

pub struct Hedgehog {
    weights: HedgehogWeights,
}

impl Hedgehog {
    pub fn new(weights: HedgehogWeights) -> Self {
        Self { weights }
    }

    /// W = identity, b = 0: the starting point before training.
    pub fn untrained(d: usize) -> Self {
        Self::new(HedgehogWeights {
            w: Array2::eye(d),
            b: Array1::zeros(d),
            trained: false,
        })
    }
}

/// φ in MathML, as the kernel view shows it.
pub const FORMULA: &str = "<math><mi>φ</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo><mo>[</mo><msup><mi>e</mi><mrow><mi>W</mi><mi>x</mi><mo>+</mo><mi>b</mi></mrow></msup><mo>,</mo><msup><mi>e</mi><mrow><mo>−</mo><mo>(</mo><mi>W</mi><mi>x</mi><mo>+</mo><mi>b</mi><mo>)</mo></mrow></msup><mo>]</mo></math>";

impl FeatureMap for Hedgehog {
    fn name(&self) -> String {
        let features = 2 * self.weights.w.nrows();
        match (self.weights.trained, features) {
            (false, _) => "Hedgehog (untrained)".into(),
            (true, 64) => "Hedgehog".into(),
            (true, m) => format!("Hedgehog-{m}"),
        }
    }
    fn feature_dim(&self, _d: usize) -> usize {
        2 * self.weights.w.nrows()
    }
    fn parameters(&self) -> Vec<f32> {
        // W row by row, then b.
        let (w, b) = (&self.weights.w, &self.weights.b);
        w.iter().chain(b.iter()).map(|&x| x as f32).collect()
    }
    fn nonnegative_kernel(&self) -> bool {
        true
    }
    fn apply(&self, x: ArrayView2<'_, f64>, _ctx: &MapContext) -> Features {
        let mut logits = x.dot(&self.weights.w.t());
        logits += &self.weights.b;
        let both = concatenate(Axis(1), &[logits.view(), logits.mapv(|u| -u).view()])
            .unwrap_or_else(|_| Array2::zeros((x.nrows(), 2 * self.weights.w.nrows())));
        stable_exp_rows(&both, |_| 0.0)
    }
}

/// Trained Hedgehog weights for every head of the model, as shipped in
/// `assets/hedgehog.safetensors` (written by `tools/hedgehog/train.py`): per variant,
/// `NAME.w.q8` (I8, layers×heads×r×d, 8 bits per row), `NAME.w.scale` (F32, layers×heads×r)
/// and `NAME.b` (F32, layers×heads×r). Variants: `hedgehog` (r = 32: 64 features) and
/// `hedgehog128` (r = 64: 128 features); `hedgehog_causal`, where present, is used under
/// the causal mask.
#[derive(Debug, Clone, PartialEq)]
pub struct HedgehogSet {
    pub layers: usize,
    pub heads: usize,
    pub head_dim: usize,
    variants: Vec<(String, Vec<Arc<HedgehogWeights>>)>,
}

/// Why a Hedgehog weights file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HedgehogError {
    #[error("not a valid safetensors file: {0}")]
    Format(String),
    #[error("it lacks {0}")]
    Missing(String),
    #[error("{name} has {found}, expected {expected}")]
    Shape {
        name: String,
        found: String,
        expected: String,
    },
    #[error("{0} holds a value that is not finite")]
    NotFinite(String),
}

/// The trained variants the app offers, by file name: (name in the file, rows of W).
pub const HEDGEHOG_VARIANTS: [(&str, usize); 2] = [("hedgehog", 32), ("hedgehog128", 64)];

impl HedgehogSet {
    /// Read and check a weights file for a model of `layers`×`heads` heads of `head_dim`.
    pub fn from_safetensors(
        bytes: &[u8],
        layers: usize,
        heads: usize,
        head_dim: usize,
    ) -> Result<Self, HedgehogError> {
        use safetensors::{Dtype, SafeTensors};
        let file =
            SafeTensors::deserialize(bytes).map_err(|e| HedgehogError::Format(e.to_string()))?;
        let tensor = |name: &str, dtype: Dtype, shape: &[usize]| {
            let t = file
                .tensor(name)
                .map_err(|_| HedgehogError::Missing(name.to_string()))?;
            if t.dtype() != dtype || t.shape() != shape {
                return Err(HedgehogError::Shape {
                    name: name.to_string(),
                    found: format!("{:?} {:?}", t.dtype(), t.shape()),
                    expected: format!("{dtype:?} {shape:?}"),
                });
            }
            Ok(t.data().to_vec())
        };
        let floats = |name: &str, shape: &[usize]| -> Result<Vec<f64>, HedgehogError> {
            let raw = tensor(name, Dtype::F32, shape)?;
            let values: Vec<f64> = raw
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect();
            if values.iter().any(|x| !x.is_finite()) {
                return Err(HedgehogError::NotFinite(name.to_string()));
            }
            Ok(values)
        };
        let mut variants = Vec::new();
        let optional = [("hedgehog_causal", 32)];
        for (name, rows) in HEDGEHOG_VARIANTS.into_iter().chain(optional) {
            let codes_name = format!("{name}.w.q8");
            if !HEDGEHOG_VARIANTS.iter().any(|(n, _)| *n == name)
                && file.tensor(&codes_name).is_err()
            {
                continue;
            }
            let codes = tensor(&codes_name, Dtype::I8, &[layers, heads, rows, head_dim])?;
            let scale = floats(&format!("{name}.w.scale"), &[layers, heads, rows])?;
            let bias = floats(&format!("{name}.b"), &[layers, heads, rows])?;
            let per_head = (0..layers * heads)
                .map(|h| HedgehogWeights {
                    w: Array2::from_shape_fn((rows, head_dim), |(r, c)| {
                        f64::from(codes[(h * rows + r) * head_dim + c] as i8) * scale[h * rows + r]
                    }),
                    b: Array1::from_iter(bias[h * rows..(h + 1) * rows].iter().copied()),
                    trained: true,
                })
                .map(Arc::new)
                .collect();
            variants.push((name.to_string(), per_head));
        }
        Ok(Self {
            layers,
            heads,
            head_dim,
            variants,
        })
    }

    /// One head's weights of a variant (`hedgehog`, `hedgehog128`); under the causal mask the
    /// causal weights where they shipped for that width.
    pub fn head(
        &self,
        variant: &str,
        layer: usize,
        head: usize,
        causal: bool,
    ) -> Option<Arc<HedgehogWeights>> {
        if layer >= self.layers || head >= self.heads {
            return None;
        }
        let causal_name = format!("{variant}_causal");
        let pick = |name: &str| self.variants.iter().find(|(n, _)| n == name);
        let (_, weights) = causal
            .then(|| pick(&causal_name))
            .flatten()
            .or_else(|| pick(variant))?;
        weights.get(layer * self.heads + head).cloned()
    }
}
