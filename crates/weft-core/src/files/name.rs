//! The name an upload came with: kept, sanitised, only to name the file when it is
//! downloaded (`Content-Disposition`). It never becomes a path.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The longest name kept, in characters (the extension is kept when one is cut).
const MAX_CHARS: usize = 200;

/// The last part of `raw` (after any `/` or `\`), without control characters, leading
/// dots or surrounding spaces, and with the characters Windows refuses in a file name
/// replaced: `../../etc/passwd.pdf` becomes `passwd.pdf`. Empty: `file`.
pub fn sanitise(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned = if cleaned.chars().count() > MAX_CHARS {
        let (stem, extension) = match cleaned.rsplit_once('.') {
            Some((s, e)) if e.chars().count() <= 10 => (s, format!(".{e}")),
            _ => (cleaned, String::new()),
        };
        let keep = MAX_CHARS - extension.chars().count();
        format!("{}{extension}", stem.chars().take(keep).collect::<String>())
    } else {
        cleaned.to_string()
    };
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// RFC 5987 `attr-char`s stay as they are in `filename*`; everything else is encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The `Content-Disposition` a file named `name` is served with (RFC 6266): `inline` or
/// `attachment`, an ASCII `filename` for old clients and the exact name in `filename*`.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | '%') => c,
            _ => '_',
        })
        .collect();
    format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_controls_are_dropped() {
        assert_eq!(sanitise("../../etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(sanitise("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitise("/etc/"), "file");
        assert_eq!(sanitise(".."), "file");
        assert_eq!(sanitise(".htaccess"), "htaccess");
        assert_eq!(sanitise("a\r\nb\0.txt"), "ab.txt");
        assert_eq!(sanitise("  Plan: \"v2\"?.docx "), "Plan_ _v2__.docx");
        assert_eq!(sanitise("Méthode été.md"), "Méthode été.md");
        let long = format!("{}.pdf", "x".repeat(500));
        let cut = sanitise(&long);
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with("x.pdf"));
    }

    #[test]
    fn dispositions_follow_rfc_6266() {
        assert_eq!(
            content_disposition("report.pdf", true),
            "inline; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("Méthode 100%.md", false),
            "attachment; filename=\"M_thode 100_.md\"; filename*=UTF-8''M%C3%A9thode%20100%25.md"
        );
    }
}
