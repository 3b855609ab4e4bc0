//! Rendering: the parts every page shares ([`Chrome`]), HTML error pages with the
//! service's own reason, the security headers, and small helpers for templates.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use weft_core::CoreError;
use weft_federation::FedError;

/// Marks the interface's "no such page" answer, so that [`crate::negotiate`] lets the
/// request go on to the federation routes.
#[derive(Clone, Copy, Debug)]
pub struct NotAPage;

/// What the layout shows around every page: who is signed in, the form token.
#[derive(Clone, Debug, Default)]
pub struct Chrome {
    pub title: String,
    pub domain: String,
    /// The signed-in person's username.
    pub me: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    /// A line to confirm what was just done.
    pub notice: Option<String>,
}

/// The Content-Security-Policy of every page: no inline script or style, nothing from
/// other origins but images.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Renders a page with a status.
pub fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering a page: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be made",
            )
                .into_response()
        }
    }
}

pub fn ok(template: &impl Template) -> Response {
    page(StatusCode::OK, template)
}

/// After a form: back to a page (303, so the browser reads it with GET).
pub fn see(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
    login: bool,
}

/// A refusal or failure, shown as a page: its status, and what the service said.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
    /// Boxed: errors travel in `Result`s, and the chrome is large.
    pub chrome: Box<Chrome>,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError {
            status,
            message: message.into(),
            chrome: Box::default(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub fn login() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "log in to do this")
    }
    /// The same error, shown inside this page's chrome (who is signed in).
    pub fn within(mut self, chrome: &Chrome) -> Self {
        self.chrome = Box::new(chrome.clone());
        self
    }
}

impl From<FedError> for PageError {
    fn from(e: FedError) -> Self {
        PageError::new(e.status, e.message)
    }
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        FedError::from(e).into()
    }
}

impl From<weft_db::DbError> for PageError {
    fn from(e: weft_db::DbError) -> Self {
        CoreError::from(e).into()
    }
}

impl From<weft_db::QueryError> for PageError {
    fn from(e: weft_db::QueryError) -> Self {
        CoreError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let heading = match self.status.as_u16() {
            401 => "Please log in",
            403 => "Not allowed",
            404 => "Not found",
            409 => "That cannot be done now",
            429 => "Too many attempts",
            400 | 422 => "Please check what you entered",
            500..=599 => "Something went wrong",
            _ => "That did not work",
        };
        let mut chrome = *self.chrome;
        if chrome.title.is_empty() {
            chrome.title = heading.to_string();
        }
        let login = self.status == StatusCode::UNAUTHORIZED && chrome.me.is_none();
        page(
            self.status,
            &ErrorPage {
                c: chrome,
                status: self.status.as_u16(),
                heading,
                message: &self.message,
                login,
            },
        )
    }
}

/// No page here: a page for browsers (marked, so negotiation can pass the request on),
/// an empty 404 for everyone else, as before the interface existed.
pub async fn not_found(request: Request) -> Response {
    let mut response =
        if crate::wants_html(request.headers()) && !request.uri().path().starts_with("/api/") {
            PageError::not_found("There is no page at this address.").into_response()
        } else {
            StatusCode::NOT_FOUND.into_response()
        };
    response.extensions_mut().insert(NotAPage);
    response
}

/// HTML that was cleaned when stored, cleaned again by the same sanitiser as federation
/// (links keep `rel="nofollow noopener ugc"`), for templates' `|safe`.
pub fn clean(html: &str) -> String {
    alt_for_images(&weft_core::sanitize::html(html))
}

/// Gives an image that came without a description `alt=""` (shown, and skipped by
/// screen readers rather than read out as its file name). Reads the sanitiser's output,
/// where every attribute value is double-quoted with `"` escaped.
fn alt_for_images(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<img") {
        let (before, tag) = rest.split_at(at);
        out.push_str(before);
        // The tag's end: the first `>` outside a quoted value.
        let mut quoted = false;
        let end = tag
            .char_indices()
            .find(|&(_, ch)| {
                if ch == '"' {
                    quoted = !quoted;
                }
                ch == '>' && !quoted
            })
            .map(|(i, _)| i + 1)
            .unwrap_or(tag.len());
        let (element, after) = tag.split_at(end);
        let mut quoted = false;
        let has_alt = element
            .char_indices()
            .filter(|&(_, ch)| {
                if ch == '"' {
                    quoted = !quoted;
                }
                !quoted
            })
            .any(|(i, _)| element[i..].starts_with(" alt="));
        if has_alt {
            out.push_str(element);
        } else {
            out.push_str("<img alt=\"\"");
            out.push_str(&element[4..]);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A date and time as pages show it.
pub fn when(at: &chrono::NaiveDateTime) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// A time stored in UTC, shown in the IANA zone `zone` when it is one (`18:30 GMT`).
pub fn when_in(at: &chrono::NaiveDateTime, zone: Option<&str>) -> String {
    use chrono::TimeZone;
    match zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => tz
            .from_utc_datetime(at)
            .format("%-d %b %Y, %H:%M %Z")
            .to_string(),
        None => when(at),
    }
}

pub fn day(at: &chrono::NaiveDateTime) -> String {
    at.format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_without_a_description_are_decorative() {
        assert_eq!(
            clean(r#"<p><img src="https://example.org/a.png"></p>"#),
            r#"<p><img alt="" src="https://example.org/a.png"></p>"#
        );
        let described =
            r#"<p><img src="https://example.org/a.png?x=&quot;&gt; alt=" alt="A chart"></p>"#;
        assert_eq!(
            clean(described),
            described,
            "a described image is left alone"
        );
        assert_eq!(clean("<p>no images</p>"), "<p>no images</p>");
    }
}
