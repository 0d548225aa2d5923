//! Integration tests of the help-center search: analysis, synonyms, visibility, drafts, typo
//! tolerance, snippets, edits, bad input, and quality on the shipped knowledge base.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use search::analysis::{analyze, bigram_analyzer};
use search::{
    Article, Audience, Category, HelpIndex, Locale, Status, Synonyms, Visibility, evaluate,
    load_kb_dir, load_queries,
};
use tantivy::tokenizer::TokenStream as _;

fn kb_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb")
}

/// The shipped knowledge base, loaded and indexed once for all tests.
static KB: LazyLock<(Vec<Article>, HelpIndex)> = LazyLock::new(|| {
    let articles = load_kb_dir(&kb_dir().join("articles")).expect("the shipped kb parses");
    let index = HelpIndex::build(&articles).expect("index builds");
    (articles, index)
});

fn article(slug: &str, locale: Locale, title: &str, body: &str) -> Article {
    Article {
        slug: slug.into(),
        locale,
        title: title.into(),
        category: Category::AccountAndSignIn,
        visibility: Visibility::Public,
        status: Status::Published,
        related: Vec::new(),
        keywords: Vec::new(),
        body: body.into(),
        updated: None,
    }
}

fn slugs(hits: &[search::Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.slug.as_str()).collect()
}

// ---------------------------------------------------------------- analysis

#[test]
fn chinese_is_segmented_into_words() {
    let tokens = analyze(Locale::ZhCn, "退款没到账");
    assert!(tokens.contains(&"退款".to_owned()), "{tokens:?}");
    assert!(
        tokens.iter().all(|t| (1..=3).contains(&t.chars().count())),
        "{tokens:?}"
    );
    // Search mode also yields the sub-words of long words.
    let tokens = analyze(Locale::ZhCn, "信用卡被拒了");
    assert!(
        tokens.contains(&"信用卡".to_owned()) && tokens.contains(&"信用".to_owned()),
        "{tokens:?}"
    );
    assert!(
        !tokens.contains(&"了".to_owned()),
        "stop words are dropped: {tokens:?}"
    );
    // Latin words inside Chinese text are lowercased; punctuation disappears.
    assert_eq!(
        analyze(Locale::ZhCn, "用2FA验证码登录App！"),
        ["用", "2fa", "验证", "验证码", "登录", "app"]
    );
    assert!(analyze(Locale::ZhCn, "，。！？").is_empty());
}

#[test]
fn chinese_bigrams_bridge_segmentation_differences() {
    let mut analyzer = bigram_analyzer();
    let mut stream = analyzer.token_stream("退款没到账");
    let mut tokens = Vec::new();
    while let Some(token) = stream.next() {
        tokens.push(token.text.clone());
    }
    assert!(tokens.contains(&"到账".to_owned()), "{tokens:?}");
    assert!(tokens.contains(&"退款".to_owned()), "{tokens:?}");
}

#[test]
fn indonesian_is_stemmed() {
    assert_eq!(analyze(Locale::Id, "pembayaran"), ["bayar"]);
    assert_eq!(analyze(Locale::Id, "Membayar dibayar"), ["bayar", "bayar"]);
    // Snowball alone gives `embali` for mengembalikan; the recoded alternative is indexed too,
    // so every form of "kembali" shares a token.
    for word in ["mengembalikan", "dikembalikan", "pengembalian", "kembali"] {
        assert!(
            analyze(Locale::Id, word).contains(&"kembali".to_owned()),
            "{word}"
        );
    }
    assert!(analyze(Locale::Id, "menarik").contains(&"tarik".to_owned()));
    assert!(analyze(Locale::Id, "aktifin").contains(&"aktif".to_owned()));
    // Lowercasing, ASCII folding and stop words.
    assert_eq!(
        analyze(Locale::Id, "Saldo SAYA yang Kurang"),
        ["saldo", "kurang"]
    );
    assert_eq!(analyze(Locale::Id, "sénsor"), ["sensor"]);
    // Chat spellings become the standard word.
    assert_eq!(
        analyze(Locale::Id, "duit ilang"),
        analyze(Locale::Id, "uang hilang")
    );
}

#[test]
fn english_is_stemmed() {
    assert_eq!(analyze(Locale::En, "refunds"), ["refund"]);
    assert_eq!(
        analyze(Locale::En, "Refunded REFUNDING"),
        ["refund", "refund"]
    );
    assert_eq!(
        analyze(Locale::En, "the payments were declined"),
        ["payment", "declin"]
    );
    assert_eq!(analyze(Locale::En, "Café"), ["cafe"]);
    // An apostrophe inside a word is dropped: "can't" and "cant" match.
    assert_eq!(analyze(Locale::En, "can't"), analyze(Locale::En, "cant"));
}

// ---------------------------------------------------------------- synonyms

#[test]
fn synonyms_expand_across_languages() {
    let table = Synonyms::builtin();
    let expanded = table.expand("lupa kata sandi");
    assert!(expanded.contains(&"password".to_owned()), "{expanded:?}");
    assert!(expanded.contains(&"密码".to_owned()), "{expanded:?}");
    let expanded = table.expand("退款没到账");
    assert!(
        expanded.contains(&"refund".to_owned())
            && expanded.contains(&"pengembalian dana".to_owned())
    );
    let expanded = table.expand("Refunds");
    assert!(
        expanded.contains(&"退款".to_owned()),
        "stemmed match: {expanded:?}"
    );
}

#[test]
fn synonyms_find_articles_that_do_not_use_the_word() {
    let articles = vec![
        article(
            "a-sandi",
            Locale::Id,
            "Mengganti kata sandi",
            "Buka menu keamanan lalu pilih ganti kata sandi.",
        ),
        article("b-other", Locale::Id, "Kartu", "Tambah kartu debit."),
    ];
    let index = HelpIndex::build(&articles).unwrap();
    let hits = index
        .search("password", Locale::Id, Audience::Public, 5)
        .unwrap();
    assert_eq!(slugs(&hits), ["a-sandi"]);
    // Without the table, nothing matches.
    index.set_synonyms(Synonyms::empty());
    assert!(
        index
            .search("password", Locale::Id, Audience::Public, 5)
            .unwrap()
            .is_empty()
    );
    // An edited table takes effect at once.
    index.set_synonyms(Synonyms::from_groups([vec![
        "pw".to_owned(),
        "kata sandi".to_owned(),
    ]]));
    assert_eq!(
        slugs(&index.search("pw", Locale::Id, Audience::Public, 5).unwrap()),
        ["a-sandi"]
    );
}

#[test]
fn own_language_first_then_others() {
    let articles = vec![
        article(
            "refund-en",
            Locale::En,
            "How refunds work",
            "Ask the merchant for a refund.",
        ),
        article("refund-en", Locale::ZhCn, "退款说明", "向商家申请退款。"),
        article(
            "only-zh",
            Locale::ZhCn,
            "退款多久到账",
            "退款一般几天内到账。",
        ),
    ];
    let index = HelpIndex::build(&articles).unwrap();
    let hits = index
        .search("refund", Locale::En, Audience::Public, 10)
        .unwrap();
    // The English translation first; the Chinese-only article after it, found through the
    // synonyms; the Chinese translation of an article already found is not repeated.
    assert_eq!(slugs(&hits), ["refund-en", "only-zh"]);
    assert_eq!(hits[0].locale, Locale::En);
    assert_eq!(hits[1].locale, Locale::ZhCn);
    let hits = index
        .search("退款", Locale::ZhCn, Audience::Public, 10)
        .unwrap();
    assert!(hits.iter().all(|h| h.locale == Locale::ZhCn), "{hits:?}");
    assert_eq!(hits.len(), 2);
}

// ---------------------------------------------------------------- visibility and status

#[test]
fn internal_articles_are_for_staff_only() {
    let (articles, index) = &*KB;
    let internal: BTreeSet<&str> = articles
        .iter()
        .filter(|a| a.visibility == Visibility::Internal)
        .map(|a| a.slug.as_str())
        .collect();
    assert_eq!(internal.len(), 2, "{internal:?}");
    for locale in Locale::ALL {
        for article in articles
            .iter()
            .filter(|a| a.visibility == Visibility::Internal)
        {
            let public = index
                .search(&article.title, locale, Audience::Public, 100)
                .unwrap();
            assert!(
                public.iter().all(|h| !internal.contains(h.slug.as_str())),
                "{public:?}"
            );
            let suggestions = index
                .suggest(&article.title, locale, Audience::Public, 100)
                .unwrap();
            assert!(
                suggestions
                    .iter()
                    .all(|s| !internal.contains(s.slug.as_str()))
            );
        }
        let staff = index
            .search(
                "verify identity before assisted unlock",
                locale,
                Audience::Staff,
                5,
            )
            .unwrap();
        assert!(
            slugs(&staff).contains(&"verify-identity-assisted-unlock"),
            "{locale:?}: {staff:?}"
        );
    }
    let staff = index
        .search(
            "flagged transaction handling",
            Locale::En,
            Audience::Staff,
            3,
        )
        .unwrap();
    assert_eq!(staff[0].slug, "handling-flagged-transaction");
}

#[test]
fn drafts_are_never_returned() {
    let mut draft = article(
        "draft-one",
        Locale::En,
        "Unicorn payments",
        "Unicorn payments are coming.",
    );
    draft.status = Status::Draft;
    let published = article("live-one", Locale::En, "Payments", "Ordinary payments.");
    let index = HelpIndex::build(&[draft.clone(), published]).unwrap();
    assert_eq!(index.len(), 1);
    for audience in [Audience::Public, Audience::Staff] {
        let hits = index
            .search("unicorn payments", Locale::En, audience, 10)
            .unwrap();
        assert_eq!(slugs(&hits), ["live-one"]);
        assert!(
            index
                .suggest("unicorn", Locale::En, audience, 10)
                .unwrap()
                .is_empty()
        );
    }
    // Publishing it makes it searchable; turning it back into a draft removes it.
    draft.status = Status::Published;
    index.upsert(&draft).unwrap();
    assert_eq!(
        index
            .search("unicorn", Locale::En, Audience::Public, 10)
            .unwrap()[0]
            .slug,
        "draft-one"
    );
    draft.status = Status::Draft;
    index.upsert(&draft).unwrap();
    assert!(
        index
            .search("unicorn", Locale::En, Audience::Public, 10)
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------- typo tolerance

#[test]
fn typos_in_latin_scripts_are_tolerated() {
    let (_, index) = &*KB;
    let cases = [
        ("pasword", Locale::En, "reset-password"),
        ("forgot my pasword", Locale::En, "reset-password"),
        (
            "insuficient balance",
            Locale::En,
            "payment-failed-insufficient-balance",
        ),
        ("refnud status", Locale::En, "refund-timing"),
        ("lupa pasword", Locale::Id, "reset-password"),
        (
            "kupon kadaluwarsa",
            Locale::Id,
            "coupon-not-valid-yet-or-expired",
        ),
    ];
    for (query, locale, expected) in cases {
        let hits = index.search(query, locale, Audience::Public, 3).unwrap();
        assert!(slugs(&hits).contains(&expected), "{query}: {hits:?}");
    }
}

#[test]
fn exact_matches_outrank_approximate_ones() {
    let articles = vec![
        article("cart", Locale::En, "Cart", "Your cart."),
        article("card", Locale::En, "Card", "Your card."),
        article("cards", Locale::En, "Cardsharp", "Cardsharp tricks."),
    ];
    let index = HelpIndex::build(&articles).unwrap();
    // "card" has 4 letters: one edit allowed, so "cart" matches too, below the exact match.
    let hits = index
        .search("card", Locale::En, Audience::Public, 10)
        .unwrap();
    assert_eq!(hits[0].slug, "card");
    assert!(slugs(&hits).contains(&"cart"));
    // Short words get no fuzziness.
    let articles = vec![
        article("pin", Locale::En, "PIN", "Your PIN."),
        article("pen", Locale::En, "Pen", "A pen."),
    ];
    let index = HelpIndex::build(&articles).unwrap();
    assert_eq!(
        slugs(
            &index
                .search("pin", Locale::En, Audience::Public, 10)
                .unwrap()
        ),
        ["pin"]
    );
}

// ---------------------------------------------------------------- snippets

#[test]
fn snippets_are_escaped_and_marked() {
    let body = "Please <script>alert('x')</script> ask for a **refund** & wait. \"Quotes\" stay.";
    let articles = vec![article("x", Locale::En, "Title <b>bold</b>", body)];
    let index = HelpIndex::build(&articles).unwrap();
    let hits = index
        .search("refund", Locale::En, Audience::Public, 1)
        .unwrap();
    let snippet = &hits[0].snippet_html;
    assert!(snippet.contains("<mark>refund</mark>"), "{snippet}");
    assert!(
        snippet.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{snippet}"
    );
    assert!(snippet.contains("&amp; wait"), "{snippet}");
    assert!(snippet.contains("&quot;Quotes&quot;"), "{snippet}");
    assert!(!snippet.contains("**"), "markdown is removed: {snippet}");
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains(['<', '>']), "{snippet}");
    // The title is returned as plain text, for the page to escape.
    assert_eq!(hits[0].title, "Title <b>bold</b>");
}

#[test]
fn snippets_highlight_chinese_and_stemmed_words() {
    let (_, index) = &*KB;
    let hits = index
        .search("退款没到账", Locale::ZhCn, Audience::Public, 3)
        .unwrap();
    assert!(hits[0].snippet_html.contains("<mark>"), "{:?}", hits[0]);
    let hits = index
        .search("refunds", Locale::En, Audience::Public, 3)
        .unwrap();
    assert!(
        hits[0].snippet_html.to_lowercase().contains("<mark>refund"),
        "{:?}",
        hits[0]
    );
    let hits = index
        .search("pengembalian dana", Locale::Id, Audience::Public, 3)
        .unwrap();
    assert!(hits[0].snippet_html.contains("<mark>"), "{:?}", hits[0]);
}

#[test]
fn snippet_falls_back_to_the_start_of_the_body() {
    let articles = vec![{
        let mut a = article(
            "k",
            Locale::En,
            "Other",
            "First sentence of the body. More text follows here.",
        );
        a.keywords = vec!["zebra".into()];
        a
    }];
    let index = HelpIndex::build(&articles).unwrap();
    let hits = index
        .search("zebra", Locale::En, Audience::Public, 1)
        .unwrap();
    assert!(
        hits[0].snippet_html.starts_with("First sentence"),
        "{:?}",
        hits[0]
    );
}

// ---------------------------------------------------------------- edits

#[test]
fn upsert_and_remove_keep_the_index_current() {
    let index =
        HelpIndex::build(&[article("a", Locale::En, "Alpha topic", "About alpha.")]).unwrap();
    assert!(
        index
            .search("bravo", Locale::En, Audience::Public, 5)
            .unwrap()
            .is_empty()
    );

    index
        .upsert(&article("b", Locale::En, "Bravo topic", "About bravo."))
        .unwrap();
    assert_eq!(
        slugs(
            &index
                .search("bravo", Locale::En, Audience::Public, 5)
                .unwrap()
        ),
        ["b"]
    );
    assert_eq!(index.len(), 2);

    // Replacing a translation: the old text no longer matches, the new one does.
    index
        .upsert(&article("b", Locale::En, "Charlie topic", "About charlie."))
        .unwrap();
    assert!(
        index
            .search("bravo", Locale::En, Audience::Public, 5)
            .unwrap()
            .is_empty()
    );
    let hits = index
        .search("charlie", Locale::En, Audience::Public, 5)
        .unwrap();
    assert_eq!((hits.len(), hits[0].title.as_str()), (1, "Charlie topic"));
    assert_eq!(
        index
            .suggest("char", Locale::En, Audience::Public, 5)
            .unwrap()[0]
            .slug,
        "b"
    );
    assert_eq!(index.len(), 2);

    // Another translation of the same slug is a separate entry.
    index
        .upsert(&article(
            "b",
            Locale::Id,
            "Topik charlie",
            "Tentang charlie.",
        ))
        .unwrap();
    assert_eq!(index.len(), 3);
    assert!(index.remove("b", Locale::En).unwrap());
    assert!(!index.remove("b", Locale::En).unwrap());
    let hits = index
        .search("charlie", Locale::En, Audience::Public, 5)
        .unwrap();
    assert_eq!(
        hits.iter()
            .map(|h| (h.slug.as_str(), h.locale))
            .collect::<Vec<_>>(),
        [("b", Locale::Id)]
    );

    // Becoming internal hides it from the public.
    let mut internal = article("a", Locale::En, "Alpha topic", "About alpha.");
    internal.visibility = Visibility::Internal;
    index.upsert(&internal).unwrap();
    assert!(
        index
            .search("alpha", Locale::En, Audience::Public, 5)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        index
            .search("alpha", Locale::En, Audience::Staff, 5)
            .unwrap()
            .len(),
        1
    );

    index.replace_all(&[]).unwrap();
    assert!(index.is_empty());
    assert!(
        index
            .search("alpha", Locale::En, Audience::Staff, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn searches_run_while_articles_are_edited() {
    let index = HelpIndex::build(&[article("a", Locale::En, "Alpha", "About alpha.")]).unwrap();
    std::thread::scope(|scope| {
        let index = &index;
        scope.spawn(move || {
            for i in 0..10 {
                index
                    .upsert(&article(
                        &format!("n{i}"),
                        Locale::En,
                        "Alpha again",
                        "More alpha.",
                    ))
                    .unwrap();
            }
        });
        for _ in 0..50 {
            assert!(
                !index
                    .search("alpha", Locale::En, Audience::Public, 20)
                    .unwrap()
                    .is_empty()
            );
        }
    });
    assert_eq!(
        index
            .search("alpha", Locale::En, Audience::Public, 20)
            .unwrap()
            .len(),
        11
    );
}

// ---------------------------------------------------------------- suggestions

#[test]
fn suggestions_complete_titles() {
    let (_, index) = &*KB;
    let s = index
        .suggest("reset y", Locale::En, Audience::Public, 5)
        .unwrap();
    assert_eq!(s[0].slug, "reset-password");
    let s = index
        .suggest("Transaction fail", Locale::En, Audience::Public, 10)
        .unwrap();
    assert!(
        s.iter()
            .take(3)
            .all(|s| s.slug.starts_with("payment-failed-")),
        "{s:?}"
    );
    let s = index
        .suggest("kata san", Locale::Id, Audience::Public, 5)
        .unwrap();
    assert!(
        s.iter().any(|s| s.slug == "reset-password") && s.iter().all(|s| s.locale == Locale::Id),
        "{s:?}"
    );
    let s = index
        .suggest("退款", Locale::ZhCn, Audience::Public, 5)
        .unwrap();
    assert!(
        s.len() >= 3 && s.iter().all(|s| s.locale == Locale::ZhCn),
        "{s:?}"
    );
    assert!(s.iter().any(|s| s.slug == "refund-timing"), "{s:?}");
    // Prefixes that start no title fall back to search results.
    let s = index
        .suggest("pasword", Locale::En, Audience::Public, 3)
        .unwrap();
    assert!(s.iter().any(|s| s.slug == "reset-password"), "{s:?}");
    // One suggestion per slug, limit respected.
    let s = index.suggest("c", Locale::En, Audience::Public, 4).unwrap();
    assert!(s.len() <= 4);
    let unique: BTreeSet<&str> = s.iter().map(|s| s.slug.as_str()).collect();
    assert_eq!(unique.len(), s.len());
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input_never_fails() {
    let (_, index) = &*KB;
    let long_latin = "refund ".repeat(1500);
    let long_han = "退款".repeat(5000);
    let long_word = "a".repeat(10_000);
    let inputs: Vec<&str> = vec![
        "",
        "   \t\n",
        &long_latin,
        &long_han,
        &long_word,
        "💸💸💸",
        "refund 💸 please 🙏",
        "refund 退款 pengembalian dana",
        "<script>alert(1)</script>",
        "<b>password</b>",
        "'; DROP TABLE articles; --",
        "\" OR 1=1 --",
        "title:password AND (refund OR",
        "password~2^3 +refund -coupon",
        "\"unclosed phrase",
        "* ? [ ] { } : \\ / ! ^ ~",
        "\0\u{1}\u{7f}",
        "مرحبا שלום",
        "e\u{301}\u{301}\u{301}",
        "ｐａｓｓｗｏｒｄ",
        "\u{202e}drowssap",
        "%00%27",
    ];
    for input in inputs {
        for locale in Locale::ALL {
            for audience in [Audience::Public, Audience::Staff] {
                let hits = index.search(input, locale, audience, 10).unwrap();
                assert!(hits.len() <= 10);
                for hit in &hits {
                    let plain = hit
                        .snippet_html
                        .replace("<mark>", "")
                        .replace("</mark>", "");
                    assert!(
                        !plain.contains(['<', '>']),
                        "{input:?}: {}",
                        hit.snippet_html
                    );
                }
                let suggestions = index.suggest(input, locale, audience, 10).unwrap();
                assert!(suggestions.len() <= 10);
            }
        }
    }
    assert!(
        index
            .search("", Locale::En, Audience::Public, 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        index
            .search("refund", Locale::En, Audience::Public, 0)
            .unwrap()
            .is_empty()
    );
    assert!(
        index
            .search("refund", Locale::En, Audience::Public, usize::MAX)
            .unwrap()
            .len()
            <= 100
    );
    // Mixed scripts find something sensible.
    let hits = index
        .search("refund 退款", Locale::En, Audience::Public, 3)
        .unwrap();
    assert!(hits.iter().any(|h| h.slug.contains("refund")), "{hits:?}");
    // Markup in the query is just text.
    let hits = index
        .search("<b>password</b>", Locale::En, Audience::Public, 3)
        .unwrap();
    assert_eq!(hits[0].slug, "password-requirements");
}

// ---------------------------------------------------------------- the shipped knowledge base

#[test]
fn every_shipped_article_parses_and_is_complete() {
    let (articles, index) = &*KB;
    assert!(articles.len() >= 120, "{}", articles.len());
    let mut by_slug: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    for a in articles {
        by_slug.entry(&a.slug).or_default().push(a);
        assert!(
            !a.title.is_empty() && !a.body.is_empty(),
            "{}",
            a.file_name()
        );
        assert!(!a.keywords.is_empty(), "{}", a.file_name());
        assert!(!a.body.contains("<script"), "{}", a.file_name());
    }
    assert!(by_slug.len() >= 40);
    for (slug, translations) in &by_slug {
        let locales: BTreeSet<&str> = translations.iter().map(|a| a.locale.tag()).collect();
        assert_eq!(locales.len(), 3, "{slug} is not in all three languages");
        let first = translations[0];
        for t in translations {
            assert_eq!(
                (t.category, t.visibility, t.status),
                (first.category, first.visibility, first.status),
                "{slug}"
            );
            assert_eq!(t.related, first.related, "{slug}");
        }
        for related in &first.related {
            assert!(
                by_slug.contains_key(related.as_str()),
                "{slug} relates to unknown {related}"
            );
        }
    }
    assert_eq!(
        index.len(),
        articles
            .iter()
            .filter(|a| a.status == Status::Published)
            .count()
    );
    // Export and import give the same articles.
    for a in articles {
        let again = search::parse_article_file(&a.file_name(), &a.to_file_text()).unwrap();
        assert_eq!(&again, a);
    }
}

#[test]
fn shipped_query_sets_reach_recall_at_3() {
    let (_, index) = &*KB;
    let mut queries = Vec::new();
    for locale in Locale::ALL {
        let path = kb_dir()
            .join("queries")
            .join(format!("{}.tsv", locale.tag()));
        let set = load_queries(&path, locale).unwrap();
        assert!(set.len() >= 60, "{}", path.display());
        queries.extend(set);
    }
    let evaluation = evaluate(index, &queries).unwrap();
    for miss in &evaluation.misses {
        eprintln!(
            "miss: {:?} ({}) expected {} at {:?}, got {:?}",
            miss.query.query,
            miss.query.locale.tag(),
            miss.query.expected_slug,
            miss.rank,
            miss.top
        );
    }
    assert_eq!(evaluation.locales.len(), 3);
    for scores in &evaluation.locales {
        eprintln!(
            "{}: {} queries, Recall@1 {:.3}, Recall@3 {:.3}, MRR {:.3}",
            scores.locale.tag(),
            scores.queries,
            scores.recall_at_1,
            scores.recall_at_3,
            scores.mrr
        );
        assert!(scores.recall_at_3 >= 0.95, "{scores:?}");
    }
}
