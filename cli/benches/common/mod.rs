//! The library's bench helpers (benches/common).
#![allow(dead_code)]

#[path = "../../../benches/common/mod.rs"]
mod library;

pub use library::*;
