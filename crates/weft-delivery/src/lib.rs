//! The delivery queue. Services write outbox rows and one delivery row per remote inbox
//! in their transaction; this crate sends them.
//!
//! - One worker per remote instance at a time, walking that instance's queue in order.
//! - Several requests in flight per instance (`Settings::in_flight`), but activities about
//!   the same object (`ordering_key`) go one after another, so `Create` precedes `Update`.
//! - A delivered row is deleted; a refused one (4xx other than 408/429) is dropped; a
//!   failed one is retried with exponential backoff capped at one day. An instance that
//!   keeps failing is paused, and the pause doubles the same way.
//! - Nothing is marked sent before the peer answered, so after a crash a row may be sent
//!   again: receivers drop repeats by activity id.

mod sender;
mod worker;

pub use sender::{Payload, SendError, Sender, Signer};
pub use worker::{DeliveryHandle, Settings, spawn};
