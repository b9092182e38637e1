//! OFD (GB/T 33190) documents: reading the package safely, verifying and adding GB/T 38540
//! seal signatures (SES-OFD.md §6).

pub mod package;

pub use package::{Entry, Limits, Package, write_package};
