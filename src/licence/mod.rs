//! Electronic licences (电子证照, GB/T 36901–36906; LICENCE.md): identifiers and check
//! characters, the compact signed form carried in a QR code, the status list that
//! revokes and suspends them, and the trust list of issuing offices and their keys.

pub mod batch;
pub mod cbor;
pub mod compact;
pub mod cose;
pub mod document;
pub mod identifiers;
pub mod issue;
pub mod model;
pub mod office;
pub mod sample;
pub mod status_list;
pub mod trust_list;
pub mod trust_state;
pub mod verify;
