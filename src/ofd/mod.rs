//! OFD (GB/T 33190) documents: reading the package safely, verifying and adding GB/T 38540
//! seal signatures (SES-OFD.md §6).

pub mod package;
pub mod sample;
pub mod seal;
mod text;
pub mod verify;
pub mod xml;

pub use package::{Entry, Limits, Package, write_package};
pub use seal::{OfdPlacement, OfdSealOptions, seal_ofd, seal_ofd_to};
pub use verify::{VerifyOptions, verify_ofd};
