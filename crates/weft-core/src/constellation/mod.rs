pub mod bridges;
