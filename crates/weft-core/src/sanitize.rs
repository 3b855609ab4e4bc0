//! Text that reaches Weft is made safe once, when stored; what is served is what was stored.
//! - HTML from elsewhere is cleaned ([`html`]).
//! - Markdown a member writes is rendered, then cleaned ([`markdown_to_html`]); the
//!   markdown itself is kept beside it as `source`.
//! - Titles and names are plain text: a member's stored as written ([`title`]), another
//!   server's made text ([`remote_title`]); escaped only where put into HTML ([`escape`]).
//! - A summary is plain text cut from the rendered HTML ([`excerpt`]).

use pulldown_cmark::{Event, Options, Parser};

/// What links in posts carry: no endorsement, no opener access, user-generated.
const LINK_REL: &str = "nofollow noopener ugc";

/// Keeps the markup a post needs (paragraphs, links, lists, emphasis, code) and drops
/// scripts, styles, event handlers and unknown schemes.
pub fn html(input: &str) -> String {
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some(LINK_REL));
    builder.clean(input).to_string()
}

/// Renders markdown (CommonMark with tables and strikethrough) to HTML, then cleans it
/// like any HTML: raw HTML in the markdown gets no further than [`html`] lets it. A
/// single line break is kept as a line break, as people writing plain text expect.
pub fn markdown_to_html(text: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let events = Parser::new_ext(text.trim(), options).map(|event| match event {
        Event::SoftBreak => Event::HardBreak,
        other => other,
    });
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, events);
    html(&rendered)
}

/// The name other services call: markdown (or plain text, which is markdown) to safe HTML.
pub fn text_to_html(text: &str) -> String {
    markdown_to_html(text)
}

/// Escapes text for use inside HTML (element content or a quoted attribute).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A title or name is plain text: one line, no control characters, bounded. Not
/// escaped: `Q&A` stays `Q&A` in the database, in the API and on the wire (`name` is
/// plain text in ActivityStreams); HTML output escapes it.
pub fn title(input: &str) -> String {
    input
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect()
}

/// A title or name from another server, as stored: made text even if the sender put
/// markup or entities in it (`Q&amp;A <b>x</b>` → `Q&A x`), then as [`title`]. No HTML
/// is ever stored in a title.
pub fn remote_title(input: &str) -> String {
    title(&html_to_text(input))
}

/// The text of HTML: tags dropped, blocks and line breaks become
/// spaces, entities decoded, whitespace collapsed.
pub fn html_to_text(input: &str) -> String {
    // Ends of blocks and breaks separate words; inline tags do not.
    let mut spaced = input.replace("<br>", " ").replace("<br />", " ");
    for block in [
        "p",
        "li",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "tr",
        "div",
    ] {
        spaced = spaced.replace(&format!("</{block}>"), &format!("</{block}> "));
    }
    let stripped = ammonia::Builder::empty().clean(&spaced).to_string();
    // ammonia writes text with exactly these four escapes.
    let text = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A plain-text excerpt of HTML content of at most `max` characters, cut at a word
/// boundary with an ellipsis when shortened; `None` when there is no text.
pub fn excerpt(content_html: &str, max: usize) -> Option<String> {
    let text = html_to_text(content_html);
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= max {
        return Some(text);
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    Some(format!(
        "{}…",
        at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:.-".contains(c))
    ))
}

/// The most of a remote `source` (the author's markdown, kept beside the HTML) stored.
pub const MAX_REMOTE_SOURCE: usize = 100_000;

/// A remote object's `source` as stored: its text, clipped to [`MAX_REMOTE_SOURCE`]
/// characters. It is only ever shown as text (escaped), never as HTML.
pub fn remote_source(source: &weft_protocol::Source) -> String {
    source.content.chars().take(MAX_REMOTE_SOURCE).collect()
}

/// A remote object's `url` as stored: only an http(s) address (a `javascript:` or
/// `data:` link is dropped, never shown as a link).
pub fn remote_url(url: &url::Url) -> Option<String> {
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A remote actor's `preferredUsername` as stored: at most `max` characters of letters,
/// digits and `_.-` (what handles are made of); anything else is dropped.
pub fn remote_username(name: &str, max: usize) -> String {
    let kept: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || "_.-".contains(*c))
        .take(max)
        .collect();
    if kept.is_empty() {
        "unnamed".into()
    } else {
        kept
    }
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
        assert!(clean.contains(r#"rel="nofollow noopener ugc""#), "{clean}");
    }

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(
            markdown_to_html("Meet in **three** groups.\nBring _notes_.\n\n- one\n- two"),
            "<p>Meet in <strong>three</strong> groups.<br>\nBring <em>notes</em>.</p>\n\
             <ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
        assert_eq!(
            markdown_to_html("[guide](https://a.example/g) and `code`"),
            "<p><a href=\"https://a.example/g\" rel=\"nofollow noopener ugc\">guide</a> \
             and <code>code</code></p>\n"
        );
        assert_eq!(markdown_to_html("a < b & c"), "<p>a &lt; b &amp; c</p>\n");
    }

    #[test]
    fn raw_html_in_markdown_is_cleaned() {
        let out = markdown_to_html(
            "Hi <script>alert(1)</script><img src=x onerror=alert(2)>\n\n\
             [x](javascript:alert(3)) <b onclick=\"y()\">bold</b>",
        );
        for bad in ["<script", "onerror", "javascript:", "onclick", "alert(1)"] {
            assert!(!out.contains(bad), "{bad} survived in {out}");
        }
        assert!(out.contains("<b>bold</b>"), "{out}");
    }

    #[test]
    fn titles_stay_plain_text() {
        assert_eq!(title("  Q&A   <b>x</b>\n next "), "Q&A <b>x</b> next");
        assert_eq!(title("a\u{0}b"), "ab");
        assert_eq!(title(&"x".repeat(400)).len(), 300);
    }

    #[test]
    fn remote_titles_become_text() {
        assert_eq!(remote_title("Q&amp;A <b>x</b>"), "Q&A x");
        assert_eq!(remote_title("Q&A: a < b, <3"), "Q&A: a < b, <3");
        assert_eq!(remote_title("<p>One</p><p>two</p>"), "One two");
    }

    #[test]
    fn text_of_html() {
        assert_eq!(
            html_to_text(
                "<p>Q&amp;A: <strong>three</strong> &lt;groups&gt;</p><p>Next<br>line</p>"
            ),
            "Q&A: three <groups> Next line"
        );
    }

    #[test]
    fn excerpts_cut_at_a_word() {
        assert_eq!(excerpt("<p></p>", 10), None);
        assert_eq!(excerpt("<p>short</p>", 10).as_deref(), Some("short"));
        assert_eq!(
            excerpt("<p>one two three four</p>", 12).as_deref(),
            Some("one two…")
        );
        let long = excerpt(&format!("<p>{}</p>", "word ".repeat(200)), 400).unwrap();
        assert!(
            long.chars().count() <= 400 && long.ends_with("word…"),
            "{long}"
        );
    }

    #[test]
    fn remote_urls_usernames_and_sources_are_bounded_and_safe() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(remote_url(&url("javascript:alert(1)")), None);
        assert_eq!(remote_url(&url("data:text/html,<script>x</script>")), None);
        assert_eq!(
            remote_url(&url("https://social.example/@a/1")).as_deref(),
            Some("https://social.example/@a/1")
        );
        assert_eq!(remote_username("<b>alice</b>\n", 100), "baliceb");
        assert_eq!(remote_username("😀", 100), "unnamed");
        assert_eq!(remote_username(&"a".repeat(500), 100).len(), 100);
        let long = weft_protocol::Source::markdown("x".repeat(MAX_REMOTE_SOURCE + 10));
        assert_eq!(remote_source(&long).chars().count(), MAX_REMOTE_SOURCE);
    }
}
