//! Which files a community library takes, read from the bytes (never from the name or
//! the client's `Content-Type`): documents, images, recordings, and plain text. Anything
//! else, and anything disguised as one of these (an HTML page or a program named `.pdf`),
//! is refused.

/// The types taken, with what they are (the list `docs` and refusals show).
pub const ALLOWED: &[(&str, &str)] = &[
    ("application/pdf", "PDF"),
    ("image/png", "PNG image"),
    ("image/jpeg", "JPEG image"),
    ("image/gif", "GIF image"),
    ("image/webp", "WebP image"),
    ("image/avif", "AVIF image"),
    (DOCX, "Word document (.docx)"),
    (XLSX, "Excel spreadsheet (.xlsx)"),
    (PPTX, "PowerPoint presentation (.pptx)"),
    (ODT, "OpenDocument text (.odt)"),
    (ODS, "OpenDocument spreadsheet (.ods)"),
    (ODP, "OpenDocument presentation (.odp)"),
    ("application/epub+zip", "EPUB book"),
    ("audio/mpeg", "MP3 audio"),
    ("audio/ogg", "Ogg audio"),
    ("audio/mp4", "M4A audio"),
    ("video/mp4", "MP4 video"),
    ("video/webm", "WebM video"),
    ("text/plain", "plain text (UTF-8)"),
    ("text/markdown", "Markdown (UTF-8, .md)"),
    ("text/csv", "CSV (UTF-8, .csv)"),
];

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";
const ODT: &str = "application/vnd.oasis.opendocument.text";
const ODS: &str = "application/vnd.oasis.opendocument.spreadsheet";
const ODP: &str = "application/vnd.oasis.opendocument.presentation";

/// The media type of `bytes` if the library takes it; otherwise why not. `name` only
/// chooses between the kinds of text (plain, markdown, CSV), which the bytes cannot tell
/// apart and which are all served as text.
pub fn sniff(bytes: &[u8], name: &str) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if let Some(found) = infer::get(bytes) {
        // infer names M4A `audio/m4a`; the registered type is `audio/mp4`.
        let media_type = match found.mime_type() {
            "audio/m4a" => "audio/mp4",
            other => other,
        };
        return ALLOWED
            .iter()
            .map(|(t, _)| *t)
            .find(|t| *t == media_type)
            .ok_or_else(|| {
                format!(
                    "the file is {media_type} (read from its contents, whatever its name), \
                     which a library does not take; it takes {}",
                    allowed_list()
                )
            });
    }
    if !is_plain_text(bytes) {
        return Err(format!(
            "the file's type is not one a library takes (read from its contents, whatever \
             its name); it takes {}",
            allowed_list()
        ));
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    Ok(match extension.as_str() {
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        _ => "text/plain",
    })
}

/// UTF-8 without NUL or other control characters (tabs, line ends and form feeds aside),
/// and not starting with markup (HTML, SVG, XML: served as text they would be harmless,
/// but a library has no use for a web page).
fn is_plain_text(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
    {
        return false;
    }
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r', '\x0c']);
    let mut chars = start.chars();
    !(chars.next() == Some('<')
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '!' || c == '?'))
}

/// Whether a browser shows the file in place (`inline`) or saves it (`attachment`):
/// images and PDFs are shown, everything else saved.
pub fn shown_inline(media_type: &str) -> bool {
    media_type.starts_with("image/") || media_type == "application/pdf"
}

/// The `Content-Type` a file is served with (text says it is UTF-8).
pub fn content_type(media_type: &str) -> String {
    if media_type.starts_with("text/") {
        format!("{media_type}; charset=utf-8")
    } else {
        media_type.to_string()
    }
}

fn allowed_list() -> String {
    ALLOWED
        .iter()
        .map(|(_, what)| *what)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
        assert_eq!(sniff(pdf, "minutes.txt"), Ok("application/pdf"));
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        assert_eq!(sniff(png, "photo.pdf"), Ok("image/png"));
        assert_eq!(sniff(b"a,b\n1,2\n", "data.csv"), Ok("text/csv"));
        assert_eq!(sniff("# Méthode\n".as_bytes(), "m.MD"), Ok("text/markdown"));
        assert_eq!(sniff(b"Notes\n", "notes"), Ok("text/plain"));
    }

    #[test]
    fn disguises_are_refused() {
        for (bytes, name) in [
            (
                &b"<!DOCTYPE html><html><script>alert(1)</script>"[..],
                "report.pdf",
            ),
            (b"  <html><body>hi</body></html>", "notes.txt"),
            (
                b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>",
                "logo.png",
            ),
            (b"<?xml version='1.0'?><a/>", "data.csv"),
            (
                b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0",
                "slides.pdf",
            ),
            (b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", "setup.docx"),
            (b"#!/bin/sh\nrm -rf /\n", "readme.md"),
            (b"PK\x03\x04\x14\0\0\0\0\0", "archive.docx"),
            (b"text\0with a NUL", "a.txt"),
            (b"\xff\xfe\x00\x00not utf-8", "a.txt"),
            (b"", "empty.txt"),
        ] {
            assert!(
                sniff(bytes, name).is_err(),
                "{name}: {:?}",
                sniff(bytes, name)
            );
        }
    }

    #[test]
    fn images_and_pdfs_are_shown_in_place() {
        assert!(shown_inline("image/png") && shown_inline("application/pdf"));
        assert!(!shown_inline("text/plain") && !shown_inline(DOCX));
        assert_eq!(content_type("text/csv"), "text/csv; charset=utf-8");
    }
}
