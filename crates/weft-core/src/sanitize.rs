//! HTML from anywhere is cleaned once, when stored; what is served is what was stored.

/// Keeps the markup a post needs (paragraphs, links, lists, emphasis, code) and drops
/// scripts, styles, event handlers and unknown schemes.
pub fn html(input: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(input)
        .to_string()
}

/// Turns plain text (or markdown, until a renderer arrives) into safe HTML paragraphs.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A title is plain text: no markup at all, one line, bounded.
pub fn title(input: &str) -> String {
    let text = ammonia::Builder::empty().clean(input).to_string();
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_removed_links_kept() {
        let clean = html(
            r#"<p onclick="x()">Hi <script>alert(1)</script><a href="https://a.example">a</a></p>"#,
        );
        assert!(!clean.contains("script") && !clean.contains("onclick"));
        assert!(clean.contains(r#"href="https://a.example""#));
    }

    #[test]
    fn text_becomes_paragraphs() {
        assert_eq!(text_to_html("a <b>\n\nc"), "<p>a &lt;b&gt;</p><p>c</p>");
    }
}
