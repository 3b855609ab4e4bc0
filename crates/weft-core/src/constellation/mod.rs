//! The constellation: how items travel between communities, here and elsewhere.
pub mod weaving;
pub mod bridges;
