//! The constellation: communities linked across instances (DESIGN.md, "The constellation").

pub mod bridges;
