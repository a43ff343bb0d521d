//! The model's weights as plain structs, read from a safetensors file and validated.
//!
//! A matrix is stored one of three ways, and dequantised here once, at load (the word embeddings
//! stay encoded, and a row is decoded when a token needs it):
//! - `NAME` as F32;
//! - `NAME.q8` (I8, rows×cols) and `NAME.scale` (F32 per row): `w = q · scale`;
//! - `NAME.qB` for B from 2 to 7 (U8, rows×⌈cols·B/8⌉: each row's B-bit values packed least
//!   significant bit first, so 4 bits puts the low nibble first) with `NAME.scale` and `NAME.min`
//!   (F16, one per group of `group` columns): `w = q · scale + min`.
//!
//! The file's metadata gives `heads`, `group` and `eps`; every other size comes from the
//! tensors' shapes and is checked against the rest. The shipped model file holds no layer: its
//! metadata gives `layers`, `intermediate` and the index of the layer files
//! (`layer_files.bytes`, `layer_files.fnv1a64`, in the order 0.qkv, 0.output, 1.qkv, …), whose
//! tensors have the same names and encodings and are checked the same way when they arrive.

use std::collections::HashMap;
use std::sync::OnceLock;

use half::f16;
use ndarray::{Array1, Array2};
use safetensors::{Dtype, SafeTensors};

use super::embeddings::{ShardError, WordEmbeddings, fnv1a64};

/// Sizes of the encoder.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub vocab: usize,
    pub positions: usize,
    pub hidden: usize,
    pub heads: usize,
    pub layers: usize,
    pub intermediate: usize,
    pub layer_norm_eps: f32,
}

impl Config {
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

/// One encoder layer's query, key and value projections: all that a map of the layer needs,
/// given the layers before it. Each matrix is kept as Wᵀ, in×out, for `y = x·Wᵀ + b` on rows x
/// (the file stores W, out×in): the forward pass's products read Wᵀ's rows
/// (`model::products::outer`).
#[derive(Debug, Clone)]
pub struct QkvWeights {
    pub query: Array2<f32>,
    pub query_bias: Array1<f32>,
    pub key: Array2<f32>,
    pub key_bias: Array1<f32>,
    pub value: Array2<f32>,
    pub value_bias: Array1<f32>,
}

/// The rest of an encoder layer: what turns its attention into the next layer's input. Its
/// matrices are kept as Wᵀ too.
#[derive(Debug, Clone)]
pub struct OutputWeights {
    pub attention_out: Array2<f32>,
    pub attention_out_bias: Array1<f32>,
    pub attention_norm_gain: Array1<f32>,
    pub attention_norm_bias: Array1<f32>,
    pub ffn_in: Array2<f32>,
    pub ffn_in_bias: Array1<f32>,
    pub ffn_out: Array2<f32>,
    pub ffn_out_bias: Array1<f32>,
    pub ffn_norm_gain: Array1<f32>,
    pub ffn_norm_bias: Array1<f32>,
}

/// One encoder layer, in two parts. The shipped model keeps each part in a file of its own
/// (`layers/{l}.qkv.safetensors`, `layers/{l}.output.safetensors`) that arrives after the
/// model file, so the first map waits only for the parts it needs.
#[derive(Debug, Clone, Default)]
pub struct LayerWeights {
    pub qkv: OnceLock<QkvWeights>,
    pub output: OnceLock<OutputWeights>,
}

/// The layer files' sizes and FNV-1a 64 hashes, in file order (0.qkv, 0.output, 1.qkv, …), as
/// the model file's metadata lists them (`layer_files.bytes`, `layer_files.fnv1a64`).
#[derive(Debug, Clone)]
struct LayerFiles {
    bytes: Vec<usize>,
    hashes: Vec<u64>,
    group: usize,
}

/// Where the layer files lie, relative to the site (and to the assets folder).
pub const LAYER_FOLDER: &str = "layers";

#[derive(Debug, Clone)]
pub struct Weights {
    pub config: Config,
    /// Kept encoded, and in the shipped model fetched in shards as texts need them: a text needs
    /// a few dozen of its rows, and decoding all of them would take 47 MB of f32.
    pub word_embeddings: WordEmbeddings,
    pub position_embeddings: Array2<f32>,
    /// Token type 0: kernelscope always feeds a single segment.
    pub token_type: Array1<f32>,
    pub embedding_norm_gain: Array1<f32>,
    pub embedding_norm_bias: Array1<f32>,
    pub layers: Vec<LayerWeights>,
    /// `None` when the model file holds its layers.
    layer_files: Option<LayerFiles>,
}

/// A matrix in its stored encoding (see the module's notes); rows decode on demand.
#[derive(Debug, Clone)]
pub struct EncodedMatrix {
    rows: usize,
    cols: usize,
    encoding: Encoding,
}

#[derive(Debug, Clone)]
enum Encoding {
    F32(Vec<f32>),
    Rows8 {
        codes: Vec<i8>,
        scale: Vec<f32>,
    },
    Grouped {
        bits: usize,
        group: usize,
        packed: Vec<u8>,
        scale: Vec<f32>,
        min: Vec<f32>,
    },
}

impl EncodedMatrix {
    /// A grouped matrix from its parts (the caller has checked their lengths).
    pub(crate) fn grouped(
        rows: usize,
        cols: usize,
        bits: usize,
        group: usize,
        packed: Vec<u8>,
        scale: Vec<f32>,
        min: Vec<f32>,
    ) -> Self {
        Self {
            rows,
            cols,
            encoding: Encoding::Grouped {
                bits,
                group,
                packed,
                scale,
                min,
            },
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `r` decoded into `out` (`cols` long; the caller checks `r < rows`).
    pub fn decode_row(&self, r: usize, out: &mut [f32]) {
        let cols = self.cols;
        match &self.encoding {
            Encoding::F32(values) => out.copy_from_slice(&values[r * cols..(r + 1) * cols]),
            Encoding::Rows8 { codes, scale } => {
                for (value, &q) in out.iter_mut().zip(&codes[r * cols..(r + 1) * cols]) {
                    *value = f32::from(q) * scale[r];
                }
            }
            Encoding::Grouped {
                bits,
                group,
                packed,
                scale,
                min,
            } => {
                let (bits, groups) = (*bits, cols / group);
                let row_bytes = (cols * bits).div_ceil(8);
                let bytes = &packed[r * row_bytes..(r + 1) * row_bytes];
                let mask = (1u16 << bits) - 1;
                for (g, out) in out.chunks_exact_mut(*group).enumerate() {
                    let (scale, min) = (scale[r * groups + g], min[r * groups + g]);
                    for (c, value) in out.iter_mut().enumerate() {
                        // Packed least significant bit first: a value spans two bytes at most.
                        let bit = (g * group + c) * bits;
                        let low = u16::from(bytes[bit / 8]);
                        let high = bytes.get(bit / 8 + 1).map_or(0, |&b| u16::from(b));
                        let q = ((low | high << 8) >> (bit % 8)) & mask;
                        *value = f32::from(q) * scale + min;
                    }
                }
            }
        }
    }

    /// Every row decoded, into the transpose (cols×rows): decoded straight into place, so that
    /// loading a layer never holds W and Wᵀ at once (the wasm heap keeps its high-water mark).
    fn dense_transposed(&self) -> Result<Array2<f32>, ModelError> {
        let mut values = vec![0f32; self.rows * self.cols];
        let mut row = vec![0f32; self.cols];
        for r in 0..self.rows {
            self.decode_row(r, &mut row);
            for (c, &value) in row.iter().enumerate() {
                values[c * self.rows + r] = value;
            }
        }
        Array2::from_shape_vec((self.cols, self.rows), values)
            .map_err(|e| ModelError::Format(e.to_string()))
    }

    /// Every row decoded.
    fn dense(&self) -> Result<Array2<f32>, ModelError> {
        let mut values = vec![0f32; self.rows * self.cols];
        for (r, out) in values.chunks_exact_mut(self.cols.max(1)).enumerate() {
            self.decode_row(r, out);
        }
        Array2::from_shape_vec((self.rows, self.cols), values)
            .map_err(|e| ModelError::Format(e.to_string()))
    }
}

/// Why a model file could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("the model file is not valid safetensors: {0}")]
    Format(String),
    #[error("the model file lacks the tensor {0}")]
    Missing(String),
    #[error("the model file's tensor {name} has {found}, expected {expected}")]
    Shape {
        name: String,
        found: String,
        expected: String,
    },
    #[error("the model file's metadata {0}")]
    Metadata(String),
    #[error("token id {id} is outside the vocabulary of {vocab}")]
    TokenId { id: u32, vocab: usize },
    #[error("the embedding of token {id} has not been fetched")]
    RowMissing { id: u32 },
    #[error("{tokens} tokens exceed the model's {positions} positions")]
    TooLong { tokens: usize, positions: usize },
    #[error("the linear swap is malformed: {0}")]
    Swap(String),
    #[error("the model's layers have not all arrived")]
    Incomplete,
    /// A layer file that failed its check (the same checks as a word-embedding shard's).
    #[error(transparent)]
    File(#[from] ShardError),
}

/// The bit widths a grouped matrix may use (8 bits is stored per row, as `.q8`).
const GROUPED_BITS: [usize; 6] = [2, 3, 4, 5, 6, 7];

struct File<'a> {
    tensors: SafeTensors<'a>,
    group: usize,
}

impl File<'_> {
    fn raw(
        &self,
        name: &str,
        dtype: Dtype,
        dims: usize,
    ) -> Result<(Vec<usize>, &[u8]), ModelError> {
        let view = self
            .tensors
            .tensor(name)
            .map_err(|_| ModelError::Missing(name.to_string()))?;
        if view.dtype() != dtype || view.shape().len() != dims {
            return Err(ModelError::Shape {
                name: name.into(),
                found: format!("{:?} {:?}", view.dtype(), view.shape()),
                expected: format!("{dtype:?} with {dims} dimensions"),
            });
        }
        Ok((view.shape().to_vec(), view.data()))
    }

    fn has(&self, name: &str) -> bool {
        self.tensors.tensor(name).is_ok()
    }

    /// Whether this file holds layer `l` (a model file with its layers).
    fn has_layer(&self, l: usize) -> bool {
        self.rows_of(&format!("encoder.layer.{l}.attention.self.query.weight"))
            .is_ok()
    }

    fn vector(&self, name: &str, len: usize) -> Result<Array1<f32>, ModelError> {
        let (shape, data) = self.raw(name, Dtype::F32, 1)?;
        expect_shape(name, &shape, &[len])?;
        Ok(Array1::from(f32s(data)))
    }

    /// A matrix in any of the three encodings, checked to be rows×cols, dequantised.
    fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<Array2<f32>, ModelError> {
        self.encoded(name, rows, cols)?.dense()
    }

    /// The same, transposed: cols×rows.
    fn matrix_transposed(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<Array2<f32>, ModelError> {
        self.encoded(name, rows, cols)?.dense_transposed()
    }

    /// A matrix in any of the three encodings, checked to be rows×cols, as stored.
    fn encoded(&self, name: &str, rows: usize, cols: usize) -> Result<EncodedMatrix, ModelError> {
        let encoding = if self.has(name) {
            let (shape, data) = self.raw(name, Dtype::F32, 2)?;
            expect_shape(name, &shape, &[rows, cols])?;
            Encoding::F32(f32s(data))
        } else if self.has(&format!("{name}.q8")) {
            let (shape, data) = self.raw(&format!("{name}.q8"), Dtype::I8, 2)?;
            expect_shape(name, &shape, &[rows, cols])?;
            let scale = self.vector(&format!("{name}.scale"), rows)?.to_vec();
            Encoding::Rows8 {
                codes: data.iter().map(|&b| b as i8).collect(),
                scale,
            }
        } else {
            let (bits, packed) = self.grouped_name(name)?;
            let (shape, data) = self.raw(&packed, Dtype::U8, 2)?;
            if !cols.is_multiple_of(self.group) {
                return Err(ModelError::Metadata(format!(
                    "group {} does not divide {cols} columns of {name}",
                    self.group
                )));
            }
            expect_shape(name, &shape, &[rows, (cols * bits).div_ceil(8)])?;
            let groups = cols / self.group;
            Encoding::Grouped {
                bits,
                group: self.group,
                packed: data.to_vec(),
                scale: self.halves(&format!("{name}.scale"), rows, groups)?,
                min: self.halves(&format!("{name}.min"), rows, groups)?,
            }
        };
        Ok(EncodedMatrix {
            rows,
            cols,
            encoding,
        })
    }

    /// The packed tensor of a grouped matrix, `NAME.qB` for B from 2 to 7 bits.
    fn grouped_name(&self, name: &str) -> Result<(usize, String), ModelError> {
        GROUPED_BITS
            .iter()
            .map(|&bits| (bits, format!("{name}.q{bits}")))
            .find(|(_, packed)| self.has(packed))
            .ok_or_else(|| ModelError::Missing(name.to_string()))
    }

    fn halves(&self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>, ModelError> {
        let (shape, data) = self.raw(name, Dtype::F16, 2)?;
        expect_shape(name, &shape, &[rows, cols])?;
        Ok(data
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect())
    }

    /// The first dimension of a matrix in whichever encoding it is stored.
    fn rows_of(&self, name: &str) -> Result<usize, ModelError> {
        let grouped = self.grouped_name(name).map(|(_, packed)| packed);
        for candidate in [name.to_string(), format!("{name}.q8")]
            .into_iter()
            .chain(grouped)
        {
            if let Ok(view) = self.tensors.tensor(&candidate) {
                return view
                    .shape()
                    .first()
                    .copied()
                    .ok_or_else(|| ModelError::Missing(name.into()));
            }
        }
        Err(ModelError::Missing(name.to_string()))
    }
}

fn expect_shape(name: &str, found: &[usize], expected: &[usize]) -> Result<(), ModelError> {
    if found == expected {
        Ok(())
    } else {
        Err(ModelError::Shape {
            name: name.into(),
            found: format!("{found:?}"),
            expected: format!("{expected:?}"),
        })
    }
}

fn f32s(data: &[u8]) -> Vec<f32> {
    data.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn metadata_number(metadata: &HashMap<String, String>, key: &str) -> Result<f64, ModelError> {
    let text = metadata
        .get(key)
        .ok_or_else(|| ModelError::Metadata(format!("lacks \"{key}\"")))?;
    crate::decimal::parse(text)
        .ok_or_else(|| ModelError::Metadata(format!("\"{key}\" is not a number")))
}

impl Weights {
    /// The model file in `folder` and every layer file and word-embedding shard beside it
    /// (native: tests, examples and benchmarks read the shipped model from `assets/`).
    pub fn from_folder(folder: &std::path::Path) -> Result<Self, String> {
        let path = folder.join("model.safetensors");
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let weights = Self::from_safetensors(&bytes).map_err(|e| e.to_string())?;
        weights.load_layers(folder)?;
        weights.word_embeddings.load_all(folder)?;
        Ok(weights)
    }

    /// Read and dequantise a model file, checking every shape.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ModelError> {
        let (_, header) =
            SafeTensors::read_metadata(bytes).map_err(|e| ModelError::Format(e.to_string()))?;
        let metadata: HashMap<String, String> = header
            .metadata()
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let tensors =
            SafeTensors::deserialize(bytes).map_err(|e| ModelError::Format(e.to_string()))?;
        let heads = metadata_number(&metadata, "heads")? as usize;
        let group = metadata_number(&metadata, "group")? as usize;
        let eps = metadata_number(&metadata, "eps")? as f32;
        if heads == 0 || group == 0 {
            return Err(ModelError::Metadata("has zero heads or group".into()));
        }
        let file = File { tensors, group };

        let hidden = file.raw("embeddings.LayerNorm.weight", Dtype::F32, 1)?.0[0];
        // The shipped model's word embeddings are in shard files, indexed by the metadata.
        let word_embeddings = match metadata.get("word_embeddings") {
            Some(sizes) => {
                let hashes = metadata.get("word_embeddings.fnv1a64").ok_or_else(|| {
                    ModelError::Metadata("lacks \"word_embeddings.fnv1a64\"".into())
                })?;
                WordEmbeddings::sharded(sizes, hashes, hidden)?
            }
            None => {
                let name = "embeddings.word_embeddings.weight";
                WordEmbeddings::whole(file.encoded(name, file.rows_of(name)?, hidden)?)
            }
        };
        let vocab = word_embeddings.rows();
        let positions = file.rows_of("embeddings.position_embeddings.weight")?;
        if hidden % heads != 0 {
            return Err(ModelError::Metadata(format!(
                "{heads} heads do not divide hidden size {hidden}"
            )));
        }
        // The shipped model's layers are in files of their own, indexed by the metadata.
        let layer_files = match metadata.get("layer_files.fnv1a64") {
            Some(hashes) => Some(LayerFiles::parse(&metadata, hashes, group)?),
            None => None,
        };
        let (layers, intermediate) = match &layer_files {
            Some(files) => (
                files.hashes.len() / 2,
                metadata_number(&metadata, "intermediate")? as usize,
            ),
            None => {
                let layers = (0..).take_while(|l| file.has_layer(*l)).count();
                let intermediate = match layers {
                    0 => 0,
                    _ => file.rows_of("encoder.layer.0.intermediate.dense.weight")?,
                };
                (layers, intermediate)
            }
        };
        let config = Config {
            vocab,
            positions,
            hidden,
            heads,
            layers,
            intermediate,
            layer_norm_eps: eps,
        };

        let token_types = file.matrix(
            "embeddings.token_type_embeddings.weight",
            file.rows_of("embeddings.token_type_embeddings.weight")?,
            hidden,
        )?;
        let weights = Self {
            word_embeddings,
            position_embeddings: file.matrix(
                "embeddings.position_embeddings.weight",
                positions,
                hidden,
            )?,
            token_type: token_types.row(0).to_owned(),
            embedding_norm_gain: file.vector("embeddings.LayerNorm.weight", hidden)?,
            embedding_norm_bias: file.vector("embeddings.LayerNorm.bias", hidden)?,
            layers: vec![LayerWeights::default(); layers],
            config,
            layer_files,
        };
        if weights.layer_files.is_none() {
            for l in 0..layers {
                weights.insert_parsed(&file, l, LayerPart::Qkv)?;
                weights.insert_parsed(&file, l, LayerPart::Output)?;
            }
        }
        Ok(weights)
    }

    /// How many layer parts the query, key and value of `layer` depend on, in file order:
    /// the query/key/value of every layer up to it and the output of every layer before it.
    pub fn parts_through(layer: usize) -> usize {
        2 * layer + 1
    }

    /// How many layer parts the whole model has.
    pub fn part_count(&self) -> usize {
        2 * self.layers.len()
    }

    /// Of the first `count` layer parts (file order), those not in yet.
    pub fn missing_parts(&self, count: usize) -> Vec<(usize, LayerPart)> {
        (0..count.min(self.part_count()))
            .map(|i| (i / 2, LayerPart::ALL[i % 2]))
            .filter(|&(l, part)| !self.has_part(l, part))
            .collect()
    }

    pub fn has_part(&self, layer: usize, part: LayerPart) -> bool {
        self.layers.get(layer).is_some_and(|lw| match part {
            LayerPart::Qkv => lw.qkv.get().is_some(),
            LayerPart::Output => lw.output.get().is_some(),
        })
    }

    /// A layer part's path, relative to the site.
    pub fn part_file(layer: usize, part: LayerPart) -> String {
        format!("{LAYER_FOLDER}/{layer}.{}.safetensors", part.as_str())
    }

    /// Check a layer file's bytes against the model file's index, then parse and keep it.
    pub fn insert_part(
        &self,
        layer: usize,
        part: LayerPart,
        bytes: &[u8],
    ) -> Result<(), ModelError> {
        let Some(files) = &self.layer_files else {
            return Ok(());
        };
        let i = 2 * layer + part as usize;
        let (Some(&expected), Some(&hash)) = (files.bytes.get(i), files.hashes.get(i)) else {
            return Err(ModelError::Missing(Self::part_file(layer, part)));
        };
        if bytes.len() != expected {
            return Err(ShardError::Length {
                found: bytes.len(),
                expected,
            }
            .into());
        }
        if fnv1a64(bytes) != hash {
            return Err(ShardError::Hash.into());
        }
        let tensors =
            SafeTensors::deserialize(bytes).map_err(|e| ModelError::Format(e.to_string()))?;
        let file = File {
            tensors,
            group: files.group,
        };
        self.insert_parsed(&file, layer, part)
    }

    /// Read layer `layer`'s `part` from `file`, checking every shape, and keep it.
    fn insert_parsed(
        &self,
        file: &File<'_>,
        layer: usize,
        part: LayerPart,
    ) -> Result<(), ModelError> {
        let (hidden, intermediate) = (self.config.hidden, self.config.intermediate);
        let p = format!("encoder.layer.{layer}.");
        // W is out×in in the file; the layer keeps Wᵀ.
        let m = |name: &str, rows, cols| {
            file.matrix_transposed(&format!("{p}{name}.weight"), rows, cols)
        };
        let v = |name: &str, len| file.vector(&format!("{p}{name}"), len);
        let Some(slot) = self.layers.get(layer) else {
            return Err(ModelError::Missing(Self::part_file(layer, part)));
        };
        match part {
            LayerPart::Qkv => {
                let qkv = QkvWeights {
                    query: m("attention.self.query", hidden, hidden)?,
                    query_bias: v("attention.self.query.bias", hidden)?,
                    key: m("attention.self.key", hidden, hidden)?,
                    key_bias: v("attention.self.key.bias", hidden)?,
                    value: m("attention.self.value", hidden, hidden)?,
                    value_bias: v("attention.self.value.bias", hidden)?,
                };
                // Already in: the same checked bytes arrived twice, and either copy will do.
                let _ = slot.qkv.set(qkv);
            }
            LayerPart::Output => {
                let output = OutputWeights {
                    attention_out: m("attention.output.dense", hidden, hidden)?,
                    attention_out_bias: v("attention.output.dense.bias", hidden)?,
                    attention_norm_gain: v("attention.output.LayerNorm.weight", hidden)?,
                    attention_norm_bias: v("attention.output.LayerNorm.bias", hidden)?,
                    ffn_in: m("intermediate.dense", intermediate, hidden)?,
                    ffn_in_bias: v("intermediate.dense.bias", intermediate)?,
                    ffn_out: m("output.dense", hidden, intermediate)?,
                    ffn_out_bias: v("output.dense.bias", hidden)?,
                    ffn_norm_gain: v("output.LayerNorm.weight", hidden)?,
                    ffn_norm_bias: v("output.LayerNorm.bias", hidden)?,
                };
                let _ = slot.output.set(output);
            }
        }
        Ok(())
    }

    /// Read every layer file from `folder` (native: tests, examples and benchmarks).
    pub fn load_layers(&self, folder: &std::path::Path) -> Result<(), String> {
        for (layer, part) in self.missing_parts(self.part_count()) {
            let path = folder.join(Self::part_file(layer, part));
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            self.insert_part(layer, part, &bytes)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// The two parts of a layer, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerPart {
    Qkv = 0,
    Output = 1,
}

impl LayerPart {
    pub const ALL: [LayerPart; 2] = [LayerPart::Qkv, LayerPart::Output];

    pub fn as_str(self) -> &'static str {
        match self {
            LayerPart::Qkv => "qkv",
            LayerPart::Output => "output",
        }
    }
}

impl LayerFiles {
    /// The index in the model file's metadata: as many sizes as hashes, two files per layer.
    fn parse(
        metadata: &HashMap<String, String>,
        hashes: &str,
        group: usize,
    ) -> Result<Self, ModelError> {
        let malformed = || ModelError::Metadata("\"layer_files\" is malformed".into());
        let hashes = hashes
            .split_whitespace()
            .map(|h| u64::from_str_radix(h, 16).ok())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        let bytes = metadata
            .get("layer_files.bytes")
            .ok_or_else(malformed)?
            .split_whitespace()
            .map(|b| b.parse::<usize>().ok())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        let layers = metadata_number(metadata, "layers")?;
        if bytes.len() != hashes.len() || hashes.len() as f64 != 2.0 * layers {
            return Err(malformed());
        }
        Ok(Self {
            bytes,
            hashes,
            group,
        })
    }
}
