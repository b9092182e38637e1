//! An issuing office's CA kept in a directory: the certificate and key, the list of
//! issued serials, the revocations and the CRL number — what `eseal pki` works on.
//!
//! ```text
//! DIR/ca.pem        the CA certificate, then its chain up to (not including) the root
//! DIR/ca.key        its PKCS#8 private key (PEM, mode 0600)
//! DIR/issued.log    one line per issued certificate: serial, profile, subject
//! DIR/revoked.json  the revocations, input to every CRL
//! DIR/crlnumber     the last CRL number used
//! ```
//! Every file is replaced atomically (write, fsync, rename), so a crash leaves either the
//! old or the new state, and a serial is never issued twice.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::certificate::{Certificate, read_certificates, unix_seconds};
use super::crl::{Crl, RevocationReason, RevokedEntry, issue_crl};
use super::issue::{DistinguishedName, Profile, Validity, issue, issue_root};
use crate::crypto::{Algorithm, Signer, SoftwareKey};
use crate::error::{Error, Result};
use crate::fsio::{write_atomic, write_secret};

/// A CA whose state lives in a directory.
pub struct OfficeCa {
    dir: PathBuf,
    certificate: Certificate,
    chain: Vec<Certificate>,
    key: SoftwareKey,
}

/// A revocation as `revoked.json` stores it.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRevocation {
    serial: String,
    revoked_at: i64,
    reason: Option<RevocationReason>,
}

impl OfficeCa {
    /// Creates a self-signed root CA in the empty or new directory `dir`.
    pub fn init_root(
        dir: &Path,
        subject: &DistinguishedName,
        algorithm: Algorithm,
        days: u32,
    ) -> Result<Self> {
        let key = SoftwareKey::generate(algorithm)?;
        let certificate = issue_root(subject, Validity::days_from_now(days), &key)?;
        Self::create(dir, certificate, Vec::new(), key)
    }

    /// Opens the CA in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let pem = read(&dir.join("ca.pem"))?;
        let mut certs = read_certificates(&pem)?;
        if certs.is_empty() {
            return Err(Error::malformed(
                "CA directory",
                "ca.pem holds no certificate",
            ));
        }
        let certificate = certs.remove(0);
        let key_pem = String::from_utf8(read(&dir.join("ca.key"))?)
            .map_err(|_| Error::malformed("CA key", "ca.key is not PEM text"))?;
        let key = SoftwareKey::from_pem(&key_pem, None)?;
        if key.public_key_spki() != certificate.spki_der() {
            return Err(Error::Invalid(format!(
                "{}: ca.key is not the key of ca.pem",
                dir.display()
            )));
        }
        Ok(OfficeCa {
            dir: dir.to_path_buf(),
            certificate,
            chain: certs,
            key,
        })
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The CA's chain above it, root excluded.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The CA's signing key.
    pub fn signer(&self) -> &dyn Signer {
        &self.key
    }

    /// Issues a certificate of `profile` for a new key of `algorithm`; returns both.
    pub fn issue_with_new_key(
        &self,
        profile: Profile,
        subject: &DistinguishedName,
        algorithm: Algorithm,
        days: u32,
    ) -> Result<(Certificate, SoftwareKey)> {
        let key = SoftwareKey::generate(algorithm)?;
        let cert = self.issue(profile, subject, key.public_key_spki(), days)?;
        Ok((cert, key))
    }

    /// Issues a certificate of `profile` for the key `spki`, recording its serial.
    pub fn issue(
        &self,
        profile: Profile,
        subject: &DistinguishedName,
        spki: &[u8],
        days: u32,
    ) -> Result<Certificate> {
        let validity = Validity::days_from_now(days);
        let issued = self.issued_serials()?;
        // A random 127-bit serial repeats with negligible odds; the log makes it never.
        let cert = loop {
            let cert = issue(
                profile,
                subject,
                spki,
                validity,
                &self.certificate,
                &self.key,
            )?;
            if !issued.contains(&cert.serial_hex()) {
                break cert;
            }
        };
        self.record_issued(&cert, profile)?;
        Ok(cert)
    }

    /// Creates a subordinate CA (`office-ca` profile) in `dir` under this one.
    pub fn create_office_ca(
        &self,
        dir: &Path,
        subject: &DistinguishedName,
        algorithm: Algorithm,
        days: u32,
    ) -> Result<OfficeCa> {
        let (certificate, key) =
            self.issue_with_new_key(Profile::OfficeCa, subject, algorithm, days)?;
        let mut chain = vec![self.certificate.clone()];
        chain.extend(self.chain.iter().cloned());
        chain.retain(|c| c.subject_der() != c.issuer_der());
        Self::create(dir, certificate, chain, key)
    }

    /// Records the revocation of `serial` (hex) as of `at`.
    pub fn revoke(&self, serial: &str, reason: RevocationReason, at: SystemTime) -> Result<()> {
        let serial = serial.trim().to_ascii_lowercase();
        if !self.issued_serials()?.contains(&serial) {
            return Err(Error::Invalid(format!(
                "this CA did not issue serial {serial}"
            )));
        }
        let mut revoked = self.revocations()?;
        revoked.retain(|r| r.serial != serial);
        revoked.push(StoredRevocation {
            serial,
            revoked_at: unix_seconds(at),
            reason: Some(reason),
        });
        let json = serde_json::to_vec_pretty(&revoked).expect("revocations serialise");
        write_atomic(&self.dir.join("revoked.json"), &json)
    }

    /// Issues the next CRL, valid for `days`, with every recorded revocation.
    pub fn crl(&self, days: u32) -> Result<Crl> {
        let number_path = self.dir.join("crlnumber");
        let last: u64 = match fs::read_to_string(&number_path) {
            Ok(text) => text
                .trim()
                .parse()
                .map_err(|_| Error::malformed("CA directory", "crlnumber is not a number"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(Error::io(&number_path, e)),
        };
        let entries = self
            .revocations()?
            .into_iter()
            .map(|r| {
                Ok(RevokedEntry {
                    serial: hex::decode(&r.serial)
                        .map_err(|_| Error::malformed("revoked.json", "serial is not hex"))?,
                    revoked_at: r.revoked_at,
                    reason: r.reason,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let now = SystemTime::now();
        let crl = issue_crl(
            &self.certificate,
            &self.key,
            last + 1,
            now - Duration::from_secs(60),
            now + Duration::from_secs(u64::from(days) * 86_400),
            &entries,
        )?;
        write_atomic(&number_path, format!("{}\n", last + 1).as_bytes())?;
        Ok(crl)
    }

    fn create(
        dir: &Path,
        certificate: Certificate,
        chain: Vec<Certificate>,
        key: SoftwareKey,
    ) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if dir.join("ca.pem").exists() {
            return Err(Error::Invalid(format!(
                "{} already holds a CA",
                dir.display()
            )));
        }
        write_secret(&dir.join("ca.key"), key.to_pkcs8_pem().as_bytes())?;
        let mut pem = certificate.to_pem();
        for c in &chain {
            pem.push_str(&c.to_pem());
        }
        write_atomic(&dir.join("ca.pem"), pem.as_bytes())?;
        Ok(OfficeCa {
            dir: dir.to_path_buf(),
            certificate,
            chain,
            key,
        })
    }

    fn issued_serials(&self) -> Result<Vec<String>> {
        let path = self.dir.join("issued.log");
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| l.split('\t').next())
                .map(str::to_string)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    fn record_issued(&self, cert: &Certificate, profile: Profile) -> Result<()> {
        let path = self.dir.join("issued.log");
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let line = format!(
            "{}\t{}\t{}\n",
            cert.serial_hex(),
            profile.name(),
            cert.subject()
        );
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(&path, e))
    }

    fn revocations(&self) -> Result<Vec<StoredRevocation>> {
        let path = self.dir.join("revoked.json");
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| Error::malformed("revoked.json", e))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(path, e))
}
