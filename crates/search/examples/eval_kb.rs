//! Development aid: evaluates search on the shipped knowledge base and prints every query that
//! misses Recall@3, then Recall@1, Recall@3 and MRR per language.
//!
//! `cargo run -p search --example eval_kb` uses `kb/queries/<locale>.tsv`; set `QDIR` to a
//! directory with `en.tsv`, `id.tsv` and `zh-CN.tsv` to evaluate other query sets.
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kb = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb");
    let qdir = std::env::var("QDIR")
        .map(std::path::PathBuf::from)
        .unwrap_or(kb.join("queries"));
    let t = std::time::Instant::now();
    let articles = search::load_kb_dir(&kb.join("articles"))?;
    let index = search::HelpIndex::build(&articles)?;
    eprintln!("built in {:?}", t.elapsed());
    let mut queries = Vec::new();
    for locale in search::Locale::ALL {
        queries.extend(search::load_queries(
            &qdir.join(format!("{}.tsv", locale.tag())),
            locale,
        )?);
    }
    let t = std::time::Instant::now();
    let eval = search::evaluate(&index, &queries)?;
    eprintln!("evaluated {} in {:?}", queries.len(), t.elapsed());
    for m in &eval.misses {
        println!(
            "MISS {} {:?} expected {} rank {:?} got {:?}",
            m.query.locale.tag(),
            m.query.query,
            m.query.expected_slug,
            m.rank,
            m.top
        );
    }
    for s in &eval.locales {
        println!(
            "{} n={} R@1={:.3} R@3={:.3} MRR={:.3}",
            s.locale.tag(),
            s.queries,
            s.recall_at_1,
            s.recall_at_3,
            s.mrr
        );
    }
    Ok(())
}
