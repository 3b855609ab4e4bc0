//! Counting for `/metrics`: a handle on the instance's metrics recorder (Prometheus under
//! `weft serve`; nothing when unset). Each instance has its own, so instances sharing a
//! process (the tests) count apart.

use metrics::{Key, Label, Level, Metadata, Recorder};
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Meter(Option<Arc<dyn Recorder + Send + Sync>>);

fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()))
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    Key::from_parts(
        name,
        labels
            .iter()
            .map(|(k, v)| Label::new(*k, v.to_string()))
            .collect::<Vec<_>>(),
    )
}

impl Meter {
    pub fn new(recorder: Arc<dyn Recorder + Send + Sync>) -> Meter {
        Meter(Some(recorder))
    }

    /// Adds one to the counter `name` with these labels.
    pub fn count(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        if let Some(r) = &self.0 {
            r.register_counter(&key(name, labels), &metadata())
                .increment(1);
        }
    }

    /// Records one observation (seconds, bytes…) in the histogram `name`.
    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        if let Some(r) = &self.0 {
            r.register_histogram(&key(name, labels), &metadata())
                .record(value);
        }
    }
}

/// The status class of an HTTP status code ("2xx", "4xx"…), as metrics label it.
pub fn status_class(status: u16) -> &'static str {
    match status / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}
