//! The constellation: how items travel between communities, here and elsewhere.
pub mod bridges;
pub mod weaving;
