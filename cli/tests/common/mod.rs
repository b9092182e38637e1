//! The library's test helpers (tests/common) and, for the CLI's tests, driving the binary.
#![allow(dead_code, unused_imports)]

#[path = "../../../tests/common/mod.rs"]
mod library;

pub use library::*;

pub mod cli;
