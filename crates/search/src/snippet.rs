//! Snippet HTML: escaped text with `<mark>` around matches.

use tantivy::snippet::Snippet;

/// Escapes text for HTML element content and attribute values (`& < > " '`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

/// The HTML of a tantivy snippet: the fragment escaped, highlighted ranges in `<mark>`.
/// `None` when the snippet has no highlighted word.
pub(crate) fn snippet_html(snippet: &Snippet, full_text: &str) -> Option<String> {
    let fragment = snippet.fragment();
    if fragment.is_empty() || snippet.highlighted().is_empty() {
        return None;
    }
    let range = snippet.fragment_range();
    let mut out = String::with_capacity(fragment.len() + 64);
    if range.start > 0 {
        out.push('…');
    }
    // Search-mode segmentation yields overlapping words (信用, 信用卡): merge their ranges.
    let mut ranges: Vec<(usize, usize)> = snippet
        .highlighted()
        .iter()
        .map(|r| (r.start.min(fragment.len()), r.end.min(fragment.len())))
        .filter(|(s, e)| s < e)
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut at = 0;
    for (start, end) in merged {
        if !fragment.is_char_boundary(start) || !fragment.is_char_boundary(end) {
            continue;
        }
        push_escaped(&mut out, &fragment[at..start]);
        out.push_str("<mark>");
        push_escaped(&mut out, &fragment[start..end]);
        out.push_str("</mark>");
        at = end;
    }
    push_escaped(&mut out, &fragment[at..]);
    if range.end < full_text.trim_end().len() {
        out.push('…');
    }
    Some(out.trim().to_owned())
}

/// The escaped start of a text, cut at a word boundary near `max_chars` characters.
pub(crate) fn leading_html(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let cut = text.char_indices().nth(max_chars).map(|(i, _)| i);
    match cut {
        None => escape_html(text),
        Some(cut) => {
            let head = &text[..cut];
            // Prefer a word boundary for space-separated scripts; Chinese has none.
            let end = match head.rfind(char::is_whitespace) {
                Some(space) if space > cut / 2 => space,
                _ => cut,
            };
            let mut out = escape_html(head[..end].trim_end());
            out.push('…');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape_html("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn leading_cuts_at_words() {
        assert_eq!(leading_html("one two three", 100), "one two three");
        assert_eq!(leading_html("one two three four", 10), "one two…");
        assert_eq!(leading_html("退款多久到账钱退到哪里", 4), "退款多久…");
        assert_eq!(leading_html("a<b c<d e<f", 8), "a&lt;b c&lt;d…");
    }
}
