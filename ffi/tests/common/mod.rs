//! The library's test helpers (tests/common).
#![allow(dead_code, unused_imports)]

#[path = "../../../tests/common/mod.rs"]
mod library;

pub use library::*;
