//! The word embeddings: 30,522 rows, of which a text needs a few dozen. The shipped model keeps
//! them out of its main file, in shard files of `shard_rows` rows that the engine fetches as a
//! text needs them; the main file's metadata indexes them (written by tools/model/convert.py):
//! `word_embeddings` holds the sizes as `key=value` words (`rows`, `cols`, `bits`, `group`,
//! `row_bytes`, `shard_rows`), `word_embeddings.fnv1a64` the FNV-1a 64 hash of each shard in
//! hexadecimal. A shard is used only after its length and hash are checked, so a wrong
//! embedding is never drawn.
//!
//! A shard holds its rows in id order, one record per row: the row's packed codes (`bits` per
//! value, least significant bit first), then its float16 scales, then its float16 minima, one
//! per group of `group` columns: `w = q · scale + min`, as the model file's grouped matrices.

use std::hash::Hasher;
use std::sync::{PoisonError, RwLock};

use half::f16;

use super::weights::{EncodedMatrix, ModelError};

/// Where the shards lie, relative to the site (and to the assets folder).
pub const SHARD_FOLDER: &str = "embeddings";

/// The shard index, as the model file's metadata states it.
#[derive(Debug, Clone)]
pub struct ShardIndex {
    pub rows: usize,
    pub cols: usize,
    pub bits: usize,
    pub group: usize,
    pub row_bytes: usize,
    pub shard_rows: usize,
}

impl ShardIndex {
    /// Read `sizes` (`key=value` words, each key once); `None` unless every size is a number.
    fn parse(sizes: &str) -> Option<Self> {
        const KEYS: [&str; 6] = ["rows", "cols", "bits", "group", "row_bytes", "shard_rows"];
        let mut values = [None; 6];
        for word in sizes.split_whitespace() {
            let (key, value) = word.split_once('=')?;
            let slot = KEYS.iter().position(|&k| k == key)?;
            if values[slot].replace(value.parse::<usize>().ok()?).is_some() {
                return None;
            }
        }
        let [rows, cols, bits, group, row_bytes, shard_rows] = values;
        Some(Self {
            rows: rows?,
            cols: cols?,
            bits: bits?,
            group: group?,
            row_bytes: row_bytes?,
            shard_rows: shard_rows?,
        })
    }
}

/// Why a shard was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShardError {
    #[error("there is no shard {0}")]
    NoSuchShard(usize),
    #[error("it has {found} bytes, expected {expected} (truncated or the wrong file)")]
    Length { found: usize, expected: usize },
    #[error("its contents do not match the hash the model lists (corrupt or the wrong file)")]
    Hash,
}

/// The word embeddings, whole (a model file that holds them) or in shards.
#[derive(Debug)]
pub struct WordEmbeddings {
    rows: usize,
    cols: usize,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Whole(EncodedMatrix),
    Sharded {
        index: ShardIndex,
        hashes: Vec<u64>,
        /// Shards in, by number; filled as texts need them.
        loaded: RwLock<Vec<Option<EncodedMatrix>>>,
    },
}

impl Clone for WordEmbeddings {
    fn clone(&self) -> Self {
        let source = match &self.source {
            Source::Whole(matrix) => Source::Whole(matrix.clone()),
            Source::Sharded {
                index,
                hashes,
                loaded,
            } => Source::Sharded {
                index: index.clone(),
                hashes: hashes.clone(),
                loaded: RwLock::new(
                    loaded
                        .read()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone(),
                ),
            },
        };
        Self {
            rows: self.rows,
            cols: self.cols,
            source,
        }
    }
}

/// FNV-1a, 64 bits, of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(bytes);
    hasher.finish()
}

impl WordEmbeddings {
    /// Every row at hand.
    pub fn whole(matrix: EncodedMatrix) -> Self {
        Self {
            rows: matrix.rows(),
            cols: matrix.cols(),
            source: Source::Whole(matrix),
        }
    }

    /// No row at hand yet: the shards that `sizes` and `hashes` (the model file's metadata)
    /// describe arrive later.
    pub fn sharded(sizes: &str, hashes: &str, hidden: usize) -> Result<Self, ModelError> {
        // One message for any malformed index: it can only come from a damaged model file.
        let malformed = || ModelError::Metadata("\"word_embeddings\" is malformed".into());
        let index = ShardIndex::parse(sizes).ok_or_else(malformed)?;
        let groups = index.cols.checked_div(index.group).unwrap_or(0);
        let hashes = hashes
            .split_whitespace()
            .map(|h| u64::from_str_radix(h, 16).ok())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        let consistent = index.cols == hidden
            && groups > 0
            && groups * index.group == index.cols
            && (2..=7).contains(&index.bits)
            && index.row_bytes == (index.cols * index.bits).div_ceil(8) + 4 * groups
            && index.shard_rows > 0
            && index.rows.div_ceil(index.shard_rows) == hashes.len();
        if !consistent {
            return Err(malformed());
        }
        Ok(Self {
            rows: index.rows,
            cols: index.cols,
            source: Source::Sharded {
                loaded: RwLock::new((0..hashes.len()).map(|_| None).collect()),
                hashes,
                index,
            },
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of shard files (0 when every row is in the model file).
    pub fn shard_count(&self) -> usize {
        match &self.source {
            Source::Whole(_) => 0,
            Source::Sharded { hashes, .. } => hashes.len(),
        }
    }

    /// Shard `k`'s path, relative to the site.
    pub fn shard_file(k: usize) -> String {
        format!("{SHARD_FOLDER}/{k}.bin")
    }

    /// The shards that are in, in order.
    pub fn loaded_shards(&self) -> Vec<usize> {
        let Source::Sharded { loaded, .. } = &self.source else {
            return Vec::new();
        };
        let loaded = loaded.read().unwrap_or_else(PoisonError::into_inner);
        (0..loaded.len()).filter(|&k| loaded[k].is_some()).collect()
    }

    /// The shards that hold rows of `ids` and are not in yet, in order, each once.
    pub fn missing_shards(&self, ids: &[u32]) -> Vec<usize> {
        let Source::Sharded { index, loaded, .. } = &self.source else {
            return Vec::new();
        };
        let loaded = loaded.read().unwrap_or_else(PoisonError::into_inner);
        let mut wanted = vec![false; loaded.len()];
        for &id in ids {
            if let Some(w) = wanted.get_mut(id as usize / index.shard_rows) {
                *w = true;
            }
        }
        (0..loaded.len())
            .filter(|&k| wanted[k] && loaded[k].is_none())
            .collect()
    }

    /// Check shard `k`'s bytes against the index and keep its rows.
    pub fn insert_shard(&self, k: usize, bytes: &[u8]) -> Result<(), ShardError> {
        let Source::Sharded {
            index,
            hashes,
            loaded,
        } = &self.source
        else {
            return Err(ShardError::NoSuchShard(k));
        };
        let &hash = hashes.get(k).ok_or(ShardError::NoSuchShard(k))?;
        let rows = index.shard_rows.min(self.rows - k * index.shard_rows);
        let expected = rows.saturating_mul(index.row_bytes);
        if bytes.len() != expected {
            return Err(ShardError::Length {
                found: bytes.len(),
                expected,
            });
        }
        if fnv1a64(bytes) != hash {
            return Err(ShardError::Hash);
        }
        let code_bytes = (index.cols * index.bits).div_ceil(8);
        let groups = index.cols / index.group;
        let (mut packed, mut scale, mut min) = (
            Vec::with_capacity(rows * code_bytes),
            Vec::with_capacity(rows * groups),
            Vec::with_capacity(rows * groups),
        );
        let halves = |b: &[u8]| -> Vec<f32> {
            b.chunks_exact(2)
                .map(|h| f16::from_le_bytes([h[0], h[1]]).to_f32())
                .collect()
        };
        for record in bytes.chunks_exact(index.row_bytes) {
            let (codes, rest) = record.split_at(code_bytes);
            let (scales, minima) = rest.split_at(2 * groups);
            packed.extend_from_slice(codes);
            scale.extend(halves(scales));
            min.extend(halves(minima));
        }
        let shard = EncodedMatrix::grouped(
            rows,
            index.cols,
            index.bits,
            index.group,
            packed,
            scale,
            min,
        );
        if let Some(slot) = loaded
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(k)
        {
            *slot = Some(shard);
        }
        Ok(())
    }

    /// Row `id` decoded into `out` (`cols` long), if its shard is in.
    pub fn decode_row(&self, id: usize, out: &mut [f32]) -> Result<(), ModelError> {
        if id >= self.rows || out.len() != self.cols {
            return Err(ModelError::TokenId {
                id: id as u32,
                vocab: self.rows,
            });
        }
        match &self.source {
            Source::Whole(matrix) => matrix.decode_row(id, out),
            Source::Sharded { index, loaded, .. } => {
                let loaded = loaded.read().unwrap_or_else(PoisonError::into_inner);
                let (k, r) = (id / index.shard_rows, id % index.shard_rows);
                let shard = loaded
                    .get(k)
                    .and_then(Option::as_ref)
                    .ok_or(ModelError::RowMissing { id: id as u32 })?;
                shard.decode_row(r, out);
            }
        }
        Ok(())
    }

    /// Read every shard from `folder` (native: tests, examples and benchmarks load the model
    /// from the assets folder).
    pub fn load_all(&self, folder: &std::path::Path) -> Result<(), String> {
        for k in 0..self.shard_count() {
            let path = folder.join(Self::shard_file(k));
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            self.insert_shard(k, &bytes)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}
