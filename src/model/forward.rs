//! The BERT encoder's forward pass, top to bottom, in the manner of llama2.c's `run.c`:
//! embeddings, then per layer self-attention (its Q, K and V kept, per head, for the app to
//! analyse) and the feed-forward block, each with its residual and LayerNorm.
//!
//! Any layer can swap its softmax attention for linear attention with a feature map, so the
//! app can show how that layer's error spreads through the layers after it.

use ndarray::{Array1, Array2, Array3, ArrayView1, Axis, s};

use super::activations::{gelu, softmax_rows};
use super::products::times;
use super::weights::{ModelError, Weights};
use crate::attention::{Mask, linear_attention};
use crate::kernels::{FeatureMap, MapContext, Role};

/// One layer's attention, per head: Q, K, V are heads×n×head_dim, attention heads×n×n.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    pub queries: Array3<f32>,
    pub keys: Array3<f32>,
    pub values: Array3<f32>,
    /// Kept only by [`forward_with_attention`]: the app draws its maps from Q and K in f64,
    /// and at 512 tokens these would hold 36 MiB of the worker's memory for nothing.
    pub attention: Option<Array3<f32>>,
    /// The hidden states this layer outputs, n×hidden; `None` when the layer's output weights
    /// have not arrived yet (the pass stops there).
    pub hidden: Option<Array2<f32>>,
}

/// Everything the forward pass computed.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The embeddings, after their LayerNorm: the input of layer 0.
    pub embeddings: Array2<f32>,
    pub layers: Vec<LayerTrace>,
}

impl Trace {
    /// The hidden states after the last layer that has them (the embeddings if none has).
    pub fn last_hidden(&self) -> &Array2<f32> {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.hidden.as_ref())
            .unwrap_or(&self.embeddings)
    }

    /// Whether every layer of a model with `layers` layers ran to its output.
    pub fn is_complete(&self, layers: usize) -> bool {
        self.layers.len() == layers && self.layers.iter().all(|l| l.hidden.is_some())
    }
}

/// Which layers run linear attention instead of softmax, and with which maps: `maps[h]` for
/// head h (a trained map has its own weights per head); a single map serves every head.
pub struct Swap<'a> {
    pub layers: Vec<usize>,
    pub maps: &'a [Box<dyn FeatureMap>],
}

/// Run the encoder on token ids. `swap`, when given, replaces softmax attention in its layers.
/// The pass goes as far as the layer weights that have arrived: it stops before a layer
/// without its query/key/value projections, and after the attention of a layer without its
/// output weights.
pub fn forward(w: &Weights, ids: &[u32], swap: Option<&Swap<'_>>) -> Result<Trace, ModelError> {
    run(w, ids, swap, false)
}

/// [`forward`], keeping every head's attention map as well (for the checks against the
/// reference's).
pub fn forward_with_attention(
    w: &Weights,
    ids: &[u32],
    swap: Option<&Swap<'_>>,
) -> Result<Trace, ModelError> {
    run(w, ids, swap, true)
}

fn run(
    w: &Weights,
    ids: &[u32],
    swap: Option<&Swap<'_>>,
    keep_attention: bool,
) -> Result<Trace, ModelError> {
    let c = &w.config;
    let n = ids.len();
    if n > c.positions {
        return Err(ModelError::TooLong {
            tokens: n,
            positions: c.positions,
        });
    }
    let (heads, head_dim) = (c.heads, c.head_dim());
    let scale = 1.0 / (head_dim as f32).sqrt();

    // Embeddings: word + position + token type, then LayerNorm.
    let mut words = vec![0f32; n * c.hidden];
    for (&id, out) in ids.iter().zip(words.chunks_exact_mut(c.hidden.max(1))) {
        if id as usize >= c.vocab {
            return Err(ModelError::TokenId { id, vocab: c.vocab });
        }
        w.word_embeddings.decode_row(id as usize, out)?;
    }
    let mut x = Array2::from_shape_vec((n, c.hidden), words)
        .map_err(|e| ModelError::Format(e.to_string()))?;
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        row += &w.position_embeddings.row(i);
        row += &w.token_type;
    }
    layer_norm(
        &mut x,
        &w.embedding_norm_gain,
        &w.embedding_norm_bias,
        c.layer_norm_eps,
    );
    let embeddings = x.clone();

    let mut layers = Vec::with_capacity(w.layers.len());
    for (l, lw) in w.layers.iter().enumerate() {
        let Some(qkv) = lw.qkv.get() else { break };
        // Projections, then split into heads: heads×n×head_dim.
        let split = |m: Array2<f32>| -> Array3<f32> {
            let mut out = Array3::zeros((heads, n, head_dim));
            for h in 0..heads {
                out.slice_mut(s![h, .., ..])
                    .assign(&m.slice(s![.., h * head_dim..(h + 1) * head_dim]));
            }
            out
        };
        let queries = split(linear(&x, &qkv.query, &qkv.query_bias));
        let keys = split(linear(&x, &qkv.key, &qkv.key_bias));
        let values = split(linear(&x, &qkv.value, &qkv.value_bias));

        // Attention per head; the context vectors are concatenated back to n×hidden.
        let swapped = swap.filter(|s| s.layers.contains(&l));
        let mut attention = keep_attention.then(|| Array3::<f32>::zeros((heads, n, n)));
        let mut context = Array2::<f32>::zeros((n, c.hidden));
        for h in 0..heads {
            let (q, k, v) = (
                queries.slice(s![h, .., ..]),
                keys.slice(s![h, .., ..]),
                values.slice(s![h, .., ..]),
            );
            let (weights, output) = match swapped {
                // The model's own softmax runs in f32: it is the model, not the reference engine.
                None => {
                    let mut a = times(q, k.t());
                    softmax_rows(&mut a, scale);
                    let o = times(a.view(), v);
                    (a, o)
                }
                Some(s) => {
                    let Some(map) = s.maps.get(h).or(s.maps.first()) else {
                        return Err(ModelError::Swap(
                            "no feature map for the swapped layer".into(),
                        ));
                    };
                    let ctx = |role| MapContext {
                        role,
                        scale: f64::from(scale),
                        seq_len: n,
                    };
                    let phi_q = map.apply(q.mapv(f64::from).view(), &ctx(Role::Query));
                    let phi_k = map.apply(k.mapv(f64::from).view(), &ctx(Role::Key));
                    let r = linear_attention(
                        &phi_q,
                        &phi_k,
                        v.mapv(f64::from).view(),
                        Mask::Bidirectional,
                    );
                    (r.weights.mapv(|a| a as f32), r.output.mapv(|o| o as f32))
                }
            };
            if let Some(kept) = attention.as_mut() {
                kept.slice_mut(s![h, .., ..]).assign(&weights);
            }
            context
                .slice_mut(s![.., h * head_dim..(h + 1) * head_dim])
                .assign(&output);
        }

        let Some(lw) = lw.output.get() else {
            layers.push(LayerTrace {
                queries,
                keys,
                values,
                attention,
                hidden: None,
            });
            break;
        };
        // Output projection, residual, LayerNorm.
        let mut h1 = linear(&context, &lw.attention_out, &lw.attention_out_bias);
        h1 += &x;
        layer_norm(
            &mut h1,
            &lw.attention_norm_gain,
            &lw.attention_norm_bias,
            c.layer_norm_eps,
        );

        // Feed-forward with exact (erf) GELU, residual, LayerNorm.
        let mut inner = linear(&h1, &lw.ffn_in, &lw.ffn_in_bias);
        gelu(&mut inner);
        let mut h2 = linear(&inner, &lw.ffn_out, &lw.ffn_out_bias);
        h2 += &h1;
        layer_norm(
            &mut h2,
            &lw.ffn_norm_gain,
            &lw.ffn_norm_bias,
            c.layer_norm_eps,
        );

        x = h2;
        layers.push(LayerTrace {
            queries,
            keys,
            values,
            attention,
            hidden: Some(x.clone()),
        });
    }
    Ok(Trace { embeddings, layers })
}

/// `x·Wᵀ + b` for rows x, given Wᵀ (the layers keep their matrices transposed).
fn linear(x: &Array2<f32>, w_t: &Array2<f32>, b: &Array1<f32>) -> Array2<f32> {
    let mut y = times(x.view(), w_t.view());
    y += b;
    y
}

fn layer_norm(x: &mut Array2<f32>, gain: &Array1<f32>, bias: &Array1<f32>, eps: f32) {
    for mut row in x.rows_mut() {
        let n = row.len() as f32;
        let mean = row.sum() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + eps).sqrt();
        row.mapv_inplace(|v| (v - mean) * inv);
        row *= gain;
        row += bias;
    }
}

/// The sentence vector: mean of the token states, normalised to unit length
/// (sentence-transformers' pooling for this model).
pub fn sentence_vector(hidden: &Array2<f32>) -> Array1<f32> {
    let mean = hidden
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(hidden.ncols()));
    let norm = mean.dot(&mean).sqrt();
    if norm > 0.0 { mean / norm } else { mean }
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: ArrayView1<'_, f32>, b: ArrayView1<'_, f32>) -> f32 {
    let (na, nb) = (a.dot(&a).sqrt(), b.dot(&b).sqrt());
    if na > 0.0 && nb > 0.0 {
        a.dot(&b) / (na * nb)
    } else {
        0.0
    }
}
