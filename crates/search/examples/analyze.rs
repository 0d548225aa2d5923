//! Development aid: prints the tokens of each argument for a language.
//!
//! `cargo run -p search --example analyze -- id "pengembalian dana" mengembalikan`
fn main() {
    let mut args = std::env::args().skip(1);
    let locale = search::Locale::parse(&args.next().unwrap_or_default()).unwrap_or_default();
    for text in args {
        println!("{text} -> {:?}", search::analysis::analyze(locale, &text));
    }
}
