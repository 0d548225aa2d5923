//! Text analysis per language, registered as tantivy tokenizers.
//!
//! | name | used for | steps |
//! |---|---|---|
//! | [`EN`] | English fields | words → lowercase → ASCII folding → colloquial spellings → stop words → Snowball English |
//! | [`ID`] | Indonesian fields | words → lowercase → ASCII folding → colloquial spellings → stop words → Snowball Indonesian (+ recoded alternatives, + the stem without a colloquial `-in`) |
//! | [`ZH`] | Chinese fields | Han runs: jieba search mode, stop words; other runs: as English |
//! | [`ZH_BIGRAM`] | Chinese fallback fields | Han characters and overlapping character bigrams (catches words jieba splits differently in a query and an article) |
//!
//! "Words" are runs of letters and digits; an apostrophe inside a word is dropped, so
//! `can't` and `cant` are the same token. Tokens longer than [`MAX_TOKEN_BYTES`] are dropped.
//! Every analyzer is deterministic and keeps no state, so the same text gives the same tokens
//! at index and at query time. Where a word has several possible stems, they are all emitted at
//! the same position (like synonyms), and a query matches any of them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use domain::Locale;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};

/// Tokenizer name of the English analyzer.
pub const EN: &str = "paydesk_en";
/// Tokenizer name of the Indonesian analyzer.
pub const ID: &str = "paydesk_id";
/// Tokenizer name of the Chinese (jieba) analyzer.
pub const ZH: &str = "paydesk_zh";
/// Tokenizer name of the Chinese character-bigram analyzer.
pub const ZH_BIGRAM: &str = "paydesk_zh_bigram";

/// Tokens longer than this many bytes (URLs, pasted junk) are not indexed or searched.
pub const MAX_TOKEN_BYTES: usize = 40;

/// The analyzer for a language's text fields.
pub fn analyzer(locale: Locale) -> TextAnalyzer {
    match locale {
        Locale::En => TextAnalyzer::from(LatinTokenizer::new(Latin::English)),
        Locale::Id => TextAnalyzer::from(LatinTokenizer::new(Latin::Indonesian)),
        Locale::ZhCn => TextAnalyzer::from(ChineseTokenizer::default()),
    }
}

/// The Chinese character-bigram analyzer.
pub fn bigram_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(BigramTokenizer)
}

/// Registers the four analyzers under [`EN`], [`ID`], [`ZH`] and [`ZH_BIGRAM`].
pub fn register(manager: &TokenizerManager) {
    manager.register(EN, analyzer(Locale::En));
    manager.register(ID, analyzer(Locale::Id));
    manager.register(ZH, analyzer(Locale::ZhCn));
    manager.register(ZH_BIGRAM, bigram_analyzer());
}

/// The token texts `text` is indexed as in `locale` (alternatives at the same position
/// included). Meant for tests and for explaining results.
pub fn analyze(locale: Locale, text: &str) -> Vec<String> {
    collect(&mut analyzer(locale), text)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

/// Runs an analyzer and collects its tokens.
pub(crate) fn collect(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().clone());
    }
    tokens
}

/// Whether `c` is a Han ideograph (CJK unified ideographs and their extensions).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{3134F}')
}

/// Whether a token is written in Latin script (ASCII letters and digits after folding, with at
/// least one letter): such tokens get typo tolerance.
pub(crate) fn is_latin_word(token: &str) -> bool {
    token.bytes().all(|b| b.is_ascii_alphanumeric())
        && token.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        Self {
            tokens,
            next: 0,
            current: Token::default(),
        }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.current = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// Splits text into words: runs of letters and digits (Han characters excluded, they are
/// segmented separately); `'` or `’` between two letters is dropped.
#[derive(Clone, Copy, Default)]
pub struct WordTokenizer;

impl WordTokenizer {
    fn words(text: &str, tokens: &mut Vec<Token>, position: &mut usize) {
        let mut start: Option<usize> = None;
        let mut word = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let in_word = c.is_alphanumeric() && !is_han(c);
            let apostrophe = matches!(c, '\'' | '’')
                && start.is_some()
                && chars
                    .peek()
                    .is_some_and(|&(_, n)| n.is_alphabetic() && !is_han(n));
            if in_word {
                if start.is_none() {
                    start = Some(i);
                }
                word.push(c);
            } else if apostrophe {
                continue;
            } else if let Some(s) = start.take() {
                push_word(tokens, position, &mut word, s, i);
            }
        }
        if let Some(s) = start {
            push_word(tokens, position, &mut word, s, text.len());
        }
    }
}

fn push_word(
    tokens: &mut Vec<Token>,
    position: &mut usize,
    word: &mut String,
    from: usize,
    to: usize,
) {
    if word.len() <= MAX_TOKEN_BYTES {
        tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position: *position,
            text: std::mem::take(word),
            position_length: 1,
        });
        *position += 1;
    } else {
        word.clear();
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let mut position = 0;
        Self::words(text, &mut tokens, &mut position);
        VecTokenStream::new(tokens)
    }
}

/// The two Latin-script languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latin {
    /// English: Snowball English ("Porter 2").
    English,
    /// Bahasa Indonesia: Snowball Indonesian.
    Indonesian,
}

/// Words, lowercased and ASCII-folded, colloquial spellings normalised, stop words removed,
/// then stemmed with the language's Snowball stemmer.
#[derive(Clone)]
pub struct LatinTokenizer {
    language: Latin,
    base: TextAnalyzer,
    stemmer: frostem::Stemmer,
}

impl LatinTokenizer {
    /// The analyzer for one of the Latin-script languages.
    pub fn new(language: Latin) -> Self {
        let algorithm = match language {
            Latin::English => frostem::Algorithm::English,
            Latin::Indonesian => frostem::Algorithm::Indonesian,
        };
        Self {
            language,
            base: TextAnalyzer::builder(WordTokenizer)
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
            stemmer: frostem::Stemmer::new(algorithm),
        }
    }

    /// Stems already lowercased, folded words, appending the results (with alternatives at
    /// the same position) to `out`.
    fn stem_into(&self, words: Vec<Token>, out: &mut Vec<Token>, position_base: usize) {
        let (stop, colloquial) = match self.language {
            Latin::English => (&*EN_STOP, &*EN_COLLOQUIAL),
            Latin::Indonesian => (&*ID_STOP, &*ID_COLLOQUIAL),
        };
        let mut position = position_base;
        for word in words {
            let text = colloquial
                .get(word.text.as_str())
                .copied()
                .unwrap_or(word.text.as_str());
            if stop.contains(text) {
                continue;
            }
            let stem = self.stemmer.stem(text).into_owned();
            let mut alternatives = match self.language {
                Latin::Indonesian => indonesian_alternatives(text, &stem),
                Latin::English => Vec::new(),
            };
            // Colloquial `-in` for `-kan`/`-i` (aktifin, balikin, gabungin): also the stem
            // without it, when enough of the word is left.
            if self.language == Latin::Indonesian
                && let Some(base) = text.strip_suffix("in").filter(|b| b.len() >= 4)
            {
                let base_stem = self.stemmer.stem(base).into_owned();
                let more = indonesian_alternatives(base, &base_stem);
                alternatives.push(base_stem);
                alternatives.extend(more);
            }
            let make = |text: String| Token {
                offset_from: word.offset_from,
                offset_to: word.offset_to,
                position,
                text,
                position_length: 1,
            };
            let mut emitted: Vec<String> = Vec::with_capacity(1 + alternatives.len());
            for form in std::iter::once(stem).chain(alternatives) {
                if !form.is_empty() && !emitted.contains(&form) {
                    out.push(make(form.clone()));
                    emitted.push(form);
                }
            }
            position += 1;
        }
    }
}

impl Tokenizer for LatinTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let words = collect(&mut self.base, text);
        let mut out = Vec::with_capacity(words.len());
        self.stem_into(words, &mut out, 0);
        VecTokenStream::new(out)
    }
}

/// Alternatives to a Snowball Indonesian stem where the algorithm's prefix removal is
/// ambiguous.
///
/// The Snowball Indonesian stemmer (Tala's algorithm, <https://snowballstem.org/algorithms/indonesian/stemmer.html>)
/// removes prefixes without a dictionary, so a nasal prefix that replaced the root's first
/// consonant loses it: `mengembalikan` → `embali` while `dikembalikan` → `kembali`,
/// `menarik` → `arik` while `tarik` stays, `memasukkan` → `pasuk` while `masuk` stays, and
/// a root starting with `ke` loses it (`kembali` → `mbali`). Dictionary-based stemmers settle
/// this by "recoding" (Nazief & Adriani; Arifin et al., Enhanced Confix Stripping, 2009):
/// trying the restored consonant against a list of roots. With no list of roots here, both
/// candidates are emitted at the same position, so either spelling matches:
///
/// * `meng`/`peng` + vowel → also `k` + stem (`mengirim` → `irim`, `kirim`);
/// * `men`/`pen` + vowel → also `t` + stem (`menolak` → `olak`, `tolak`);
/// * `mem`/`pem` + vowel, stemmed to `p…` → also `m…` (`memasukkan` → `pasuk`, `masuk`);
/// * a word starting with `ke` whose stem lost it → also `ke` + stem (`kembali` → `mbali`, `kembali`).
pub(crate) fn indonesian_alternatives(word: &str, stem: &str) -> Vec<String> {
    let mut out = Vec::new();
    let starts_vowel = stem.starts_with(['a', 'e', 'i', 'o', 'u']);
    let after = |prefix: &str| {
        word.strip_prefix(prefix)
            .is_some_and(|r| r.starts_with(['a', 'e', 'i', 'o', 'u']))
    };
    if stem.len() < 3 {
        return out;
    }
    if (after("meng") || after("peng")) && starts_vowel {
        out.push(format!("k{stem}"));
    } else if (after("men") || after("pen")) && starts_vowel {
        out.push(format!("t{stem}"));
    } else if (after("mem") || after("pem")) && stem.starts_with('p') {
        out.push(format!("m{}", &stem[1..]));
    }
    if word.starts_with("ke")
        && !stem.starts_with("ke")
        && !word.starts_with("keme")
        && !word.starts_with("kepe")
    {
        out.push(format!("ke{stem}"));
    }
    out
}

/// Chinese: Han runs are segmented by jieba in search mode (long words also yield their
/// dictionary sub-words, so 信用卡 gives 信用, 信用卡); stop words and punctuation are dropped.
/// Runs of other letters and digits (2FA, App, QR) are analysed as English.
///
/// For snippets ([`ChineseTokenizer::for_snippets`]) every token carries the offsets of the
/// whole word it was cut from, so offsets never go backwards (tantivy's snippet generator
/// needs that) and a match highlights the whole word.
#[derive(Clone)]
pub struct ChineseTokenizer {
    latin: LatinTokenizer,
    snippets: bool,
}

impl Default for ChineseTokenizer {
    fn default() -> Self {
        Self {
            latin: LatinTokenizer::new(Latin::English),
            snippets: false,
        }
    }
}

impl ChineseTokenizer {
    /// The variant used to cut snippets: monotonic offsets, whole-word highlights.
    pub fn for_snippets() -> Self {
        Self {
            snippets: true,
            ..Self::default()
        }
    }

    fn push_word(out: &mut Vec<Token>, position: &mut usize, word: &str, from: usize, to: usize) {
        if ZH_STOP.contains(word) || !word.chars().any(char::is_alphanumeric) {
            return;
        }
        out.push(Token {
            offset_from: from,
            offset_to: to,
            position: *position,
            text: word.to_owned(),
            position_length: 1,
        });
        *position += 1;
    }
}

/// The analyzer used to find the words to highlight in a language's body text.
pub(crate) fn snippet_analyzer(locale: Locale) -> TextAnalyzer {
    match locale {
        Locale::ZhCn => TextAnalyzer::from(ChineseTokenizer::for_snippets()),
        other => analyzer(other),
    }
}

/// The jieba segmenter with its embedded default dictionary, loaded once.
static JIEBA: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut out = Vec::new();
        let mut position = 0;
        for (start, run, han) in script_runs(text) {
            if han && self.snippets {
                for word in JIEBA.cut(run, true) {
                    let (from, to) = (start + word.byte_start, start + word.byte_end);
                    for part in JIEBA.cut_for_search(word.word, false) {
                        Self::push_word(&mut out, &mut position, part.word, from, to);
                    }
                }
            } else if han {
                for word in JIEBA.cut_for_search(run, true) {
                    let (from, to) = (start + word.byte_start, start + word.byte_end);
                    Self::push_word(&mut out, &mut position, word.word, from, to);
                }
            } else {
                let mut words = collect(&mut self.latin.base, run);
                for w in &mut words {
                    w.offset_from += start;
                    w.offset_to += start;
                }
                let before = out.len();
                self.latin.stem_into(words, &mut out, position);
                position = out[before..]
                    .iter()
                    .map(|t| t.position + 1)
                    .max()
                    .unwrap_or(position);
            }
        }
        VecTokenStream::new(out)
    }
}

/// Splits text into alternating runs of Han and non-Han characters: (byte offset, run, is Han).
pub(crate) fn script_runs(text: &str) -> Vec<(usize, &str, bool)> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut current: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let han = is_han(c);
        match current {
            Some(h) if h == han => {}
            Some(h) => {
                runs.push((start, &text[start..i], h));
                start = i;
                current = Some(han);
            }
            None => current = Some(han),
        }
    }
    if let Some(h) = current {
        runs.push((start, &text[start..], h));
    }
    runs
}

/// Han characters and overlapping bigrams of them (退款没到账 → 退, 退款, 款, 款没, 没, 没到, 到,
/// 到账, 账); other text is ignored. A fallback for words jieba segments differently in a
/// query and in an article (没到|账 against 到账), and for near-synonyms sharing a character
/// (餐厅, 餐饮).
#[derive(Clone, Copy, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut out = Vec::new();
        let mut position = 0;
        for (start, run, han) in script_runs(text) {
            if !han {
                continue;
            }
            let chars: Vec<(usize, char)> = run.char_indices().collect();
            for (i, &(from, first)) in chars.iter().enumerate() {
                out.push(Token {
                    offset_from: start + from,
                    offset_to: start + from + first.len_utf8(),
                    position,
                    text: first.to_string(),
                    position_length: 1,
                });
                if let Some(&(at, second)) = chars.get(i + 1) {
                    out.push(Token {
                        offset_from: start + from,
                        offset_to: start + at + second.len_utf8(),
                        position,
                        text: [first, second].iter().collect(),
                        position_length: 1,
                    });
                }
                position += 1;
            }
        }
        VecTokenStream::new(out)
    }
}

fn set(words: &[&'static str]) -> HashSet<&'static str> {
    words.iter().copied().collect()
}

/// English function words that only add noise to help-center queries. Negations (`not`,
/// `no`, `cant`, `never`) are kept: "refund not received" is not "refund received".
static EN_STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    set(&[
        "a", "an", "the", "i", "im", "ive", "me", "my", "mine", "we", "our", "us", "you", "your",
        "youre", "it", "its", "is", "are", "was", "were", "be", "been", "being", "am", "do",
        "does", "did", "doing", "to", "of", "in", "on", "at", "for", "with", "from", "by", "and",
        "or", "but", "if", "so", "as", "this", "that", "these", "those", "what", "which", "who",
        "whom", "how", "why", "when", "where", "there", "here", "just", "please", "pls", "plz",
        "hi", "hello", "hey", "thanks", "thank", "into", "about", "would", "could", "should",
        "will", "shall", "may", "might", "must", "can", "they", "them", "their", "he", "she",
        "his", "her", "any", "some", "also", "very", "than", "then", "too", "ok", "okay", "yet",
        "still",
    ])
});

/// Informal English spellings, mapped to the form the articles use.
static EN_COLLOQUIAL: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    HashMap::from([
        ("cannot", "cant"),
        ("u", "you"),
        ("ur", "your"),
        ("acct", "account"),
        ("txn", "transaction"),
        ("trx", "transaction"),
        ("pw", "password"),
        ("pwd", "password"),
        ("passwd", "password"),
        ("msg", "message"),
        ("pic", "photo"),
        ("wont", "will"),
        ("didnt", "not"),
        ("doesnt", "not"),
        ("dont", "not"),
        ("isnt", "not"),
        ("wasnt", "not"),
        ("havent", "not"),
        ("hasnt", "not"),
        ("arent", "not"),
        ("couldnt", "cant"),
    ])
});

/// Indonesian function words, particles and chat fillers. `tidak` (and its chat spellings
/// `ga`, `gak`, …) is one too: it ends many questions ("bisa ga?") and appears in most
/// articles, so it matched noise more than meaning in the query sets; `belum` and `bukan` are
/// kept.
static ID_STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    set(&[
        "yang",
        "di",
        "ke",
        "dari",
        "dan",
        "atau",
        "ini",
        "itu",
        "saya",
        "aku",
        "gue",
        "gw",
        "sy",
        "anda",
        "kamu",
        "lu",
        "lo",
        "kita",
        "kami",
        "mereka",
        "dia",
        "nya",
        "kok",
        "sih",
        "dong",
        "deh",
        "nih",
        "tuh",
        "ya",
        "yah",
        "yg",
        "dgn",
        "apa",
        "apakah",
        "bagaimana",
        "gimana",
        "gmn",
        "kenapa",
        "knp",
        "mengapa",
        "untuk",
        "utk",
        "dengan",
        "pada",
        "adalah",
        "akan",
        "juga",
        "oleh",
        "para",
        "pun",
        "lah",
        "kah",
        "mau",
        "ingin",
        "tolong",
        "mohon",
        "min",
        "kak",
        "gan",
        "halo",
        "hai",
        "kasih",
        "makasih",
        "tapi",
        "tetapi",
        "namun",
        "karena",
        "krn",
        "jika",
        "kalau",
        "kalo",
        "agar",
        "supaya",
        "sudah",
        "udah",
        "udh",
        "sdh",
        "telah",
        "masih",
        "lagi",
        "bisa",
        "bisakah",
        "dapat",
        "harus",
        "tersebut",
        "sebuah",
        "seorang",
        "sama",
        "aja",
        "saja",
        "kan",
        "tidak",
    ])
});

/// Informal Indonesian spellings (chat and speech), mapped to the standard word.
static ID_COLLOQUIAL: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    HashMap::from([
        ("ga", "tidak"),
        ("gak", "tidak"),
        ("ngga", "tidak"),
        ("nggak", "tidak"),
        ("engga", "tidak"),
        ("enggak", "tidak"),
        ("gk", "tidak"),
        ("tdk", "tidak"),
        ("tak", "tidak"),
        ("blm", "belum"),
        ("pake", "pakai"),
        ("ilang", "hilang"),
        ("abis", "habis"),
        ("bener", "benar"),
        ("duit", "uang"),
        ("nyampe", "sampai"),
        ("nyampai", "sampai"),
        ("sampe", "sampai"),
        ("tf", "transfer"),
        ("trf", "transfer"),
        ("trx", "transaksi"),
        ("pw", "password"),
        ("pass", "password"),
        ("no", "nomor"),
        ("nmr", "nomor"),
        ("rek", "rekening"),
        ("cuma", "hanya"),
        ("dibalikin", "dikembalikan"),
        ("balikin", "kembalikan"),
        ("ngembaliin", "mengembalikan"),
        ("kebuka", "terbuka"),
        ("keblokir", "terblokir"),
        ("kepotong", "terpotong"),
        ("ketipu", "tertipu"),
        ("lg", "lagi"),
        ("dr", "dari"),
        ("bgt", "banget"),
        ("mulu", "melulu"),
    ])
});

/// Chinese function words and question words common in queries.
static ZH_STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    set(&[
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "嘛",
        "哦",
        "我",
        "我的",
        "你",
        "您",
        "你们",
        "是",
        "在",
        "怎么",
        "怎么办",
        "怎样",
        "如何",
        "什么",
        "为什么",
        "为啥",
        "咋",
        "咋办",
        "请问",
        "请",
        "谢谢",
        "一下",
        "这",
        "那",
        "这个",
        "那个",
        "和",
        "与",
        "及",
        "就",
        "都",
        "也",
        "还",
        "又",
        "把",
        "被",
        "给",
        "让",
        "要",
        "会",
        "能",
        "可以",
        "呗",
        "啥",
    ])
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_apostrophes_and_skip_han() {
        let mut t = WordTokenizer;
        let mut s = t.token_stream("Can't pay—it's 2FA! 退款 ok'");
        let mut words = Vec::new();
        while s.advance() {
            words.push(s.token().text.clone());
        }
        assert_eq!(words, ["Cant", "pay", "its", "2FA", "ok"]);
    }

    #[test]
    fn recoding_alternatives() {
        assert_eq!(indonesian_alternatives("mengirim", "irim"), ["kirim"]);
        assert_eq!(indonesian_alternatives("menolak", "olak"), ["tolak"]);
        assert_eq!(indonesian_alternatives("memasukkan", "pasuk"), ["masuk"]);
        assert_eq!(indonesian_alternatives("kembali", "mbali"), ["kembali"]);
        assert!(indonesian_alternatives("dibayar", "bayar").is_empty());
    }

    #[test]
    fn script_runs_split_han() {
        let runs: Vec<_> = script_runs("2FA验证码ok")
            .into_iter()
            .map(|(_, r, h)| (r, h))
            .collect();
        assert_eq!(runs, [("2FA", false), ("验证码", true), ("ok", false)]);
    }
}
