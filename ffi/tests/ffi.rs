//! The C ABI called as C calls it: every entry point's happy path, NULL and invalid
//! arguments, wrong, unknown and freed handles, caught panics, the thread's last error,
//! and one trust store shared by eight verifying threads.

mod common;

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr::{null, null_mut};
use std::time::{Duration, SystemTime};

use common::{Hierarchy, PdfOffice, test_seal};
use eseal::crypto::{Algorithm, SoftwareKey};
use eseal::licence::compact::{StatusReference, sign_licence};
use eseal::licence::sample;
use eseal::licence::status_list::{Status, StatusList, sign_status_list};
use eseal::licence::trust_list::{KeyUse, ListedKey, Office, TrustList, sign_trust_list};
use eseal::pki::{Certificate, Profile, unix_seconds};
use eseal_ffi::*;
use eseal_indication::*;
use eseal_status::*;

/// The thread's last error message, if any.
fn last_error() -> Option<String> {
    let message = eseal_last_error_message();
    // SAFETY: eseal returns NULL or a NUL-terminated string valid until the next call.
    (!message.is_null()).then(|| unsafe { CStr::from_ptr(message) }.to_string_lossy().into())
}

/// A borrowed C string of the report as a Rust string.
fn text(s: *const c_char) -> Option<String> {
    // SAFETY: eseal returns NULL or a NUL-terminated string the report owns.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into())
}

/// A trust store with `anchors` (PEM) added.
fn store_with(anchors: &[&Certificate]) -> *mut eseal_trust_store {
    let mut store = null_mut();
    // SAFETY: `store` is writable.
    assert_eq!(unsafe { eseal_trust_store_new(&mut store) }, ESEAL_OK);
    for cert in anchors {
        let pem = cert.to_pem();
        // SAFETY: a live store and a readable buffer.
        let status = unsafe { eseal_trust_store_add_anchors(store, pem.as_ptr(), pem.len()) };
        assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    }
    store
}

/// Verifies `data` against `store` as of now; the status and the report (NULL on failure).
fn verify(store: *const eseal_trust_store, data: &[u8]) -> (eseal_status, *mut eseal_report) {
    let mut report = null_mut();
    // SAFETY: readable buffer, writable out-pointer; the store is live or deliberately not.
    let status = unsafe { eseal_verify(store, data.as_ptr(), data.len(), ESEAL_NOW, &mut report) };
    (status, report)
}

/// The report's overall indication, first sub-indication and first reason, freeing it.
fn verdict(report: *mut eseal_report) -> (eseal_indication, Option<String>, Option<String>) {
    // SAFETY: `report` is a live report, freed once at the end.
    unsafe {
        let out = (
            eseal_report_indication(report),
            text(eseal_report_sub_indication(report, 0)),
            text(eseal_report_first_reason(report, 0)),
        );
        eseal_report_free(report);
        out
    }
}

/// The bytes of an `eseal_bytes`, freeing it.
fn take_bytes(bytes: *mut eseal_bytes) -> Vec<u8> {
    // SAFETY: `bytes` is a live buffer, freed once at the end.
    unsafe {
        let out =
            std::slice::from_raw_parts(eseal_bytes_data(bytes), eseal_bytes_len(bytes)).to_vec();
        eseal_bytes_free(bytes);
        out
    }
}

/// An SM2 signer made from PKCS#8 DER and its certificate chain, with its e-seal.
fn sm2_signer() -> (Hierarchy, *mut eseal_signer, Vec<u8>) {
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人 李四", -1, 365);
    let seal = test_seal(&hierarchy, &cert, "2201000000001");
    let pkcs8 = key.to_pkcs8_der();
    let chain = format!("{}{}", cert.to_pem(), hierarchy.ca.to_pem());
    let mut signer = null_mut();
    // SAFETY: readable buffers, no password, writable out-pointer.
    let status = unsafe {
        eseal_signer_from_pkcs8(
            pkcs8.as_ptr(),
            pkcs8.len(),
            null(),
            chain.as_ptr(),
            chain.len(),
            &mut signer,
        )
    };
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    (hierarchy, signer, seal.der().to_vec())
}

#[test]
fn version_and_status_names() {
    let version = text(eseal_version()).unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        text(eseal_status_name(ESEAL_NULL_PARAMETER as c_int)).unwrap(),
        "ESEAL_NULL_PARAMETER"
    );
    assert_eq!(
        text(eseal_status_name(ESEAL_PANIC as c_int)).unwrap(),
        "ESEAL_PANIC"
    );
}

/// Any integer is a valid argument of the name functions: a value that is not one of the
/// enum's gets a static "unknown" name (a Rust enum given such a value would be UB).
#[test]
fn names_of_every_value_and_of_unknown_values() {
    let statuses = [
        (ESEAL_OK, "ESEAL_OK"),
        (ESEAL_NULL_PARAMETER, "ESEAL_NULL_PARAMETER"),
        (ESEAL_INVALID_ARGUMENT, "ESEAL_INVALID_ARGUMENT"),
        (ESEAL_INVALID_HANDLE, "ESEAL_INVALID_HANDLE"),
        (ESEAL_MALFORMED_INPUT, "ESEAL_MALFORMED_INPUT"),
        (ESEAL_UNSUPPORTED, "ESEAL_UNSUPPORTED"),
        (ESEAL_KEY_ERROR, "ESEAL_KEY_ERROR"),
        (ESEAL_REFUSED, "ESEAL_REFUSED"),
        (ESEAL_NOT_FOUND, "ESEAL_NOT_FOUND"),
        (ESEAL_IO_ERROR, "ESEAL_IO_ERROR"),
        (ESEAL_PANIC, "ESEAL_PANIC"),
    ];
    for (status, name) in statuses {
        assert_eq!(text(eseal_status_name(status as c_int)).unwrap(), name);
    }
    let indications = [
        (ESEAL_TOTAL_PASSED, "ESEAL_TOTAL_PASSED"),
        (ESEAL_INDETERMINATE, "ESEAL_INDETERMINATE"),
        (ESEAL_TOTAL_FAILED, "ESEAL_TOTAL_FAILED"),
        (ESEAL_NOTHING_SIGNED, "ESEAL_NOTHING_SIGNED"),
    ];
    for (indication, name) in indications {
        assert_eq!(
            text(eseal_indication_name(indication as c_int)).unwrap(),
            name
        );
    }
    for unknown in [-1, 42, 1000, 10, 98, 100, c_int::MIN, c_int::MAX] {
        assert_eq!(
            text(eseal_status_name(unknown)).as_deref(),
            Some("ESEAL_STATUS_UNKNOWN"),
            "{unknown}"
        );
    }
    for unknown in [-1, 42, 1000, 4, c_int::MIN, c_int::MAX] {
        assert_eq!(
            text(eseal_indication_name(unknown)).as_deref(),
            Some("ESEAL_INDICATION_UNKNOWN"),
            "{unknown}"
        );
    }
    // Static strings: the same pointer every time.
    assert_eq!(eseal_status_name(42), eseal_status_name(-1));
}

#[test]
fn sealed_pdf_verifies_and_a_truncated_one_does_not() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let pdf = office.sealed_pdf();
    let store = store_with(&[&office.hierarchy.root]);
    let ca = office.hierarchy.ca.to_pem();
    // SAFETY: a live store and a readable buffer.
    let status = unsafe { eseal_trust_store_add_intermediates(store, ca.as_ptr(), ca.len()) };
    assert_eq!(status, ESEAL_OK);
    let (status, report) = verify(store, &pdf);
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    assert_eq!(last_error(), None);
    // SAFETY: `report` is live until freed below.
    unsafe {
        assert_eq!(eseal_report_signature_count(report), 1);
        assert_eq!(
            eseal_report_signature_indication(report, 0),
            ESEAL_TOTAL_PASSED
        );
        assert_eq!(
            text(eseal_report_signer(report, 0)).unwrap(),
            office.signer.subject().to_string()
        );
        assert_eq!(
            text(eseal_report_seal_name(report, 0)).unwrap(),
            "某某市市场监督管理局电子证照专用章"
        );
        let time = text(eseal_report_signing_time(report, 0));
        assert!(
            time.as_deref()
                .is_some_and(|t| t.starts_with("20") && t.ends_with('Z')),
            "{time:?}"
        );
        assert_eq!(eseal_report_sub_indication(report, 0), null());
        // Out of range: NULL, TOTAL-FAILED, and a message.
        assert_eq!(eseal_report_signer(report, 1), null());
        assert!(last_error().unwrap().contains("no signature 1"));
        assert_eq!(
            eseal_report_signature_indication(report, 1),
            ESEAL_TOTAL_FAILED
        );
        // The JSON is what `eseal verify --json` prints.
        let json: serde_json::Value =
            serde_json::from_str(&text(eseal_report_json(report)).unwrap()).unwrap();
        assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");
        assert_eq!(json["signatures"].as_array().unwrap().len(), 1);
    }
    assert_eq!(verdict(report).0, ESEAL_TOTAL_PASSED);

    // A byte changed inside the signed range: TOTAL-FAILED / HASH_FAILURE.
    let mut tampered = pdf.clone();
    let at = tampered
        .windows(16)
        .position(|w| w == b"Business licence")
        .unwrap();
    tampered[at] = b'b';
    let (status, report) = verify(store, &tampered);
    assert_eq!(status, ESEAL_OK);
    assert_eq!(
        verdict(report),
        (
            ESEAL_TOTAL_FAILED,
            Some("HASH_FAILURE".into()),
            Some("DIGEST_MISMATCH".into())
        )
    );
    // A PDF with no signature: a report, nothing signed.
    let plain = eseal::pdf::sample::plain_pdf(&["Not sealed"], 0);
    let (status, report) = verify(store, &plain);
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    // SAFETY: `report` is live until `verdict` frees it.
    assert_eq!(unsafe { eseal_report_signature_count(report) }, 0);
    assert_eq!(verdict(report), (ESEAL_NOTHING_SIGNED, None, None));
    // Truncated to a few bytes: nothing eseal can classify.
    let (status, report) = verify(store, &pdf[..7]);
    assert_eq!((status, report), (ESEAL_MALFORMED_INPUT, null_mut()));
    assert!(
        last_error().unwrap().starts_with("malformed PDF"),
        "{:?}",
        last_error()
    );
    // Bytes of no known kind.
    let (status, _) = verify(store, b"neither PDF nor OFD nor DER");
    assert_eq!(status, ESEAL_MALFORMED_INPUT);
    assert!(
        last_error()
            .unwrap()
            .starts_with("malformed input: not a certificate, seal")
    );
    // SAFETY: the store is live and freed once.
    unsafe { eseal_trust_store_free(store) };
}

/// A licence QR (ES256) with the trust list listing its office and the office's status
/// list, entry 4711 holding `status`.
struct LicenceWorld {
    root: Certificate,
    qr: String,
    trust_list: Vec<u8>,
    status_list: Vec<u8>,
    /// The same list two hours earlier, every entry VALID.
    stale_status_list: Vec<u8>,
}

fn licence_world(status: Status) -> LicenceWorld {
    let hierarchy = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let (list_key, list_cert) = hierarchy.leaf(Profile::TrustList, "吉林省证照目录", -1, 365);
    let (office_key, office_cert) =
        hierarchy.leaf(Profile::LicenceSigner, "吉林省市场监督管理厅", -1, 365);
    let (status_key, status_cert) = hierarchy.leaf(
        Profile::StatusList,
        "吉林省市场监督管理厅 状态列表",
        -1,
        365,
    );
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let list = TrustList::new("吉林省").office(
        Office::new(sample::OFFICE_CODE, sample::OFFICE_NAME)
            .status_list("https://zz.jl.gov.cn/sl/")
            .key(ListedKey::new(office_cert.clone(), KeyUse::Sign))
            .key(ListedKey::new(status_cert.clone(), KeyUse::Sign)),
    );
    let trust_list = sign_trust_list(
        &list,
        1,
        now,
        now + day,
        &list_key,
        &list_cert,
        std::slice::from_ref(&hierarchy.ca),
    )
    .unwrap();
    let mut statuses = StatusList::new(1);
    statuses.grow(5000);
    statuses.set(4711, status).unwrap();
    let status_list = sign_status_list(
        &statuses,
        sample::STATUS_LIST_URI,
        now,
        Duration::from_secs(3600),
        now + day,
        &status_key,
        &status_cert,
    )
    .unwrap();
    let stale_status_list = sign_status_list(
        &StatusList::new(5000),
        sample::STATUS_LIST_URI,
        now - Duration::from_secs(7200),
        Duration::from_secs(3600),
        now + day,
        &status_key,
        &status_cert,
    )
    .unwrap();
    let at = unix_seconds(now);
    let template = sample::business_template();
    let office = sample::office();
    let licence = sample::business_request(0)
        .to_licence(&template, &office, "20260000001", at)
        .unwrap();
    let reference = StatusReference {
        idx: 4711,
        uri: sample::STATUS_LIST_URI.into(),
    };
    let claims = licence
        .claims(&template, office.region, at - 60, reference, None)
        .unwrap();
    let qr = sign_licence(&claims, &office_key, &office_cert).unwrap();
    LicenceWorld {
        root: hierarchy.root,
        qr,
        trust_list,
        status_list,
        stale_status_list,
    }
}

fn licence_store(world: &LicenceWorld) -> *mut eseal_trust_store {
    let store = store_with(&[&world.root]);
    // SAFETY: a live store and readable buffers.
    unsafe {
        let status = eseal_trust_store_add_trust_list(
            store,
            world.trust_list.as_ptr(),
            world.trust_list.len(),
            ESEAL_NOW,
        );
        assert_eq!(status, ESEAL_OK, "{:?}", last_error());
        let status = eseal_trust_store_add_status_list(
            store,
            world.status_list.as_ptr(),
            world.status_list.len(),
        );
        assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    }
    store
}

#[test]
fn licence_qr_with_trust_list_and_status_list() {
    let world = licence_world(Status::Valid);
    let store = licence_store(&world);
    let (status, report) = verify(store, world.qr.as_bytes());
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    assert_eq!(verdict(report), (ESEAL_TOTAL_PASSED, None, None));

    // The same QR with a trailing newline, as a file holds it.
    let (status, report) = verify(store, format!("{}\n", world.qr).as_bytes());
    assert_eq!(status, ESEAL_OK);
    assert_eq!(verdict(report).0, ESEAL_TOTAL_PASSED);

    // Truncated: the signature no longer verifies.
    let cut = &world.qr[..world.qr.len() - 10];
    let (status, report) = verify(store, cut.as_bytes());
    assert_eq!(status, ESEAL_OK);
    let (indication, _, reason) = verdict(report);
    assert_eq!(indication, ESEAL_TOTAL_FAILED);
    assert!(reason.is_some());

    // Verified as of the year 2000, the trust list was not yet issued: the store still
    // holds the list verified when added, and the licence is not yet valid.
    let mut old = null_mut();
    // SAFETY: a live store and a readable buffer.
    let status = unsafe {
        eseal_verify(
            store,
            world.qr.as_ptr(),
            world.qr.len(),
            946_684_800,
            &mut old,
        )
    };
    assert_eq!(status, ESEAL_OK);
    assert_ne!(verdict(old).0, ESEAL_TOTAL_PASSED);
    // SAFETY: freed once.
    unsafe { eseal_trust_store_free(store) };

    // Revoked in the status list: TOTAL-FAILED / REVOKED, LICENCE_REVOKED.
    let revoked = licence_world(Status::Invalid);
    let store = licence_store(&revoked);
    let (status, report) = verify(store, revoked.qr.as_bytes());
    assert_eq!(status, ESEAL_OK);
    assert_eq!(
        verdict(report),
        (
            ESEAL_TOTAL_FAILED,
            Some("REVOKED".into()),
            Some("LICENCE_REVOKED".into())
        )
    );
    // SAFETY: freed once.
    unsafe { eseal_trust_store_free(store) };

    // Without a trust list a QR cannot be verified.
    let bare = store_with(&[&world.root]);
    let (status, report) = verify(bare, world.qr.as_bytes());
    assert_eq!((status, report), (ESEAL_INVALID_ARGUMENT, null_mut()));
    assert!(last_error().unwrap().contains("trust list"));
    // A trust list checked against anchors that do not sign it is refused.
    let stranger = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let other = store_with(&[&stranger.root]);
    // SAFETY: a live store and a readable buffer.
    let status = unsafe {
        eseal_trust_store_add_trust_list(
            other,
            world.trust_list.as_ptr(),
            world.trust_list.len(),
            ESEAL_NOW,
        )
    };
    assert_eq!(status, ESEAL_REFUSED);
    assert!(
        last_error().unwrap().contains("not trusted"),
        "{:?}",
        last_error()
    );
    // A truncated trust list is malformed.
    // SAFETY: as above.
    let status = unsafe {
        eseal_trust_store_add_trust_list(other, world.trust_list.as_ptr(), 20, ESEAL_NOW)
    };
    assert_eq!(status, ESEAL_MALFORMED_INPUT);
    // SAFETY: freed once each.
    unsafe {
        eseal_trust_store_free(bare);
        eseal_trust_store_free(other);
    }
}

#[test]
fn seal_and_verify_pdf_and_ofd_with_an_sm2_signer() {
    let (hierarchy, signer, seal) = sm2_signer();
    let store = store_with(&[&hierarchy.root]);
    let ca = hierarchy.ca.to_pem();
    // SAFETY: a live store and a readable buffer.
    assert_eq!(
        unsafe { eseal_trust_store_add_intermediates(store, ca.as_ptr(), ca.len()) },
        ESEAL_OK
    );

    let pdf = eseal::pdf::sample::plain_pdf(&["营业执照 Business licence", "Sealed"], 0);
    let keyword = CString::new("Sealed").unwrap();
    let mut sealed = null_mut();
    // SAFETY: live signer, readable buffers, writable out-pointer.
    let status = unsafe {
        eseal_seal_pdf(
            signer,
            seal.as_ptr(),
            seal.len(),
            pdf.as_ptr(),
            pdf.len(),
            keyword.as_ptr(),
            &mut sealed,
        )
    };
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    let sealed_pdf = take_bytes(sealed);
    assert!(sealed_pdf.len() > pdf.len() && sealed_pdf.starts_with(&pdf));
    let (status, report) = verify(store, &sealed_pdf);
    assert_eq!(status, ESEAL_OK);
    assert_eq!(verdict(report), (ESEAL_TOTAL_PASSED, None, None));

    // A keyword the document does not hold is refused.
    let missing = CString::new("不存在的文字").unwrap();
    let mut out = null_mut();
    // SAFETY: as above.
    let status = unsafe {
        eseal_seal_pdf(
            signer,
            seal.as_ptr(),
            seal.len(),
            pdf.as_ptr(),
            pdf.len(),
            missing.as_ptr(),
            &mut out,
        )
    };
    assert_eq!((status, out), (ESEAL_REFUSED, null_mut()));
    assert!(last_error().unwrap().contains("not found"));

    let ofd = eseal::ofd::sample::plain_ofd(&["电子证照", "Sealed"], 0).unwrap();
    let mut sealed = null_mut();
    // SAFETY: as above; no keyword.
    let status = unsafe {
        eseal_seal_ofd(
            signer,
            seal.as_ptr(),
            seal.len(),
            ofd.as_ptr(),
            ofd.len(),
            null(),
            &mut sealed,
        )
    };
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    let sealed_ofd = take_bytes(sealed);
    let (status, report) = verify(store, &sealed_ofd);
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    // SAFETY: `report` is live until `verdict` frees it.
    let seal_name = text(unsafe { eseal_report_seal_name(report, 0) });
    assert_eq!(
        seal_name.as_deref(),
        Some("某某市市场监督管理局电子证照专用章")
    );
    assert_eq!(verdict(report), (ESEAL_TOTAL_PASSED, None, None));

    // The seal by itself and a seal with its bytes cut short.
    let (status, report) = verify(store, &seal);
    assert_eq!(status, ESEAL_OK);
    assert_eq!(verdict(report).0, ESEAL_TOTAL_PASSED);
    let (status, _) = verify(store, &seal[..seal.len() / 2]);
    assert_eq!(status, ESEAL_MALFORMED_INPUT);
    // SAFETY: freed once each.
    unsafe {
        eseal_signer_free(signer);
        eseal_trust_store_free(store);
    }
}

#[test]
fn signers_refuse_bad_keys() {
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人", -1, 365);
    let other = SoftwareKey::generate(Algorithm::Sm2Sm3).unwrap();
    let pem = cert.to_pem();
    let mut signer = null_mut();
    let wrong = other.to_pkcs8_der();
    // SAFETY: readable buffers, writable out-pointer.
    let status = unsafe {
        eseal_signer_from_pkcs8(
            wrong.as_ptr(),
            wrong.len(),
            null(),
            pem.as_ptr(),
            pem.len(),
            &mut signer,
        )
    };
    assert_eq!((status, signer), (ESEAL_KEY_ERROR, null_mut()));
    assert_eq!(
        last_error().unwrap(),
        "the key does not belong to the certificate"
    );
    let der = key.to_pkcs8_der();
    // SAFETY: as above; no certificate.
    let status =
        unsafe { eseal_signer_from_pkcs8(der.as_ptr(), der.len(), null(), null(), 0, &mut signer) };
    assert_eq!(status, ESEAL_INVALID_ARGUMENT);
    // SAFETY: as above; garbage for a key.
    let status = unsafe {
        eseal_signer_from_pkcs8(
            b"junk".as_ptr(),
            4,
            null(),
            pem.as_ptr(),
            pem.len(),
            &mut signer,
        )
    };
    assert_eq!(status, ESEAL_MALFORMED_INPUT);
    // Garbage for a PKCS#12 file.
    let password = CString::new("secret").unwrap();
    // SAFETY: as above.
    let status =
        unsafe { eseal_signer_from_pkcs12(b"junk".as_ptr(), 4, password.as_ptr(), &mut signer) };
    assert_ne!(status, ESEAL_OK);
    assert_eq!(signer, null_mut());
    #[cfg(not(feature = "pkcs11"))]
    {
        let s = CString::new("x").unwrap();
        // SAFETY: NUL-terminated strings, readable buffer, writable out-pointer.
        let status = unsafe {
            eseal_signer_from_pkcs11(
                s.as_ptr(),
                s.as_ptr(),
                s.as_ptr(),
                s.as_ptr(),
                pem.as_ptr(),
                pem.len(),
                &mut signer,
            )
        };
        assert_eq!(status, ESEAL_UNSUPPORTED);
    }
}

#[test]
fn null_arguments_and_bad_strings() {
    let mut store = null_mut();
    let mut report = null_mut();
    // SAFETY: every pointer is NULL or valid; NULL ones are refused before use.
    unsafe {
        assert_eq!(eseal_trust_store_new(null_mut()), ESEAL_NULL_PARAMETER);
        assert_eq!(last_error().unwrap(), "out is NULL");
        assert_eq!(eseal_trust_store_new(&mut store), ESEAL_OK);
        assert_eq!(last_error(), None);
        assert_eq!(
            eseal_trust_store_add_anchors(null_mut(), b"x".as_ptr(), 1),
            ESEAL_NULL_PARAMETER
        );
        assert_eq!(
            eseal_trust_store_add_anchors(store, null(), 5),
            ESEAL_NULL_PARAMETER
        );
        assert_eq!(
            eseal_trust_store_add_anchors(store, null(), 0),
            ESEAL_INVALID_ARGUMENT
        );
        assert_eq!(
            eseal_trust_store_add_crl(store, b"junk".as_ptr(), 4),
            ESEAL_MALFORMED_INPUT
        );
        assert_eq!(
            eseal_verify(null(), b"x".as_ptr(), 1, ESEAL_NOW, &mut report),
            ESEAL_NULL_PARAMETER
        );
        assert_eq!(
            eseal_verify(store, null(), 3, ESEAL_NOW, &mut report),
            ESEAL_NULL_PARAMETER
        );
        assert_eq!(
            eseal_verify(store, b"x".as_ptr(), 1, ESEAL_NOW, null_mut()),
            ESEAL_NULL_PARAMETER
        );
        assert_eq!(report, null_mut());
        assert_eq!(eseal_report_indication(null()), ESEAL_TOTAL_FAILED);
        assert_eq!(eseal_report_signature_count(null()), 0);
        assert_eq!(eseal_report_json(null()), null());
        assert_eq!(eseal_bytes_data(null()), null());
        assert_eq!(eseal_bytes_len(null()), 0);
        assert_eq!(
            eseal_office_open(null(), &mut null_mut()),
            ESEAL_NULL_PARAMETER
        );
        let bad_utf8 = [0xffu8, 0xfe, 0];
        let mut office = null_mut();
        assert_eq!(
            eseal_office_open(bad_utf8.as_ptr().cast(), &mut office),
            ESEAL_INVALID_ARGUMENT
        );
        assert_eq!(last_error().unwrap(), "dir is not UTF-8");
        let nowhere = CString::new("/nonexistent/eseal-office").unwrap();
        assert_eq!(
            eseal_office_open(nowhere.as_ptr(), &mut office),
            ESEAL_NOT_FOUND
        );
        assert_eq!(office, null_mut());
        // Freeing NULL does nothing.
        eseal_trust_store_free(null_mut());
        eseal_report_free(null_mut());
        eseal_signer_free(null_mut());
        eseal_bytes_free(null_mut());
        eseal_office_free(null_mut());
        eseal_string_free(null_mut());
        eseal_trust_store_free(store);
    }
}

#[test]
fn wrong_unknown_and_freed_handles() {
    let mut store = null_mut();
    // SAFETY: handles are checked against the registry before any use; the pointers of
    // the wrong kind or already freed are never dereferenced.
    unsafe {
        assert_eq!(eseal_trust_store_new(&mut store), ESEAL_OK);
        // A trust store passed as a report, a signer and bytes.
        assert_eq!(eseal_report_indication(store.cast()), ESEAL_TOTAL_FAILED);
        assert!(last_error().unwrap().contains("not a live eseal_report"));
        assert_eq!(eseal_report_signature_count(store.cast()), 0);
        assert_eq!(eseal_bytes_len(store.cast()), 0);
        let mut out = null_mut();
        let status = eseal_seal_pdf(
            store.cast(),
            b"x".as_ptr(),
            1,
            b"x".as_ptr(),
            1,
            null(),
            &mut out,
        );
        assert_eq!(status, ESEAL_INVALID_HANDLE);
        // Freeing it as another kind does nothing: it still works.
        eseal_report_free(store.cast());
        eseal_office_free(store.cast());
        eseal_string_free(store.cast());
        let pem = Hierarchy::new(Algorithm::EcdsaP256Sha256).root.to_pem();
        assert_eq!(
            eseal_trust_store_add_anchors(store, pem.as_ptr(), pem.len()),
            ESEAL_OK
        );
        // Freed twice: the second free does nothing, later calls are refused.
        eseal_trust_store_free(store);
        eseal_trust_store_free(store);
        assert_eq!(
            eseal_trust_store_add_anchors(store, pem.as_ptr(), pem.len()),
            ESEAL_INVALID_HANDLE
        );
        let mut report = null_mut();
        assert_eq!(
            eseal_verify(store, pem.as_ptr(), pem.len(), ESEAL_NOW, &mut report),
            ESEAL_INVALID_HANDLE
        );
        // An address eseal never handed out.
        let mut local = 0u64;
        let unknown: *mut eseal_report = (&mut local as *mut u64).cast();
        assert_eq!(eseal_report_json(unknown), null());
        eseal_report_free(unknown);
        assert_eq!(local, 0);
    }
}

#[test]
fn a_panic_is_caught_at_the_boundary() {
    assert_eq!(eseal_ffi::guard_panic_for_tests(), ESEAL_PANIC);
    let message = last_error().unwrap();
    assert!(
        message.contains("panic caught") && message.contains("the panic boundary test"),
        "{message}"
    );
    // The next call clears it.
    assert_eq!(text(eseal_version()).unwrap(), env!("CARGO_PKG_VERSION"));
    let mut store = null_mut();
    // SAFETY: writable out-pointer, freed once.
    unsafe {
        assert_eq!(eseal_trust_store_new(&mut store), ESEAL_OK);
        assert_eq!(last_error(), None);
        eseal_trust_store_free(store);
    }
}

#[test]
fn eight_threads_share_one_trust_store_while_another_adds_to_it() {
    let world = licence_world(Status::Valid);
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let pdf = office.sealed_pdf();
    let store = licence_store(&world);
    let (ca, root) = (office.hierarchy.ca.to_pem(), office.hierarchy.root.to_pem());
    // SAFETY: a live store and readable buffers, before any thread reads it.
    unsafe {
        assert_eq!(
            eseal_trust_store_add_anchors(store, root.as_ptr(), root.len()),
            ESEAL_OK
        );
        assert_eq!(
            eseal_trust_store_add_intermediates(store, ca.as_ptr(), ca.len()),
            ESEAL_OK
        );
    }
    let shared = store as usize;
    let results: Vec<Vec<(eseal_indication, Option<String>)>> = std::thread::scope(|scope| {
        // Meanwhile another thread keeps adding to the store: additions wait for the
        // verifications and the verifications for them.
        let ca = &ca;
        scope.spawn(move || {
            for _ in 0..50 {
                // SAFETY: a live store shared with the verifying threads, a readable buffer.
                let status = unsafe {
                    eseal_trust_store_add_intermediates(
                        shared as *mut eseal_trust_store,
                        ca.as_ptr(),
                        ca.len(),
                    )
                };
                assert_eq!(status, ESEAL_OK);
            }
        });
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (qr, pdf) = (&world.qr, &pdf);
                scope.spawn(move || {
                    let store = shared as *const eseal_trust_store;
                    (0..5)
                        .flat_map(|_| [qr.as_bytes(), pdf.as_slice()])
                        .map(|input| {
                            let (status, report) = verify(store, input);
                            assert_eq!(status, ESEAL_OK);
                            // SAFETY: `report` is live until `verdict` frees it.
                            let json = text(unsafe { eseal_report_json(report) });
                            (
                                verdict(report).0,
                                json.map(|j| j.contains("TOTAL-PASSED").to_string()),
                            )
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(r, &results[0]);
        assert!(
            r.iter()
                .all(|(i, j)| *i == ESEAL_TOTAL_PASSED && j.as_deref() == Some("true"))
        );
        assert_eq!(r.len(), 10);
    }
    // SAFETY: freed once, after every thread ended.
    unsafe { eseal_trust_store_free(store) };
}

/// References to one trust store: each thread verifies through its own and frees it, the
/// creator frees its own at once; then a free races verifications on one reference, and
/// each of those either finishes with the right verdict or finds the handle gone.
#[test]
fn trust_store_references_outlive_the_creators_and_a_racing_free() {
    let office = PdfOffice::new(Algorithm::EcdsaP256Sha256);
    let pdf = office.sealed_pdf();
    let store = store_with(&[&office.hierarchy.root]);
    let mut refs = Vec::new();
    for _ in 0..8 {
        let mut r = null_mut();
        // SAFETY: a live store and a writable out-pointer.
        assert_eq!(unsafe { eseal_trust_store_ref(store, &mut r) }, ESEAL_OK);
        assert!(!r.is_null() && r != store);
        refs.push(r as usize);
    }
    let pdf = &pdf;
    std::thread::scope(|scope| {
        let threads: Vec<_> = refs
            .iter()
            .map(|&r| {
                scope.spawn(move || {
                    let r = r as *mut eseal_trust_store;
                    let verdicts: Vec<_> = (0..3).map(|_| verdict(verify(r, pdf).1).0).collect();
                    // SAFETY: this thread's own reference, freed once.
                    unsafe { eseal_trust_store_free(r) };
                    verdicts
                })
            })
            .collect();
        // SAFETY: the creator's reference, freed once while the threads use theirs.
        unsafe { eseal_trust_store_free(store) };
        for t in threads {
            assert_eq!(t.join().unwrap(), [ESEAL_TOTAL_PASSED; 3]);
        }
    });
    // Every reference is gone: the handles are refused.
    assert_eq!(verify(store, pdf).0, ESEAL_INVALID_HANDLE);
    let mut again = null_mut();
    // SAFETY: a freed handle (refused, not read) and a writable out-pointer.
    let status = unsafe { eseal_trust_store_ref(refs[0] as *const _, &mut again) };
    assert_eq!((status, again), (ESEAL_INVALID_HANDLE, null_mut()));

    let shared = store_with(&[&office.hierarchy.root]) as usize;
    let outcomes: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(move || {
                    let (mut passed, mut gone) = (0, 0);
                    while gone == 0 {
                        match verify(shared as *const _, pdf) {
                            (ESEAL_OK, report) => {
                                assert_eq!(verdict(report).0, ESEAL_TOTAL_PASSED);
                                passed += 1;
                            }
                            (status, report) => {
                                assert_eq!((status, report), (ESEAL_INVALID_HANDLE, null_mut()));
                                gone += 1;
                            }
                        }
                    }
                    (passed, gone)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50));
        // SAFETY: the only reference, freed once while the threads call with it.
        unsafe { eseal_trust_store_free(shared as *mut _) };
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(outcomes.iter().all(|&(_, gone)| gone == 1), "{outcomes:?}");
}

/// An office directory as `eseal licence init` and `eseal licence template` leave it,
/// with a P-256 licence-signing key under `hierarchy` and an e-seal, its registry at
/// `registry` (`office.json`'s value: a `postgresql://` URL; the file by default); and the
/// trust list that lists the office.
fn office_dir(dir: &std::path::Path, hierarchy: &Hierarchy, registry: Option<&str>) -> Vec<u8> {
    use eseal::licence::office::{OfficeConfig, REGISTRY_FILE};
    use eseal::registry::{RegistryLocation, open_registry};
    let (key, cert) = hierarchy.leaf(Profile::LicenceSigner, sample::OFFICE_NAME, -1, 365);
    let (seal_key, seal_cert) = hierarchy.leaf(Profile::Signer, "签章人", -1, 365);
    let (status_key, status_cert) = hierarchy.leaf(Profile::StatusList, "状态列表", -1, 365);
    let seal = test_seal(hierarchy, &seal_cert, "2200000000001");
    let pem = |c: &Certificate| format!("{}{}", c.to_pem(), hierarchy.ca.to_pem());
    for (name, key, cert) in [
        ("signer", &key, &cert),
        ("seal", &seal_key, &seal_cert),
        ("status", &status_key, &status_cert),
    ] {
        std::fs::write(
            dir.join(format!("{name}.key")),
            key.to_pkcs8_pem().as_bytes(),
        )
        .unwrap();
        std::fs::write(dir.join(format!("{name}.pem")), pem(cert)).unwrap();
    }
    std::fs::write(dir.join("office.esl"), seal.der()).unwrap();
    let config = OfficeConfig {
        identity: sample::office(),
        status_list_uri: sample::STATUS_LIST_URI.into(),
        key: dir.join("signer.key"),
        cert: dir.join("signer.pem"),
        seal: Some(dir.join("office.esl")),
        seal_key: Some(dir.join("seal.key")),
        seal_cert: Some(dir.join("seal.pem")),
        status_list_key: Some(dir.join("status.key")),
        status_list_cert: Some(dir.join("status.pem")),
        registry: registry.map(str::to_owned),
    };
    std::fs::write(
        dir.join("office.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();
    let location = RegistryLocation::parse(registry.unwrap_or(REGISTRY_FILE), dir);
    let mut registry = open_registry(&location, sample::OFFICE_CODE, true).unwrap();
    let now = SystemTime::now();
    registry
        .put_template(
            &sample::business_template().registry_template(),
            "eseal",
            unix_seconds(now),
        )
        .unwrap();
    let (list_key, list_cert) = hierarchy.leaf(Profile::TrustList, "吉林省证照目录", -1, 365);
    let list = TrustList::new("吉林省").office(
        Office::new(sample::OFFICE_CODE, sample::OFFICE_NAME)
            .status_list("https://zz.jl.gov.cn/sl/")
            .key(ListedKey::new(cert, KeyUse::Sign))
            .key(ListedKey::new(status_cert, KeyUse::Sign)),
    );
    let day = Duration::from_secs(86_400);
    sign_trust_list(
        &list,
        1,
        now,
        now + day,
        &list_key,
        &list_cert,
        std::slice::from_ref(&hierarchy.ca),
    )
    .unwrap()
}

#[test]
fn office_issues_revokes_and_publishes() {
    office_issues_revokes_and_publishes_in(None);
}

/// The same through an office whose `office.json` puts its registry in PostgreSQL.
#[cfg(feature = "postgres")]
#[test]
fn office_on_postgresql_issues_revokes_and_publishes() {
    let url = common::postgres::database();
    office_issues_revokes_and_publishes_in(Some(&url));
    let db = url.rsplit('/').next().unwrap();
    let server = common::postgres::server();
    let count = |table: &str| server.sql(db, &format!("SELECT count(*) FROM eseal.{table}"));
    assert_eq!(count("licences"), "1");
    assert_eq!(count("status_history"), "2", "issued, then revoked");
}

/// Issues a licence through the C ABI into an office with its registry at `registry`
/// ([`office_dir`]), then refuses, publishes, verifies and revokes.
fn office_issues_revokes_and_publishes_in(registry: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let hierarchy = Hierarchy::new(Algorithm::EcdsaP256Sha256);
    let trust_list = office_dir(dir.path(), &hierarchy, registry);
    let path = CString::new(dir.path().to_str().unwrap()).unwrap();
    let type_code = CString::new(sample::BUSINESS_TYPE_CODE).unwrap();
    let request =
        CString::new(serde_json::to_string(&sample::business_request(0)).unwrap()).unwrap();
    let store = store_with(&[&hierarchy.root]);
    // SAFETY: NUL-terminated strings, writable out-pointers, live handles freed once.
    unsafe {
        assert_eq!(
            eseal_trust_store_add_trust_list(
                store,
                trust_list.as_ptr(),
                trust_list.len(),
                ESEAL_NOW
            ),
            ESEAL_OK
        );
        let ca = hierarchy.ca.to_pem();
        assert_eq!(
            eseal_trust_store_add_intermediates(store, ca.as_ptr(), ca.len()),
            ESEAL_OK
        );
        let mut office = null_mut();
        assert_eq!(
            eseal_office_open(path.as_ptr(), &mut office),
            ESEAL_OK,
            "{:?}",
            last_error()
        );

        let (mut identifier, mut qr, mut pdf) = (null_mut(), null_mut(), null_mut());
        let status = eseal_office_issue(
            office,
            type_code.as_ptr(),
            request.as_ptr(),
            null(),
            &mut identifier,
            &mut qr,
            &mut pdf,
        );
        assert_eq!(status, ESEAL_OK, "{:?}", last_error());
        let id = CStr::from_ptr(identifier).to_str().unwrap().to_owned();
        let qr_text = CStr::from_ptr(qr).to_str().unwrap().to_owned();
        assert!(
            id.starts_with("1.2.156.3005.2.11100000000013338W032.11220000013544541J.20"),
            "{id}"
        );
        assert!(qr_text.starts_with("ZZ1:"));
        eseal_string_free(identifier);
        eseal_string_free(identifier);
        eseal_string_free(qr);
        // The sealed licence document verifies.
        let (status, report) = verify(store, &take_bytes(pdf));
        assert_eq!(status, ESEAL_OK);
        assert_eq!(verdict(report), (ESEAL_TOTAL_PASSED, None, None));

        // The same holder again: refused, nothing written.
        let (mut again_id, mut again_qr) = (null_mut(), null_mut());
        let status = eseal_office_issue(
            office,
            type_code.as_ptr(),
            request.as_ptr(),
            null(),
            &mut again_id,
            &mut again_qr,
            null_mut(),
        );
        assert_eq!(
            (status, again_id, again_qr),
            (ESEAL_REFUSED, null_mut(), null_mut())
        );
        assert!(last_error().unwrap().contains("DuplicateActiveLicence"));
        // An unknown licence type.
        let unknown = CString::new("99999999999999999X001").unwrap();
        let status = eseal_office_issue(
            office,
            unknown.as_ptr(),
            request.as_ptr(),
            null(),
            &mut again_id,
            &mut again_qr,
            null_mut(),
        );
        assert_eq!(status, ESEAL_REFUSED);

        // Published as valid, the licence QR verifies.
        let publish = |store: *mut eseal_trust_store| {
            let mut list = null_mut();
            assert_eq!(
                eseal_office_status_list(office, &mut list),
                ESEAL_OK,
                "{:?}",
                last_error()
            );
            let token = take_bytes(list);
            assert_eq!(
                eseal_trust_store_add_status_list(store, token.as_ptr(), token.len()),
                ESEAL_OK
            );
        };
        publish(store);
        assert!(dir.path().join("audit-heads").read_dir().unwrap().count() >= 1);
        let (status, report) = verify(store, qr_text.as_bytes());
        assert_eq!(status, ESEAL_OK);
        assert_eq!(verdict(report), (ESEAL_TOTAL_PASSED, None, None));

        // Revocation: unknown licence, bad status, then revoked (吊销), then again.
        let reason = CString::new("以欺骗手段取得").unwrap();
        let id_c = CString::new(id.clone()).unwrap();
        let nobody = CString::new("1.2.156.3005.2.nothing").unwrap();
        let bad = CString::new("05").unwrap();
        assert_eq!(
            eseal_office_revoke(office, nobody.as_ptr(), reason.as_ptr(), null()),
            ESEAL_NOT_FOUND
        );
        assert_eq!(
            eseal_office_revoke(office, id_c.as_ptr(), reason.as_ptr(), bad.as_ptr()),
            ESEAL_INVALID_ARGUMENT
        );
        assert_eq!(
            eseal_office_revoke(office, id_c.as_ptr(), null(), null()),
            ESEAL_NULL_PARAMETER
        );
        assert_eq!(
            eseal_office_revoke(office, id_c.as_ptr(), reason.as_ptr(), null()),
            ESEAL_OK
        );
        assert_eq!(
            eseal_office_revoke(office, id_c.as_ptr(), reason.as_ptr(), null()),
            ESEAL_REFUSED
        );

        // The next status list says so.
        let revoked_store = store_with(&[&hierarchy.root]);
        assert_eq!(
            eseal_trust_store_add_trust_list(
                revoked_store,
                trust_list.as_ptr(),
                trust_list.len(),
                ESEAL_NOW
            ),
            ESEAL_OK
        );
        publish(revoked_store);
        let (status, report) = verify(revoked_store, qr_text.as_bytes());
        assert_eq!(status, ESEAL_OK);
        assert_eq!(
            verdict(report),
            (
                ESEAL_TOTAL_FAILED,
                Some("REVOKED".into()),
                Some("LICENCE_REVOKED".into())
            )
        );
        // An office handle is not a trust store.
        assert_eq!(
            verify(office.cast(), qr_text.as_bytes()).0,
            ESEAL_INVALID_HANDLE
        );
        eseal_office_free(office);
        eseal_office_free(office);
        assert_eq!(
            eseal_office_status_list(office, &mut null_mut()),
            ESEAL_INVALID_HANDLE
        );
        eseal_trust_store_free(revoked_store);
        eseal_trust_store_free(store);
    }
}

#[test]
fn truncated_certificate_bundles_are_malformed() {
    let hierarchy = Hierarchy::new(Algorithm::Sm2Sm3);
    let (key, cert) = hierarchy.leaf(Profile::Signer, "签章人", -1, 365);
    let bundle = format!("{}{}", cert.to_pem(), hierarchy.ca.to_pem());
    let cut = &bundle.as_bytes()[..bundle.len() - 40];
    let der = key.to_pkcs8_der();
    let mut store = null_mut();
    let mut signer = null_mut();
    // SAFETY: readable buffers, writable out-pointers, the store freed once.
    unsafe {
        assert_eq!(eseal_trust_store_new(&mut store), ESEAL_OK);
        assert_eq!(
            eseal_trust_store_add_anchors(store, cut.as_ptr(), cut.len()),
            ESEAL_MALFORMED_INPUT
        );
        assert_eq!(
            last_error().unwrap(),
            "malformed PEM: 1 of 2 CERTIFICATE blocks are not complete"
        );
        assert_eq!(
            eseal_trust_store_add_intermediates(store, cut.as_ptr(), cut.len()),
            ESEAL_MALFORMED_INPUT
        );
        let status = eseal_signer_from_pkcs8(
            der.as_ptr(),
            der.len(),
            null(),
            cut.as_ptr(),
            cut.len(),
            &mut signer,
        );
        assert_eq!((status, signer), (ESEAL_MALFORMED_INPUT, null_mut()));
        let third = &bundle.as_bytes()[..bundle.len() / 3];
        let status = eseal_signer_from_pkcs8(
            der.as_ptr(),
            der.len(),
            null(),
            third.as_ptr(),
            third.len(),
            &mut signer,
        );
        assert_eq!(status, ESEAL_MALFORMED_INPUT);
        // The whole bundle is fine.
        let status = eseal_signer_from_pkcs8(
            der.as_ptr(),
            der.len(),
            null(),
            bundle.as_ptr(),
            bundle.len(),
            &mut signer,
        );
        assert_eq!(status, ESEAL_OK);
        eseal_signer_free(signer);
        eseal_trust_store_free(store);
    }
}

/// Adds a status list to `store`: the status and the last error.
fn add_status_list(store: *mut eseal_trust_store, token: &[u8]) -> (eseal_status, Option<String>) {
    // SAFETY: a live store and a readable buffer.
    let status = unsafe { eseal_trust_store_add_status_list(store, token.as_ptr(), token.len()) };
    (status, last_error())
}

/// LICENCE.md §5 "newest wins" in the C trust store: a revoked licence stays REVOKED when
/// the list from before the revocation is added after the newer one (refused, named
/// STATUS_LIST_SUPERSEDED) or before it.
#[test]
fn trust_store_keeps_the_newest_status_list() {
    let world = licence_world(Status::Invalid);
    let revoked = (
        ESEAL_TOTAL_FAILED,
        Some("REVOKED".to_string()),
        Some("LICENCE_REVOKED".to_string()),
    );
    // Newer first (licence_store adds it), then the stale one: refused.
    let store = licence_store(&world);
    let (status, error) = add_status_list(store, &world.stale_status_list);
    assert_eq!(status, ESEAL_REFUSED);
    let error = error.unwrap();
    assert!(
        error.starts_with(&format!(
            "STATUS_LIST_SUPERSEDED: the status list {} issued at ",
            sample::STATUS_LIST_URI
        )),
        "{error}"
    );
    let (status, report) = verify(store, world.qr.as_bytes());
    assert_eq!(status, ESEAL_OK);
    assert_eq!(verdict(report), revoked);
    // SAFETY: freed once.
    unsafe { eseal_trust_store_free(store) };

    // Stale first, then the newer one: both accepted, the newer decides.
    let store = store_with(&[&world.root]);
    // SAFETY: a live store and a readable buffer.
    let status = unsafe {
        eseal_trust_store_add_trust_list(
            store,
            world.trust_list.as_ptr(),
            world.trust_list.len(),
            ESEAL_NOW,
        )
    };
    assert_eq!(status, ESEAL_OK);
    assert_eq!(add_status_list(store, &world.stale_status_list).0, ESEAL_OK);
    let (status, report) = verify(store, world.qr.as_bytes());
    assert_eq!(status, ESEAL_OK);
    assert_eq!(verdict(report), (ESEAL_TOTAL_PASSED, None, None));
    assert_eq!(add_status_list(store, &world.status_list).0, ESEAL_OK);
    let (status, report) = verify(store, world.qr.as_bytes());
    assert_eq!(status, ESEAL_OK);
    assert_eq!(verdict(report), revoked);
    // The same list again changes nothing.
    assert_eq!(add_status_list(store, &world.status_list).0, ESEAL_OK);
    // SAFETY: freed once.
    unsafe { eseal_trust_store_free(store) };

    // A malformed QR is TOTAL-FAILED / FORMAT_FAILURE even in a store without a trust list.
    let bare = store_with(&[&world.root]);
    let (status, report) = verify(bare, b"ZZ1:abc");
    assert_eq!(status, ESEAL_OK, "{:?}", last_error());
    assert_eq!(
        verdict(report),
        (
            ESEAL_TOTAL_FAILED,
            Some("FORMAT_FAILURE".into()),
            Some("LICENCE_FORMAT".into())
        )
    );
    // SAFETY: freed once.
    unsafe { eseal_trust_store_free(bare) };
}
