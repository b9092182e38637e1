//! Keys on a PKCS#11 token (HSM, smart card, SoftHSM), behind the `pkcs11` feature.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType as CkKeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use der::Decode;
use der::asn1::{ObjectIdentifier, OctetStringRef, UintRef};
use sha2::Digest;

use super::algorithm::{Algorithm, KeyType, OID_P256, OID_P384};
use super::{PublicKey, Signer, signature_raw_to_der};
use crate::error::{Error, Result};

/// Modules loaded and initialized in this process, kept for its lifetime.
static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

/// A private key on a PKCS#11 token (PKCS#11 v2.40 / v3).
///
/// The key never leaves the token. EC keys (P-256, P-384) sign with `CKM_ECDSA` over a
/// digest computed on the host; RSA keys sign with `CKM_SHA256_RSA_PKCS`. One logged-in
/// session serves every signature, one at a time.
pub struct Pkcs11Signer {
    algorithm: Algorithm,
    spki: Vec<u8>,
    key: ObjectHandle,
    session: Mutex<Session>,
}

impl Pkcs11Signer {
    /// Opens the private key labelled `key_label` on the token labelled `token_label`,
    /// logging in as user with `user_pin`; the public key is the public key object with
    /// the same label.
    ///
    /// The module at `module` is loaded and initialized once per process (one already
    /// initialized by other code is used as it is). PKCS#11 logins are per token and
    /// process: if the user is already logged in to the token, that login is reused and
    /// `user_pin` is not checked again.
    ///
    /// Module, token, login and key failures are [`Error::Pkcs11`]; keys other than
    /// P-256, P-384 and RSA are [`Error::UnsupportedAlgorithm`].
    pub fn open(module: &Path, token_label: &str, user_pin: &str, key_label: &str) -> Result<Self> {
        let pkcs11 = load(module)?;
        let slot = find_slot(&pkcs11, token_label)?;
        let session = pkcs11.open_ro_session(slot).map_err(ck_error(&format!(
            "opening a session on token {token_label:?}"
        )))?;
        match session.login(UserType::User, Some(&AuthPin::from(user_pin))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => {
                return Err(Error::Pkcs11(format!(
                    "login to token {token_label:?} failed: {e}"
                )));
            }
        }
        let key = find_key(&session, ObjectClass::PRIVATE_KEY, key_label)?;
        let public = find_key(&session, ObjectClass::PUBLIC_KEY, key_label)?;
        let (algorithm, spki) = read_public_key(&session, public, key_label)?;
        Ok(Pkcs11Signer {
            algorithm,
            spki,
            key,
            session: Mutex::new(session),
        })
    }
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let (mechanism, data, field_len) = match self.algorithm {
            Algorithm::EcdsaP256Sha256 => {
                (Mechanism::Ecdsa, sha2::Sha256::digest(message).to_vec(), 32)
            }
            Algorithm::EcdsaP384Sha384 => {
                (Mechanism::Ecdsa, sha2::Sha384::digest(message).to_vec(), 48)
            }
            Algorithm::RsaPkcs1Sha256 => (Mechanism::Sha256RsaPkcs, message.to_vec(), 0),
            other => return Err(Error::UnsupportedAlgorithm(format!("{other} on PKCS#11"))),
        };
        let session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let signature = session.sign(&mechanism, self.key, &data).map_err(|e| {
            Error::Signing(format!("PKCS#11 {} signing failed: {e}", self.algorithm))
        })?;
        if field_len == 0 {
            return Ok(signature);
        }
        if signature.len() != 2 * field_len {
            return Err(Error::Signing(format!(
                "PKCS#11 returned a {}-byte {} signature",
                signature.len(),
                self.algorithm
            )));
        }
        signature_raw_to_der(&signature)
    }
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn ck_error(context: &str) -> impl FnOnce(CkError) -> Error + '_ {
    move |e| Error::Pkcs11(format!("{context}: {e}"))
}

fn load(module: &Path) -> Result<Pkcs11> {
    let mut modules = MODULES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pkcs11)) = modules.iter().find(|(path, _)| path == module) {
        return Ok(pkcs11.clone());
    }
    let context = format!("PKCS#11 module {}", module.display());
    let pkcs11 = Pkcs11::new(module).map_err(ck_error(&context))?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(ck_error(&context)(e)),
    }
    modules.push((module.to_path_buf(), pkcs11.clone()));
    Ok(pkcs11)
}

fn find_slot(pkcs11: &Pkcs11, token_label: &str) -> Result<Slot> {
    let slots = pkcs11
        .get_slots_with_initialized_token()
        .map_err(ck_error("listing slots"))?;
    for slot in slots {
        let info = pkcs11
            .get_token_info(slot)
            .map_err(ck_error("reading token information"))?;
        if info.label() == token_label {
            return Ok(slot);
        }
    }
    Err(Error::Pkcs11(format!("no token labelled {token_label:?}")))
}

fn find_key(session: &Session, class: ObjectClass, label: &str) -> Result<ObjectHandle> {
    let what = if class == ObjectClass::PRIVATE_KEY {
        "private"
    } else {
        "public"
    };
    let found = session
        .find_objects(&[
            Attribute::Class(class),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(ck_error(&format!("searching for the {what} key {label:?}")))?;
    match found.as_slice() {
        [key] => Ok(*key),
        [] => Err(Error::Pkcs11(format!("no {what} key labelled {label:?}"))),
        keys => Err(Error::Pkcs11(format!(
            "{} {what} keys labelled {label:?}",
            keys.len()
        ))),
    }
}

fn read_public_key(
    session: &Session,
    key: ObjectHandle,
    label: &str,
) -> Result<(Algorithm, Vec<u8>)> {
    let context = format!("reading the public key {label:?}");
    let attributes = session
        .get_attributes(
            key,
            &[
                AttributeType::KeyType,
                AttributeType::EcParams,
                AttributeType::EcPoint,
                AttributeType::Modulus,
                AttributeType::PublicExponent,
            ],
        )
        .map_err(ck_error(&context))?;
    let (mut key_type, mut params, mut point, mut modulus, mut exponent) =
        (None, None, None, None, None);
    for attribute in attributes {
        match attribute {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(v) => params = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            Attribute::Modulus(v) => modulus = Some(v),
            Attribute::PublicExponent(v) => exponent = Some(v),
            _ => {}
        }
    }
    let missing = |name: &str| Error::Pkcs11(format!("{context}: no {name}"));
    match key_type.ok_or_else(|| missing("CKA_KEY_TYPE"))? {
        CkKeyType::EC => {
            let params = params.ok_or_else(|| missing("CKA_EC_PARAMS"))?;
            let curve: ObjectIdentifier = ObjectIdentifier::from_der(&params)
                .map_err(|e| Error::malformed("CKA_EC_PARAMS", e))?;
            let (key_type, algorithm, point_len) = match curve.to_string().as_str() {
                OID_P256 => (KeyType::EcP256, Algorithm::EcdsaP256Sha256, 65),
                OID_P384 => (KeyType::EcP384, Algorithm::EcdsaP384Sha384, 97),
                other => {
                    return Err(Error::UnsupportedAlgorithm(format!(
                        "EC curve {other} on PKCS#11"
                    )));
                }
            };
            let point = point.ok_or_else(|| missing("CKA_EC_POINT"))?;
            let raw = if point.len() == point_len {
                point.as_slice()
            } else {
                <&OctetStringRef>::from_der(&point)
                    .map_err(|e| Error::malformed("CKA_EC_POINT", e))?
                    .as_bytes()
            };
            if raw.len() != point_len || raw[0] != 0x04 {
                return Err(Error::malformed(
                    "CKA_EC_POINT",
                    "not an uncompressed point",
                ));
            }
            Ok((algorithm, PublicKey::from_raw(key_type, raw).to_spki_der()))
        }
        CkKeyType::RSA => {
            let modulus = modulus.ok_or_else(|| missing("CKA_MODULUS"))?;
            let exponent = exponent.ok_or_else(|| missing("CKA_PUBLIC_EXPONENT"))?;
            let rsa = RsaPublicKey {
                modulus: UintRef::new(&modulus).map_err(|e| Error::malformed("CKA_MODULUS", e))?,
                public_exponent: UintRef::new(&exponent)
                    .map_err(|e| Error::malformed("CKA_PUBLIC_EXPONENT", e))?,
            };
            let raw =
                der::Encode::to_der(&rsa).map_err(|e| Error::malformed("RSA public key", e))?;
            Ok((
                Algorithm::RsaPkcs1Sha256,
                PublicKey::from_raw(KeyType::Rsa, &raw).to_spki_der(),
            ))
        }
        other => Err(Error::UnsupportedAlgorithm(format!(
            "PKCS#11 key type {other}"
        ))),
    }
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017 A.1.1).
#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}
