//! GB/T 38540 electronic seals (电子印章): the seal structures, making seals, seal
//! signatures, verification, and the seal picture.

mod make;
pub mod picture;
mod structures;
mod tlv;

pub use make::{SealRequest, make_seal, make_seal_v5, sign_with_seal, timestamp_seal_signature};
pub use structures::{
    CertList, ExtData, MAX_SES_SIZE, OID_ECDSA_SHA256, OID_SM2_SM3, PictureInfo, Seal, SealHeader,
    SealProperty, SealSignature, SesVersion, TimeInfo,
};
pub(crate) mod verify;

pub use verify::{verify_seal, verify_seal_signature, verify_seal_with_chain};
