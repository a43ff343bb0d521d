//! BERT's uncased WordPiece tokenizer, written out: normalise (clean, space out CJK, strip
//! accents, lower-case), split on whitespace and punctuation, then greedy longest-match
//! WordPiece. Every token keeps the byte span of the original text it came from, so the UI can
//! show what the model saw next to what the user typed.
//!
//! Character classes follow the reference tokenizer (Hugging Face `tokenizers`, BertNormalizer
//! and BertPreTokenizer), including its Unicode category data, so both give the same tokens.

use std::collections::HashMap;
use std::ops::Range;

use unicode_categories::UnicodeCategories;
use unicode_normalization::char::decompose_canonical;

/// Words longer than this (in characters) become a single `[UNK]`, as in BERT.
pub const MAX_CHARS_PER_WORD: usize = 100;

/// One token: its vocabulary id, its piece, and the bytes of the input it covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Token {
    pub id: u32,
    pub piece: String,
    /// Byte range in the original text; empty for `[CLS]` and `[SEP]`.
    pub span: Range<usize>,
}

/// Why a vocabulary could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabError {
    #[error("the vocabulary has no {0} token")]
    MissingSpecial(&'static str),
    #[error("the vocabulary lists \"{0}\" twice")]
    Duplicate(String),
    #[error("the vocabulary has more entries than token ids can hold")]
    TooLarge,
}

/// A WordPiece vocabulary and the tokenizer over it.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    ids: HashMap<String, u32>,
    pieces: Vec<String>,
    unk: u32,
    cls: u32,
    sep: u32,
}

/// The result of encoding a text for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// `[CLS]`, the text's tokens, `[SEP]`.
    pub tokens: Vec<Token>,
    /// Text tokens dropped to fit the model's length limit.
    pub truncated: usize,
}

impl Tokenizer {
    /// Read a `vocab.txt`: one piece per line, the line number is the id.
    pub fn from_vocab_txt(text: &str) -> Result<Self, VocabError> {
        let pieces: Vec<String> = text.lines().map(str::to_owned).collect();
        if u32::try_from(pieces.len()).is_err() {
            return Err(VocabError::TooLarge);
        }
        let mut ids = HashMap::with_capacity(pieces.len());
        for (id, piece) in pieces.iter().enumerate() {
            if ids.insert(piece.clone(), id as u32).is_some() {
                return Err(VocabError::Duplicate(piece.clone()));
            }
        }
        let special = |name: &'static str| {
            ids.get(name)
                .copied()
                .ok_or(VocabError::MissingSpecial(name))
        };
        Ok(Self {
            unk: special("[UNK]")?,
            cls: special("[CLS]")?,
            sep: special("[SEP]")?,
            ids,
            pieces,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(String::as_str)
    }

    /// The text's tokens, without `[CLS]` and `[SEP]`.
    pub fn tokenize(&self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        for word in words(&normalise(text)) {
            self.word_pieces(&word, &mut tokens);
        }
        tokens
    }

    /// `[CLS]` + tokens + `[SEP]`, keeping at most `max_len` tokens in all (at least the two
    /// markers); what does not fit is counted in `truncated`.
    pub fn encode(&self, text: &str, max_len: usize) -> Encoding {
        let mut body = self.tokenize(text);
        let room = max_len.saturating_sub(2);
        let truncated = body.len().saturating_sub(room);
        body.truncate(room);
        let end = text.len();
        let mut tokens = Vec::with_capacity(body.len() + 2);
        tokens.push(self.special(self.cls, 0..0));
        tokens.extend(body);
        tokens.push(self.special(self.sep, end..end));
        Encoding { tokens, truncated }
    }

    fn special(&self, id: u32, span: Range<usize>) -> Token {
        Token {
            id,
            piece: self.pieces[id as usize].clone(),
            span,
        }
    }

    /// Greedy longest-match WordPiece over one word; a word with any piece missing is `[UNK]`.
    fn word_pieces(&self, word: &[Normalised], out: &mut Vec<Token>) {
        let whole = word[0].span.start..word[word.len() - 1].span.end;
        if word.len() > MAX_CHARS_PER_WORD {
            out.push(self.special(self.unk, whole));
            return;
        }
        let chars: Vec<char> = word.iter().map(|n| n.ch).collect();
        let first = out.len();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                let mut candidate: String = chars[start..end].iter().collect();
                if start > 0 {
                    candidate.insert_str(0, "##");
                }
                if let Some(&id) = self.ids.get(&candidate) {
                    found = Some((id, candidate));
                    break;
                }
                end -= 1;
            }
            let Some((id, piece)) = found else {
                out.truncate(first);
                out.push(self.special(self.unk, whole));
                return;
            };
            out.push(Token {
                id,
                piece,
                span: word[start].span.start..word[end - 1].span.end,
            });
            start = end;
        }
    }
}

/// A normalised character and the bytes of the original character it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Normalised {
    ch: char,
    span: Range<usize>,
}

/// BertNormalizer: drop control characters, whitespace to ' ', spaces around CJK ideographs,
/// canonical decomposition without non-spacing marks (accents), lower case.
fn normalise(text: &str) -> Vec<Normalised> {
    let mut out = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let span = at..at + c.len_utf8();
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            out.push(Normalised { ch: ' ', span });
            continue;
        }
        let spaced = is_cjk_ideograph(c);
        if spaced {
            out.push(Normalised {
                ch: ' ',
                span: span.clone(),
            });
        }
        decompose_canonical(c, |d| {
            if !d.is_mark_nonspacing() {
                for lower in d.to_lowercase() {
                    out.push(Normalised {
                        ch: lower,
                        span: span.clone(),
                    });
                }
            }
        });
        if spaced {
            out.push(Normalised { ch: ' ', span });
        }
    }
    out
}

/// BertPreTokenizer: words are runs between whitespace; each punctuation mark is a word alone.
fn words(chars: &[Normalised]) -> Vec<Vec<Normalised>> {
    let mut words = Vec::new();
    let mut current = Vec::new();
    for n in chars {
        if n.ch.is_whitespace() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        } else if is_punctuation(n.ch) {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            words.push(vec![n.clone()]);
        } else {
            current.push(n.clone());
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control, format, unassigned, private-use and surrogate code points, except tab and newlines.
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// The CJK Unified Ideographs blocks BERT spaces out (Hangul and kana are not among them).
/// The reference starts the Extension E range at U+2B920, not U+2B820 as the original BERT
/// code does; U+2B820..U+2B91F stay inside words here too, to give the same tokens.
fn is_cjk_ideograph(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Tokenizer {
        let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\ncat\n##s\nca\n##t\n,\n!\ne\n##e\n中\n";
        Tokenizer::from_vocab_txt(vocab).expect("vocab")
    }

    fn pieces(t: &Tokenizer, text: &str) -> Vec<String> {
        t.tokenize(text).into_iter().map(|t| t.piece).collect()
    }

    #[test]
    fn splits_words_punctuation_and_pieces_and_keeps_spans() {
        let t = tiny();
        let text = "The  Cats, CAT!";
        let tokens = t.tokenize(text);
        let got: Vec<(&str, &str)> = tokens
            .iter()
            .map(|k| (k.piece.as_str(), &text[k.span.clone()]))
            .collect();
        assert_eq!(
            got,
            vec![
                ("the", "The"),
                ("cat", "Cat"),
                ("##s", "s"),
                (",", ","),
                ("cat", "CAT"),
                ("!", "!")
            ]
        );
    }

    #[test]
    fn accents_are_stripped_and_spans_cover_the_accented_character() {
        let t = tiny();
        let tokens = t.tokenize("Éé");
        assert_eq!(
            tokens.iter().map(|k| k.piece.as_str()).collect::<Vec<_>>(),
            vec!["e", "##e"]
        );
        assert_eq!(tokens[0].span, 0..2);
        assert_eq!(tokens[1].span, 2..4);
    }

    #[test]
    fn unknown_words_empty_text_and_controls() {
        let t = tiny();
        assert_eq!(pieces(&t, "dog"), vec!["[UNK]"]);
        assert_eq!(pieces(&t, ""), Vec::<String>::new());
        assert_eq!(pieces(&t, "\u{0}\u{7}\u{200b}"), Vec::<String>::new());
        assert_eq!(pieces(&t, "中中"), vec!["中", "中"]);
        assert_eq!(pieces(&t, &"a".repeat(101)), vec!["[UNK]"]);
    }

    #[test]
    fn encode_adds_markers_and_truncates() {
        let t = tiny();
        let e = t.encode("the cat the cat", 4);
        let got: Vec<&str> = e.tokens.iter().map(|k| k.piece.as_str()).collect();
        assert_eq!(got, vec!["[CLS]", "the", "cat", "[SEP]"]);
        assert_eq!(e.truncated, 2);
        assert_eq!(t.encode("", 0).tokens.len(), 2);
    }

    #[test]
    fn a_vocabulary_without_markers_is_refused() {
        assert_eq!(
            Tokenizer::from_vocab_txt("a\nb\n").unwrap_err(),
            VocabError::MissingSpecial("[UNK]")
        );
        assert!(matches!(
            Tokenizer::from_vocab_txt("[UNK]\n[UNK]\n"),
            Err(VocabError::Duplicate(_))
        ));
    }
}
