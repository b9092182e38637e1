//! CMS signatures as other tools write them (issue 16 classes 1, 2 and 10): BER from
//! `openssl cms -stream`, signed attributes signed in an unsorted order (re-signed with
//! `openssl dgst` / `openssl pkeyutl`), and GM/T 0010 SM2 `SignedData` re-encoded from an
//! OpenSSL CMS, in PDF and OFD `Type="Sign"` signatures.

mod common;

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use common::{PdfOffice, openssl, openssl_ok};
use der::asn1::ObjectIdentifier;
use eseal::cms::SignedData;
use eseal::crypto::Algorithm;
use eseal::ofd::{Package, VerifyOptions, verify_ofd};
use eseal::pdf::verify_pdf;
use eseal::pki::{Certificate, parse_rfc3339};
use eseal::report::{Indication, Reason, SignatureReport, SubIndication};

const BER_WARNING: &str = "BER-encoded";
const NON_DER_WARNING: &str = "NonDerSignedAttributes";

// A DER tree, enough to re-encode a CMS.

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Prim(u8, Vec<u8>),
    Cons(u8, Vec<Node>),
}

fn parse(bytes: &[u8]) -> (Node, usize) {
    let tag = bytes[0];
    let (len, header) = match bytes[1] {
        n if n < 0x80 => (n as usize, 2),
        n => {
            let count = (n & 0x7f) as usize;
            let len = bytes[2..2 + count]
                .iter()
                .fold(0usize, |acc, b| acc * 256 + *b as usize);
            (len, 2 + count)
        }
    };
    let content = &bytes[header..header + len];
    let node = if tag & 0x20 != 0 {
        let mut children = Vec::new();
        let mut pos = 0;
        while pos < content.len() {
            let (child, used) = parse(&content[pos..]);
            children.push(child);
            pos += used;
        }
        Node::Cons(tag, children)
    } else {
        Node::Prim(tag, content.to_vec())
    };
    (node, header + len)
}

fn encode(node: &Node) -> Vec<u8> {
    let (tag, content) = match node {
        Node::Prim(tag, content) => (*tag, content.clone()),
        Node::Cons(tag, children) => (*tag, children.iter().flat_map(encode).collect()),
    };
    let mut out = vec![tag];
    if content.len() < 0x80 {
        out.push(content.len() as u8);
    } else {
        let bytes = content.len().to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend(content);
    out
}

impl Node {
    fn children(&mut self) -> &mut Vec<Node> {
        match self {
            Node::Cons(_, children) => children,
            Node::Prim(..) => panic!("not constructed"),
        }
    }

    fn child(&mut self, i: usize) -> &mut Node {
        &mut self.children()[i]
    }
}

fn oid(text: &str) -> Node {
    Node::Prim(0x06, ObjectIdentifier::new_unwrap(text).as_bytes().to_vec())
}

fn seq(children: Vec<Node>) -> Node {
    Node::Cons(0x30, children)
}

/// ContentInfo → SignedData.
fn signed_data(cms: &mut Node) -> &mut Node {
    cms.child(1).child(0)
}

/// SignedData → its only SignerInfo.
fn signer_info(cms: &mut Node) -> &mut Node {
    signed_data(cms).children().last_mut().unwrap().child(0)
}

/// The index of a SignerInfo's `[0]` signed attributes (after version, sid,
/// digestAlgorithm).
const SIGNED_ATTRS: usize = 3;

/// Sets the signed attributes in `order` (sorted as DER wants, or the reverse) and
/// re-signs the `SET OF` as written with `sign`.
fn resign(cms: &mut Node, descending: bool, sign: &dyn Fn(&[u8]) -> Vec<u8>) {
    let info = signer_info(cms);
    let attrs = info.child(SIGNED_ATTRS).children();
    attrs.sort_by_key(encode);
    if descending {
        attrs.reverse();
    }
    let set = encode(&Node::Cons(0x31, attrs.clone()));
    let signature = sign(&set);
    let last = info.children().len() - 1;
    let value = info.child(last);
    assert!(matches!(value, Node::Prim(0x04, _)));
    *value = Node::Prim(0x04, signature);
}

/// The end of the BER element at `pos`, following indefinite lengths to their
/// end-of-contents.
fn ber_end(bytes: &[u8], pos: usize) -> usize {
    let len = bytes[pos + 1];
    match len {
        0x80 => {
            let mut at = pos + 2;
            while bytes[at..at + 2] != [0, 0] {
                at = ber_end(bytes, at);
            }
            at + 2
        }
        n if n < 0x80 => pos + 2 + n as usize,
        n => {
            let count = (n & 0x7f) as usize;
            let len = bytes[pos + 2..pos + 2 + count]
                .iter()
                .fold(0usize, |acc, b| acc * 256 + *b as usize);
            pos + 2 + count + len
        }
    }
}

/// An attached BER CMS made detached: its `eContent [0]` cut out of the indefinite-length
/// `encapContentInfo` (no length changes).
fn strip_econtent(ber: &[u8]) -> Vec<u8> {
    let id_data = encode(&oid("1.2.840.113549.1.7.1"));
    let at = ber
        .windows(id_data.len())
        .position(|w| w == id_data)
        .unwrap()
        + id_data.len();
    assert_eq!(&ber[at..at + 2], [0xa0, 0x80]);
    let end = ber_end(ber, at);
    [&ber[..at], &ber[end..]].concat()
}

// PDF plumbing.

/// `/ByteRange [a b c d]` of the only signature.
fn byte_range(pdf: &[u8]) -> [usize; 4] {
    let key = b"/ByteRange";
    let at = pdf.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    let end = at + pdf[at..].iter().position(|b| *b == b']').unwrap();
    let text = String::from_utf8_lossy(&pdf[at..end]).replace('[', " ");
    let n: Vec<usize> = text
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    [n[0], n[1], n[2], n[3]]
}

/// The bytes the signature of `pdf` covers.
fn signed_bytes(pdf: &[u8]) -> Vec<u8> {
    let [a, b, c, d] = byte_range(pdf);
    [&pdf[a..a + b], &pdf[c..c + d]].concat()
}

/// `pdf` with `cms` in `/Contents`, zero-padded.
fn with_contents(pdf: &[u8], cms: &[u8]) -> Vec<u8> {
    let [_, b, c, _] = byte_range(pdf);
    let room = c - 1 - (b + 1);
    let hex = hex::encode(cms);
    assert!(hex.len() <= room, "{} > {room}", hex.len());
    let mut out = pdf.to_vec();
    out[b + 1..c - 1].copy_from_slice(format!("{hex:0<room$}").as_bytes());
    out
}

/// A PDF sealed by eseal and the folder with its signer's `leaf.pem`, `leaf.key`,
/// `ca.pem` and the signed bytes as `content.bin`.
struct Pdf {
    dir: tempfile::TempDir,
    office: PdfOffice,
    pdf: Vec<u8>,
}

impl Pdf {
    fn new() -> Self {
        let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
        let pdf = office.sealed_pdf();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("leaf.pem"), office.signer.to_pem()).unwrap();
        fs::write(
            d.join("leaf.key"),
            office.signer_key.to_pkcs8_pem().as_bytes(),
        )
        .unwrap();
        fs::write(d.join("ca.pem"), office.hierarchy.ca.to_pem()).unwrap();
        fs::write(d.join("content.bin"), signed_bytes(&pdf)).unwrap();
        let mut tampered = signed_bytes(&pdf);
        tampered[100] ^= 1;
        fs::write(d.join("tampered.bin"), tampered).unwrap();
        Pdf { dir, office, pdf }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `openssl cms -sign -cades` over `content` with the signer's key, plus `args`.
    fn openssl_sign(&self, content: &str, args: &[&str]) -> Vec<u8> {
        let base = [
            "cms",
            "-sign",
            "-binary",
            "-cades",
            "-in",
            content,
            "-signer",
            "leaf.pem",
            "-inkey",
            "leaf.key",
            "-certfile",
            "ca.pem",
            "-outform",
            "DER",
            "-out",
            "out.der",
        ];
        openssl_ok(self.path(), &[&base[..], args].concat());
        fs::read(self.path().join("out.der")).unwrap()
    }

    /// A detached BER signature over `content`: `-stream` writes indefinite lengths and
    /// the content in pieces, which is then cut out.
    fn openssl_ber(&self, content: &str) -> Vec<u8> {
        let attached = self.openssl_sign(content, &["-stream"]);
        assert_eq!(attached[..2], [0x30, 0x80]);
        strip_econtent(&attached)
    }

    /// ECDSA-with-SHA256 of `tbs` with `openssl dgst`.
    fn openssl_ecdsa(&self, tbs: &[u8]) -> Vec<u8> {
        fs::write(self.path().join("tbs.der"), tbs).unwrap();
        openssl_ok(
            self.path(),
            &[
                "dgst", "-sha256", "-sign", "leaf.key", "-out", "sig.der", "tbs.der",
            ],
        );
        fs::read(self.path().join("sig.der")).unwrap()
    }

    fn verify(&self, cms: &[u8]) -> SignatureReport {
        let pdf = with_contents(&self.pdf, cms);
        let store = self.office.hierarchy.store();
        let mut report = verify_pdf(&pdf, &store, SystemTime::now()).unwrap();
        assert_eq!(report.signatures.len(), 1);
        report.signatures.remove(0)
    }
}

fn has_warning(report: &SignatureReport, start: &str) -> bool {
    report.warnings.iter().any(|w| w.starts_with(start))
}

fn codes(report: &SignatureReport) -> Vec<&'static str> {
    report.reasons.iter().map(Reason::code).collect()
}

// Class 1: BER.

/// `openssl cms -stream` writes indefinite lengths; the PDF verifies as its DER twin does,
/// with a note, and a BER signature over other bytes is a digest mismatch.
#[test]
fn a_ber_pdf_signature_verifies_like_its_der_twin() {
    let pdf = Pdf::new();
    let der = pdf.openssl_sign("content.bin", &[]);
    let ber = pdf.openssl_ber("content.bin");
    assert_ne!(der, ber);
    // OpenSSL itself reads the detached BER.
    fs::write(pdf.path().join("ber.der"), &ber).unwrap();
    let out = openssl(
        pdf.path(),
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "ber.der",
            "-content",
            "content.bin",
            "-noverify",
            "-out",
            "/dev/null",
        ],
    );
    assert!(out.status.success(), "{out:?}");

    let twin = pdf.verify(&der);
    assert_eq!(
        twin.indication,
        Indication::TotalPassed,
        "{:?}",
        twin.reasons
    );
    assert!(!has_warning(&twin, BER_WARNING));
    let report = pdf.verify(&ber);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    assert_eq!(report.reasons, vec![]);
    assert!(has_warning(&report, BER_WARNING), "{:?}", report.warnings);
    assert_eq!(report.signer, twin.signer);

    let other = pdf.openssl_ber("tampered.bin");
    let report = pdf.verify(&other);
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::HashFailure));
    assert_eq!(codes(&report), ["DIGEST_MISMATCH"]);
}

/// An attached BER CMS with its content in constructed OCTET STRING pieces verifies
/// over the joined content; every truncation of it is an error, never a panic.
#[test]
fn an_attached_ber_cms_is_read_with_its_content_joined() {
    let pdf = Pdf::new();
    let ber = pdf.openssl_sign("content.bin", &["-stream"]);
    let (signed, rest) = SignedData::from_der_prefix(&ber).unwrap();
    assert!(rest.is_empty());
    assert!(signed.is_ber());
    assert_eq!(
        signed.econtent(),
        Some(fs::read(pdf.path().join("content.bin")).unwrap().as_slice())
    );
    let verification = signed.verify_encapsulated(&[], true);
    assert_eq!(verification.reasons, vec![]);
    assert!(
        verification
            .warnings
            .iter()
            .any(|w| w.starts_with(BER_WARNING))
    );
    // Zero padding after the end-of-contents is returned apart.
    let padded = [&ber[..], &[0u8; 64][..]].concat();
    assert_eq!(SignedData::from_der_prefix(&padded).unwrap().1, [0u8; 64]);
    for n in (0..ber.len()).step_by(13) {
        assert!(SignedData::from_der_prefix(&ber[..n]).is_err(), "{n}");
    }
}

// Class 2: signed attributes not in DER order.

/// A PAdES signature whose signature covers its signed attributes only as written, not
/// sorted as DER: TOTAL-FAILED as EU DSS decides; the same attributes merely re-ordered
/// after signing still verify over their DER encoding.
#[test]
fn unsorted_signed_attributes_fail_an_international_signature() {
    let pdf = Pdf::new();
    let der = pdf.openssl_sign("content.bin", &[]);
    let (mut cms, _) = parse(&der);

    let mut reordered = cms.clone();
    let info = signer_info(&mut reordered);
    let attrs = info.child(SIGNED_ATTRS).children();
    attrs.sort_by_key(encode);
    attrs.reverse();
    let report = pdf.verify(&encode(&reordered));
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    assert!(!has_warning(&report, NON_DER_WARNING));

    resign(&mut cms, true, &|tbs| pdf.openssl_ecdsa(tbs));
    let report = pdf.verify(&encode(&cms));
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::SigCryptoFailure));
    assert_eq!(report.reasons, vec![Reason::SignatureInvalid]);
    assert!(
        has_warning(&report, NON_DER_WARNING),
        "{:?}",
        report.warnings
    );

    // Re-signed in DER order, the same signer passes.
    resign(&mut cms, false, &|tbs| pdf.openssl_ecdsa(tbs));
    let report = pdf.verify(&encode(&cms));
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
}

// Class 10 (and class 2 for GM/T 0010): OFD Type="Sign" with a GM/T 0010 SignedData.

const GM_SIGNED_DATA: &str = "1.2.156.10197.6.1.4.2.2";
const GM_DATA: &str = "1.2.156.10197.6.1.4.2.1";
const SM3: &str = "1.2.156.10197.1.401";
const SM2_SM3: &str = "1.2.156.10197.1.501";
const SM2_SIGN: &str = "1.2.156.10197.1.301.1";
const SIGNATURE_XML: &str = "/Doc_0/Signs/Sign_0/Signature.xml";
const SIGNED_VALUE: &str = "/Doc_0/Signs/Sign_0/SignedValue.dat";

/// How to re-encode an OpenSSL CMS as an SM2 `SignedData`.
#[derive(Clone, Copy, Debug)]
struct Gm {
    /// The GM/T 0010 content types, else PKCS #7's.
    gm_oids: bool,
    /// `eContent`: none (detached), Signature.xml, or its SM3 digest.
    attached: Attached,
    /// The signature as raw `r ‖ s`, else DER.
    raw: bool,
    /// The signed attributes unsorted and signed so.
    unsorted: bool,
    signature_oid: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Attached {
    No,
    Xml,
    Digest,
}

/// ofdrw's DigitalSign.ofd, its Signature.xml, and a folder with ofdrw's SM2 signing key
/// and certificate (`sm2.key`, `sm2.pem`) and an OpenSSL P-256 CMS over Signature.xml.
struct Ofd {
    dir: tempfile::TempDir,
    package: Package<'static>,
    xml: Vec<u8>,
    cert: Certificate,
    template: Node,
}

impl Ofd {
    fn new() -> Self {
        let package = Package::read(common::ofdrw::read("DigitalSign.ofd")).unwrap();
        let xml = package.get(SIGNATURE_XML).unwrap().to_vec();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("sm2.key"), common::ofdrw::read("sign_key.pem")).unwrap();
        fs::write(d.join("sm2.pem"), common::ofdrw::read("sign_cert.pem")).unwrap();
        fs::write(d.join("Signature.xml"), &xml).unwrap();
        // OpenSSL 3.0 cannot sign a CMS with SM2: the CMS is made with P-256 and
        // re-encoded around the SM2 certificate.
        common::openssl_p256_self_signed(d, "p256", "/CN=template");
        openssl_ok(
            d,
            &[
                "cms",
                "-sign",
                "-binary",
                "-in",
                "Signature.xml",
                "-signer",
                "p256.pem",
                "-inkey",
                "p256.key",
                "-outform",
                "DER",
                "-out",
                "template.der",
            ],
        );
        let template = parse(&fs::read(d.join("template.der")).unwrap()).0;
        let cert = common::ofdrw::signer().1;
        Ofd {
            dir,
            package,
            xml,
            cert,
            template,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// SM3 with `openssl dgst`.
    fn sm3(&self, data: &[u8]) -> Vec<u8> {
        fs::write(self.path().join("sm3.in"), data).unwrap();
        openssl_ok(
            self.path(),
            &["dgst", "-sm3", "-binary", "-out", "sm3.out", "sm3.in"],
        );
        fs::read(self.path().join("sm3.out")).unwrap()
    }

    /// SM2-with-SM3 with `openssl pkeyutl` and the default distinguishing ID
    /// 1234567812345678 (OpenSSL 3.0's own default is empty), DER or raw `r ‖ s`.
    fn sm2(&self, tbs: &[u8], raw: bool) -> Vec<u8> {
        fs::write(self.path().join("tbs.der"), tbs).unwrap();
        openssl_ok(
            self.path(),
            &[
                "pkeyutl",
                "-sign",
                "-inkey",
                "sm2.key",
                "-rawin",
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
                "-in",
                "tbs.der",
                "-out",
                "sig.der",
            ],
        );
        let der = fs::read(self.path().join("sig.der")).unwrap();
        if !raw {
            return der;
        }
        let (mut sig, _) = parse(&der);
        sig.children()
            .iter()
            .flat_map(|n| match n {
                Node::Prim(0x02, v) => {
                    let v = v.strip_prefix(&[0]).unwrap_or(v);
                    [vec![0; 32 - v.len()], v.to_vec()].concat()
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// The OpenSSL CMS re-encoded as `how` says, signed by ofdrw's SM2 key.
    fn cms(&self, how: Gm) -> Vec<u8> {
        let mut cms = self.template.clone();
        let (data, signed) = if how.gm_oids {
            (GM_DATA, GM_SIGNED_DATA)
        } else {
            ("1.2.840.113549.1.7.1", "1.2.840.113549.1.7.2")
        };
        *cms.child(0) = oid(signed);
        let econtent = match how.attached {
            Attached::No => None,
            Attached::Xml => Some(self.xml.clone()),
            Attached::Digest => Some(self.sm3(&self.xml)),
        };
        let digested = econtent.clone().unwrap_or_else(|| self.xml.clone());
        let (cert, _) = parse(self.cert.der());
        let mut tbs = match cert.clone() {
            Node::Cons(_, mut c) => c.remove(0),
            Node::Prim(..) => unreachable!(),
        };
        let (serial, issuer) = (tbs.child(1).clone(), tbs.child(3).clone());
        let sd = signed_data(&mut cms);
        *sd.child(1) = Node::Cons(0x31, vec![seq(vec![oid(SM3)])]);
        let mut encap = vec![oid(data)];
        if let Some(content) = &econtent {
            encap.push(Node::Cons(0xa0, vec![Node::Prim(0x04, content.clone())]));
        }
        *sd.child(2) = seq(encap);
        *sd.child(3) = Node::Cons(0xa0, vec![cert]);
        let info = signer_info(&mut cms);
        *info.child(1) = seq(vec![issuer, serial]);
        *info.child(2) = seq(vec![oid(SM3)]);
        let content_type = encode(&oid("1.2.840.113549.1.9.3"));
        let message_digest = encode(&oid("1.2.840.113549.1.9.4"));
        for attr in info.child(SIGNED_ATTRS).children() {
            let attr_oid = encode(attr.child(0));
            if attr_oid == content_type {
                *attr.child(1) = Node::Cons(0x31, vec![oid(data)]);
            } else if attr_oid == message_digest {
                *attr.child(1) = Node::Cons(0x31, vec![Node::Prim(0x04, self.sm3(&digested))]);
            }
        }
        *info.child(SIGNED_ATTRS + 1) = seq(vec![oid(how.signature_oid)]);
        resign(&mut cms, how.unsorted, &|tbs| self.sm2(tbs, how.raw));
        encode(&cms)
    }

    /// A `SignedData` as ofdrw's GB/T 35275 container writes it: no `ContentInfo`, the SM3
    /// digest of Signature.xml as `eContent`, no signed attributes, the SM2 signature over
    /// the `eContent`.
    fn ofdrw_style(&self) -> Vec<u8> {
        let mut cms = parse(&self.cms(Gm {
            attached: Attached::Digest,
            ..GM_SORTED
        }))
        .0;
        let digest = self.sm3(&self.xml);
        let info = signer_info(&mut cms);
        info.children().remove(SIGNED_ATTRS);
        let last = info.children().len() - 1;
        *info.child(last) = Node::Prim(0x04, self.sm2(&digest, false));
        encode(signed_data(&mut cms))
    }

    /// The package with `cms` as SignedValue.dat and `xml` as Signature.xml, verified in
    /// 2022 with ofdrw's root trusted.
    fn verify(&self, cms: &[u8], xml: &[u8]) -> SignatureReport {
        let bytes = self
            .package
            .rewrite(&[(SIGNED_VALUE, cms), (SIGNATURE_XML, xml)])
            .unwrap();
        let package = Package::read(bytes).unwrap();
        let at = parse_rfc3339("2022-06-01T00:00:00Z").unwrap();
        let store = common::ofdrw::root();
        let mut report = verify_ofd(&package, &store, at, &VerifyOptions::default()).unwrap();
        assert_eq!(report.signatures.len(), 1);
        report.signatures.remove(0)
    }
}

const GM_SORTED: Gm = Gm {
    gm_oids: true,
    attached: Attached::No,
    raw: false,
    unsorted: false,
    signature_oid: SM2_SM3,
};

/// GM/T 0010 SM2 `SignedData` in an OFD `Type="Sign"` signature, detached or attached
/// (Signature.xml or its SM3 digest), its signature DER or raw `r ‖ s`, under either SM2
/// signature OID: TOTAL-PASSED as ofdrw's bare SM2 signature of the same file is with
/// its certificate given; a changed Signature.xml fails.
#[test]
fn gm_t_0010_cms_in_an_ofd_sign_signature_verifies() {
    let ofd = Ofd::new();
    for how in [
        GM_SORTED,
        Gm {
            raw: true,
            signature_oid: SM2_SIGN,
            ..GM_SORTED
        },
        Gm {
            attached: Attached::Xml,
            ..GM_SORTED
        },
        Gm {
            attached: Attached::Digest,
            raw: true,
            ..GM_SORTED
        },
    ] {
        let cms = ofd.cms(how);
        let (signed, _) = SignedData::from_der_prefix(&cms).unwrap();
        assert!(signed.is_gm_t_0010());
        let report = ofd.verify(&cms, &ofd.xml);
        assert_eq!(
            report.indication,
            Indication::TotalPassed,
            "{how:?}: {:?}",
            report.reasons
        );
        assert_eq!(
            report.signer.as_deref(),
            Some(ofd.cert.subject()),
            "{how:?}"
        );
        assert_eq!(report.chain.len(), 2, "{how:?}");
        assert!(!has_warning(&report, NON_DER_WARNING), "{how:?}");

        let changed = String::from_utf8(ofd.xml.clone())
            .unwrap()
            .replace("ofdrw-sign", "ofdrw-sigm");
        let report = ofd.verify(&cms, changed.as_bytes());
        assert_eq!(report.indication, Indication::TotalFailed, "{how:?}");
        assert_eq!(report.sub_indication, Some(SubIndication::HashFailure));
        let expected = match how.attached {
            Attached::No => "DIGEST_MISMATCH",
            _ => "DATA_HASH_MISMATCH",
        };
        assert_eq!(codes(&report), [expected], "{how:?}");
    }
}

/// A raw `r ‖ s` SM2 signature is GM/T 0010's alone: the same signature in a `SignedData`
/// under PKCS #7 content types is TOTAL-FAILED, as OpenSSL, which takes only DER there,
/// decides; the DER form of it passes.
#[test]
fn a_raw_sm2_signature_passes_only_in_a_gm_t_0010_signed_data() {
    let ofd = Ofd::new();
    let international = Gm {
        gm_oids: false,
        ..GM_SORTED
    };
    let report = ofd.verify(&ofd.cms(international), &ofd.xml);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    let raw = ofd.cms(Gm {
        raw: true,
        ..international
    });
    let (signed, _) = SignedData::from_der_prefix(&raw).unwrap();
    assert!(!signed.is_gm_t_0010());
    let report = ofd.verify(&raw, &ofd.xml);
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::SigCryptoFailure));
    assert_eq!(report.reasons, vec![Reason::SignatureInvalid]);
}

/// GM/T 0010 signers sign their attributes as written: a GM/T 0010 SM2 CMS that verifies
/// only over its unsorted attributes passes with a warning naming it; the same SM2 CMS
/// under PKCS #7 content types is TOTAL-FAILED as EU DSS decides.
#[test]
fn unsorted_signed_attributes_pass_only_a_gm_t_0010_signature() {
    let ofd = Ofd::new();
    let unsorted = Gm {
        unsorted: true,
        ..GM_SORTED
    };
    let report = ofd.verify(&ofd.cms(unsorted), &ofd.xml);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    assert_eq!(report.reasons, vec![]);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with(NON_DER_WARNING) && w.contains("GM/T 0010")),
        "{:?}",
        report.warnings
    );

    let international = ofd.cms(Gm {
        gm_oids: false,
        ..unsorted
    });
    let report = ofd.verify(&international, &ofd.xml);
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::SigCryptoFailure));
    assert_eq!(report.reasons, vec![Reason::SignatureInvalid]);
    assert!(has_warning(&report, NON_DER_WARNING));
}

/// ofdrw's own GM/T 0010 layout (a bare `SignedData` over the SM3 digest of
/// Signature.xml) verifies too, and fails when Signature.xml changes.
#[test]
fn an_ofdrw_style_bare_signed_data_verifies() {
    let ofd = Ofd::new();
    let bare = ofd.ofdrw_style();
    assert_eq!(*parse(&bare).0.child(0), Node::Prim(0x02, vec![1]));
    assert!(SignedData::from_der_prefix(&bare).is_err());
    let report = ofd.verify(&bare, &ofd.xml);
    assert_eq!(
        report.indication,
        Indication::TotalPassed,
        "{:?}",
        report.reasons
    );
    assert_eq!(report.signer.as_deref(), Some(ofd.cert.subject()));
    let changed = String::from_utf8(ofd.xml.clone())
        .unwrap()
        .replace("ofdrw-sign", "ofdrw-sigm");
    let report = ofd.verify(&bare, changed.as_bytes());
    assert_eq!(report.indication, Indication::TotalFailed);
    assert_eq!(report.sub_indication, Some(SubIndication::HashFailure));
    assert_eq!(codes(&report), ["DATA_HASH_MISMATCH"]);
}
