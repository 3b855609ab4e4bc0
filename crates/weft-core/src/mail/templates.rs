//! The mails' templates (minijinja): `NAME.txt` and `NAME.html` per mail, the HTML parts
//! extending `layout.html`. Values are escaped in the HTML parts (auto-escaping by the
//! `.html` name), and left as they are in the text parts.

use crate::{CoreError, CoreResult};
use std::sync::OnceLock;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("confirm.txt", include_str!("templates/confirm.txt")),
    ("confirm.html", include_str!("templates/confirm.html")),
    ("reset.txt", include_str!("templates/reset.txt")),
    ("reset.html", include_str!("templates/reset.html")),
    (
        "join_request.txt",
        include_str!("templates/join_request.txt"),
    ),
    (
        "join_request.html",
        include_str!("templates/join_request.html"),
    ),
    ("digest.txt", include_str!("templates/digest.txt")),
    ("digest.html", include_str!("templates/digest.html")),
];

fn environment() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // HTML escaping of `& < > " '` only: minijinja's own also escapes `/`, which
        // makes every link in an `href` unreadable in the mail's source.
        env.set_formatter(
            |out, state, value| match (state.auto_escape(), value.as_str()) {
                (minijinja::AutoEscape::Html, Some(text)) if !value.is_safe() => {
                    out.write_str(&crate::sanitize::escape(text))?;
                    Ok(())
                }
                _ => minijinja::escape_formatter(out, state, value),
            },
        );
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("the mail templates parse (checked by the unit tests)");
        }
        env
    })
}

/// Renders mail `name`'s text and HTML parts with `context`.
pub fn render(name: &str, context: &minijinja::Value) -> CoreResult<(String, String)> {
    let part = |ext: &str| -> CoreResult<String> {
        environment()
            .get_template(&format!("{name}.{ext}"))
            .and_then(|t| t.render(context))
            .map_err(|e| {
                tracing::error!("mail template {name}.{ext}: {e:#}");
                CoreError::Db(weft_db::DbError::Task(format!(
                    "the mail template {name}.{ext} failed: {e}"
                )))
            })
    };
    Ok((part("txt")?, part("html")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn html_parts_escape_and_text_parts_do_not() {
        let ctx = context! {
            lead => "ana", who => "<script>x</script> & co", profile => "https://a.example/u/x",
            community => "Care & <b>share</b>", requests => "https://a.example/r", instance => "a.example",
        };
        let (text, html) = render("join_request", &ctx).unwrap();
        assert!(text.contains("<script>x</script> & co"), "{text}");
        assert!(
            html.contains("&lt;script&gt;x&lt;/script&gt; &amp; co"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("Care &amp; &lt;b&gt;share"), "{html}");
    }

    #[test]
    fn every_mail_renders() {
        let ctx = context! {
            username => "ana", instance => "a.example", link => "https://a.example/l?token=t",
            token => "t", minutes => 60, hours => 48,
            lead => "ana", who => "bo", profile => "p", community => "c", requests => "r",
            communities => Vec::<minijinja::Value>::new(), unsubscribe => "https://a.example/u",
            since => "1 December",
        };
        for name in ["confirm", "reset", "join_request", "digest"] {
            let (text, html) = render(name, &ctx).unwrap();
            assert!(!text.trim().is_empty() && html.contains("<html"), "{name}");
        }
    }
}
