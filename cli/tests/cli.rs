//! The command line contract: `eseal pki` writes files other tools read, and `eseal verify`
//! exits 0/1/2/3/64/65 as DESIGN.md says.

mod common;

use std::path::Path;

use common::cli::{
    OfficeFiles, code, eseal, licence_pki, make_seal, office, ok, p, pki_issue as issue, stderr,
    strs,
};
use common::{openssl_ok, openssl_p256_self_signed};

#[test]
fn pki_commands_and_verify_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&[
        "pki",
        "init",
        &p(d, "root"),
        "--name",
        "测试根CA",
        "--alg",
        "p256",
    ]);
    issue(d, "root", "office-ca", "测试办公室 CA", "p256", "office");
    issue(d, "office", "signer", "签章人", "p256", "signer");
    issue(d, "office", "tsa", "TSA", "p256", "tsa");
    std::fs::copy(d.join("root/ca.pem"), d.join("root.pem")).unwrap();

    // OpenSSL reads what the CLI wrote: the bundle carries the office CA after the leaf.
    let out = openssl_ok(
        d,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "signer.pem",
            "signer.pem",
        ],
    );
    assert_eq!(out.trim(), format!("signer.pem: OK"));
    openssl_ok(d, &["pkey", "-in", "signer.key", "-noout"]);

    let signer = p(d, "signer.pem");
    let root = p(d, "root.pem");
    let verify =
        |extra: &[&str]| eseal(&[&["verify", &signer, "--trust", &root][..], extra].concat());

    assert_eq!(code(&verify(&["--usage", "signer"])), 0);
    assert_eq!(code(&verify(&["--usage", "tsa"])), 1, "a signer is no TSA");
    assert_eq!(
        code(&eseal(&[
            "verify",
            &p(d, "tsa.pem"),
            "--trust",
            &root,
            "--usage",
            "tsa"
        ])),
        0
    );
    assert_eq!(
        code(&eseal(&["verify", &signer])),
        1,
        "no trust anchor: indeterminate"
    );
    assert_eq!(
        code(&verify(&["--at", "2020-01-01T00:00:00Z"])),
        2,
        "not yet valid"
    );
    assert_eq!(
        code(&verify(&["--at", "2100-01-01T00:00:00Z"])),
        1,
        "expired"
    );

    // Revoke, publish, verify again: TOTAL-FAILED / REVOKED, in JSON too.
    ok(&[
        "pki",
        "revoke",
        "--ca",
        &p(d, "office"),
        "--cert",
        &signer,
        "--reason",
        "keyCompromise",
    ]);
    ok(&[
        "pki",
        "crl",
        "--ca",
        &p(d, "office"),
        "--out",
        &p(d, "office.crl"),
    ]);
    let out = verify(&["--crl", &p(d, "office.crl"), "--json"]);
    assert_eq!(code(&out), 2);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = &json["signatures"][0];
    assert_eq!(entry["indication"], "TOTAL-FAILED");
    assert_eq!(entry["sub_indication"], "REVOKED");
    assert_eq!(entry["reasons"][0]["code"], "CERTIFICATE_REVOKED");
    assert_eq!(entry["chain"].as_array().unwrap().len(), 3);
    // OpenSSL reads the CRL and agrees.
    let text = openssl_ok(
        d,
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "office.crl",
            "-noout",
            "-text",
        ],
    );
    assert!(text.contains("Key Compromise"), "{text}");

    // Revoking a serial this CA never issued is refused.
    let out = eseal(&[
        "pki",
        "revoke",
        "--ca",
        &p(d, "office"),
        "--serial",
        "0badc0de",
    ]);
    assert_eq!(code(&out), 64);
    // The CRL number grows.
    ok(&[
        "pki",
        "crl",
        "--ca",
        &p(d, "office"),
        "--out",
        &p(d, "office2.crl"),
    ]);
    assert_eq!(
        std::fs::read_to_string(d.join("office/crlnumber"))
            .unwrap()
            .trim(),
        "2"
    );
}

#[test]
fn verify_exit_codes_for_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("garbage.der"), b"\x30\x82\xff\xffnot a certificate").unwrap();
    std::fs::write(
        d.join("nothing.pem"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    std::fs::write(d.join("big.der"), vec![0u8; 17 << 20]).unwrap();

    assert_eq!(code(&eseal(&["verify", &p(d, "garbage.der")])), 65);
    assert_eq!(code(&eseal(&["verify", &p(d, "missing.pem")])), 65);
    let out = eseal(&["verify", &p(d, "big.der")]);
    assert_eq!(code(&out), 65);
    assert!(String::from_utf8_lossy(&out.stderr).contains("too large"));
    assert_eq!(
        code(&eseal(&["verify", &p(d, "nothing.pem")])),
        3,
        "nothing signed found"
    );
    assert_eq!(code(&eseal(&["verify"])), 64);
    assert_eq!(
        code(&eseal(&[
            "verify",
            &p(d, "nothing.pem"),
            "--at",
            "yesterday"
        ])),
        64
    );
    assert_eq!(code(&eseal(&["no-such-command"])), 64);
}

/// `--trust` and `--chain` files: one that cannot be used names itself and the cause; a
/// bundle with one bad certificate among good ones loads the good ones and warns.
#[test]
fn trust_files_that_cannot_be_read_name_themselves_and_bad_certificates_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vectors = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("test-vectors/ofd");
    let vector = |name: &str| vectors.join(name).display().to_string();
    openssl_p256_self_signed(d, "other", "/CN=another root");
    let other = std::fs::read_to_string(d.join("other.pem")).unwrap();
    let root = std::fs::read_to_string(vectors.join("root.pem")).unwrap();
    let cut = &other[..other.len() - 40];
    let garbled = other.replacen("MII", "MIJ", 1);
    std::fs::write(d.join("bundle.pem"), format!("{other}{garbled}{root}")).unwrap();
    std::fs::write(d.join("cut.pem"), format!("{root}{cut}")).unwrap();
    std::fs::write(d.join("garbled.pem"), &garbled).unwrap();

    let verify = |trust: &str| {
        eseal(&[
            "verify",
            "--trust",
            &p(d, trust),
            "--chain",
            &vector("office-ca.pem"),
            &vector("sealed.ofd"),
        ])
    };
    let out = verify("bundle.pem");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("TOTAL-PASSED"));
    let warning = stderr(&out);
    assert!(
        warning.starts_with(&format!(
            "eseal: warning: {}: certificate 2 of 3 skipped: malformed certificate",
            p(d, "bundle.pem")
        )),
        "{warning}"
    );
    let out = verify("cut.pem");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{}: certificate 2 of 2 skipped: malformed PEM",
            p(d, "cut.pem")
        )),
        "{}",
        stderr(&out)
    );

    let out = verify("garbled.pem");
    assert_eq!(code(&out), 65);
    assert!(
        stderr(&out).starts_with(&format!(
            "eseal: {}: malformed certificate",
            p(d, "garbled.pem")
        )),
        "{}",
        stderr(&out)
    );
    let out = verify("missing.pem");
    assert_eq!(code(&out), 65);
    assert_eq!(
        stderr(&out),
        format!("eseal: {}: no such file\n", p(d, "missing.pem"))
    );
    std::fs::write(
        d.join("key-only.pem"),
        std::fs::read(d.join("other.key")).unwrap(),
    )
    .unwrap();
    let out = verify("key-only.pem");
    assert_eq!(code(&out), 65);
    assert_eq!(
        stderr(&out),
        format!(
            "eseal: {}: malformed certificate file: no CERTIFICATE block\n",
            p(d, "key-only.pem")
        )
    );
}

/// Ed448 certificates made by OpenSSL verify (RFC 8410); a flipped signature bit fails.
#[test]
fn openssl_ed448_certificates_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_ok(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ed448",
            "-nodes",
            "-keyout",
            "ca.key",
            "-subj",
            "/CN=Ed448 root",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "ca.pem",
        ],
    );
    openssl_ok(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ed448",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-subj",
            "/CN=Ed448 leaf",
            "-out",
            "leaf.csr",
        ],
    );
    std::fs::write(
        d.join("leaf.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
    )
    .unwrap();
    openssl_ok(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "10",
            "-extfile",
            "leaf.ext",
            "-outform",
            "DER",
            "-out",
            "leaf.der",
        ],
    );
    let out = eseal(&[
        "verify",
        &p(d, "leaf.der"),
        "--trust",
        &p(d, "ca.pem"),
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");

    let mut der = std::fs::read(d.join("leaf.der")).unwrap();
    let last = der.len() - 5;
    der[last] ^= 1;
    std::fs::write(d.join("bad.der"), der).unwrap();
    let out = eseal(&[
        "verify",
        &p(d, "bad.der"),
        "--trust",
        &p(d, "ca.pem"),
        "--json",
    ]);
    assert_eq!(code(&out), 2);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-FAILED");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "BAD_CERTIFICATE_SIGNATURE"
    );
}

#[test]
fn demo_tells_the_story() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&["demo", "--out", &dir.path().display().to_string()]);
    assert!(out.contains("→ TOTAL-PASSED"), "{out}");
    assert!(out.contains("→ TOTAL-FAILED / REVOKED"), "{out}");
    assert!(out.contains("→ TOTAL-FAILED / HASH_FAILURE"), "{out}");
    assert!(out.contains("LICENCE_REVOKED: revoked: entry"), "{out}");
    assert!(
        out.contains("→ refused: USAGE_NOT_ALLOWED:") && out.contains("may not sign trust lists"),
        "{out}"
    );
    assert!(
        out.contains("STATUS_LIST_SUPERSEDED: the status list"),
        "{out}"
    );
    for file in [
        "registry.db",
        "template.json",
        "licence.qr.txt",
        "licence-qr.svg",
        "licence.pdf",
        "licence.ofd",
        "licence-lta.pdf",
        "trust-list.cwt",
        "status-list.cwt",
        "status-list-2.cwt",
        "seal.esl",
        "seal.png",
        "seal.svg",
        "signed-value.dat",
        "root.pem",
        "signer.pem",
        "signer.key",
        "seal-maker.pem",
        "tsa.pem",
        "status-list.pem",
        "office-ca.crl",
    ] {
        assert!(dir.path().join(file).exists(), "{file} missing");
    }
}

/// `eseal seal sign` of `d/doc.txt` by `d`'s signer with `seal`, written to `out`.
fn sign_with_seal(d: &Path, seal: &str, out: &str, extra: &[&str]) {
    let (seal, signer_cert, signer_key, data, out) = (
        p(d, seal),
        p(d, "signer.pem"),
        p(d, "signer.key"),
        p(d, "doc.txt"),
        p(d, out),
    );
    let args = [
        "seal",
        "sign",
        "--seal",
        &seal,
        "--signer-cert",
        &signer_cert,
        "--signer-key",
        &signer_key,
        "--data",
        &data,
        "--out",
        &out,
    ];
    ok(&[&args[..], extra].concat());
}

#[test]
fn seal_make_sign_inspect_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    office(d, "sm2");
    make_seal(d, "T0001", "office.esl", &["--purpose", "电子证照专用章"]);
    std::fs::write(d.join("doc.txt"), "the document").unwrap();
    sign_with_seal(d, "office.esl", "sv.dat", &[]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["seal", "inspect", &p(d, "office.esl"), "--json"])).unwrap();
    assert_eq!(json["name"], "测试局电子证照专用章");
    assert_eq!(json["version"], "V4");
    assert_eq!(json["picture"]["type"], "PNG");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["seal", "inspect", &p(d, "sv.dat"), "--json"])).unwrap();
    assert_eq!(json["kind"], "seal-signature");

    let root = p(d, "root/ca.pem");
    let chain = p(d, "signer.pem");
    let verify = |args: &[&str]| {
        eseal(
            &[
                &["verify"][..],
                args,
                &["--trust", &root, "--chain", &chain],
            ]
            .concat(),
        )
    };
    assert_eq!(code(&verify(&[&p(d, "office.esl")])), 0);
    assert_eq!(
        code(&verify(&[&p(d, "sv.dat"), "--data", &p(d, "doc.txt")])),
        0
    );
    assert_eq!(
        code(&verify(&[&p(d, "sv.dat")])),
        1,
        "no data: indeterminate"
    );
    std::fs::write(d.join("other.txt"), "another document").unwrap();
    let out = verify(&[&p(d, "sv.dat"), "--data", &p(d, "other.txt"), "--json"]);
    assert_eq!(code(&out), 2);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["sub_indication"], "HASH_FAILURE");
    assert_eq!(
        json["signatures"][0]["reasons"][0]["code"],
        "DATA_HASH_MISMATCH"
    );
}

#[test]
fn pdf_seal_by_keyword_and_verify_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    office(d, "p256");
    make_seal(d, "T0002", "office.esl", &[]);
    let plain = eseal::pdf::sample::plain_pdf(&["Licence", "Seal: [here]"], 0);
    std::fs::write(d.join("plain.pdf"), &plain).unwrap();
    let seal_args = |keyword: &str, out: &str| {
        vec![
            "pdf".to_string(),
            "seal".into(),
            "--in".into(),
            p(d, "plain.pdf"),
            "--out".into(),
            p(d, out),
            "--cert".into(),
            p(d, "signer.pem"),
            "--key".into(),
            p(d, "signer.key"),
            "--seal".into(),
            p(d, "office.esl"),
            "--keyword".into(),
            keyword.into(),
        ]
    };
    let args = seal_args("[here]", "sealed.pdf");
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let root = p(d, "root/ca.pem");
    let out = eseal(&["verify", &p(d, "sealed.pdf"), "--trust", &root, "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["kind"], "pdf-signature");
    assert_eq!(json["signatures"][0]["seal"], "测试局电子证照专用章");
    assert_eq!(json["signatures"][0]["modification"], "NONE");

    let mut tampered = std::fs::read(d.join("sealed.pdf")).unwrap();
    let at = tampered.windows(7).position(|w| w == b"Licence").unwrap();
    tampered[at] = b'l';
    std::fs::write(d.join("tampered.pdf"), &tampered).unwrap();
    let out = eseal(&["verify", &p(d, "tampered.pdf"), "--trust", &root, "--json"]);
    assert_eq!(code(&out), 2);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["sub_indication"], "HASH_FAILURE");

    assert_eq!(
        code(&eseal(&["verify", &p(d, "plain.pdf"), "--trust", &root])),
        3
    );
    std::fs::write(d.join("broken.pdf"), b"%PDF-1.7\nnot really").unwrap();
    assert_eq!(
        code(&eseal(&["verify", &p(d, "broken.pdf"), "--trust", &root])),
        65
    );

    let args = seal_args("no such words", "never.pdf");
    let out = eseal(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&out), 64);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not found"),
        "{out:?}"
    );
    assert!(!d.join("never.pdf").exists());
}

#[test]
fn timestamps_from_the_command_line_pdf_levels_and_stamped_seals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    office(d, "p256");
    issue(d, "office", "tsa", "时间戳服务", "p256", "tsa");
    // The office's TSA, in this process, over HTTP.
    let tsa_key = eseal::crypto::SoftwareKey::from_pem(
        &std::fs::read_to_string(d.join("tsa.key")).unwrap(),
        None,
    )
    .unwrap();
    let mut tsa_certs =
        eseal::pki::read_certificates(&std::fs::read(d.join("tsa.pem")).unwrap()).unwrap();
    let tsa_cert = tsa_certs.remove(0);
    let authority = eseal::cms::tsa::Authority::new(
        std::sync::Arc::new(tsa_key),
        tsa_cert,
        tsa_certs,
        "1.2.156.1.1",
    )
    .unwrap();
    let (url, _server) = eseal::serve::spawn_local(authority).unwrap();

    make_seal(d, "T0003", "v5.esl", &["--tsa", &url]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["seal", "inspect", &p(d, "v5.esl"), "--json"])).unwrap();
    assert_eq!(json["version"], "V5");
    let root = p(d, "root/ca.pem");
    assert_eq!(
        code(&eseal(&[
            "verify",
            &p(d, "v5.esl"),
            "--trust",
            &root,
            "--chain",
            &p(d, "signer.pem")
        ])),
        0
    );

    std::fs::write(d.join("doc.txt"), "the document").unwrap();
    sign_with_seal(d, "v5.esl", "sv.dat", &["--tsa", &url]);
    let out = eseal(&[
        "verify",
        &p(d, "sv.dat"),
        "--data",
        &p(d, "doc.txt"),
        "--trust",
        &root,
        "--chain",
        &p(d, "signer.pem"),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));

    std::fs::write(
        d.join("plain.pdf"),
        eseal::pdf::sample::plain_pdf(&["Licence"], 0),
    )
    .unwrap();
    ok(&[
        "pdf",
        "seal",
        "--in",
        &p(d, "plain.pdf"),
        "--out",
        &p(d, "b-t.pdf"),
        "--cert",
        &p(d, "signer.pem"),
        "--key",
        &p(d, "signer.key"),
        "--level",
        "B-T",
        "--tsa",
        &url,
    ]);
    ok(&[
        "pdf",
        "extend",
        "--in",
        &p(d, "b-t.pdf"),
        "--out",
        &p(d, "b-lta.pdf"),
        "--level",
        "B-LTA",
        "--tsa",
        &url,
        "--dss-cert",
        &p(d, "tsa.pem"),
    ]);
    let out = eseal(&["verify", &p(d, "b-lta.pdf"), "--trust", &root, "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = json["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pdf-signature", "pdf-document-timestamp"]);
    assert_eq!(
        json["signatures"][0]["signing_time_source"],
        "signature timestamp"
    );
    assert_eq!(json["signatures"][0]["modification"], "LTA_UPDATES");

    // B-T without a TSA is a usage error.
    let out = eseal(&[
        "pdf",
        "seal",
        "--in",
        &p(d, "plain.pdf"),
        "--out",
        &p(d, "x.pdf"),
        "--cert",
        &p(d, "signer.pem"),
        "--key",
        &p(d, "signer.key"),
        "--level",
        "B-T",
    ]);
    assert_eq!(code(&out), 64);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tsa"));
}

/// An office on the command line: set up, template, one licence with its sealed document,
/// a batch, status and trust lists, a QR verified offline, revoked, verified again.
#[test]
fn licence_office_from_the_command_line() {
    use eseal::licence::sample;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    licence_pki(d, "p256");
    let jl = p(d, "jl");
    ok(&strs(&OfficeFiles::in_dir(d).init_args(&d.join("jl"))));
    let template = write_json(d, "template.json", &sample::business_template());
    ok(&["licence", "template", "--office", &jl, &template]);
    let request = write_json(d, "request.json", &sample::business_request(0));
    let type_code = sample::BUSINESS_TYPE_CODE;
    let issue_args = [
        "licence", "issue", "--office", &jl, "--type", type_code, "--in", &request,
    ];
    let out = ok(&[&issue_args[..], &["--out", &p(d, "out")]].concat());
    let identifier = out.lines().next().unwrap().to_owned();
    assert!(identifier.starts_with("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2026"));
    let qr = std::fs::read_to_string(d.join("out").join(format!("{identifier}.qr.txt"))).unwrap();
    assert!(
        qr.starts_with("ZZ1:") && qr.len() < 600,
        "{} chars",
        qr.len()
    );
    assert!(out.contains(&qr));
    let svg = std::fs::read_to_string(d.join("out").join(format!("{identifier}.svg"))).unwrap();
    assert!(
        svg.starts_with("<?xml") || svg.starts_with("<svg"),
        "{}",
        &svg[..40]
    );
    let pdf = p(&d.join("out"), &format!("{identifier}.pdf"));
    let verified = ok(&["verify", &pdf, "--trust", &p(d, "root/ca.pem")]);
    assert!(verified.contains("TOTAL-PASSED"), "{verified}");
    // The same request again: a second active licence for the holder is refused.
    let again = eseal(&issue_args);
    assert_eq!(code(&again), 64);
    assert!(String::from_utf8_lossy(&again.stderr).contains("DuplicateActiveLicence"));

    // A batch: two good rows and one with a bad check character, in line order.
    let good = |n: u32| sample::company_code(n).to_string();
    std::fs::write(
        d.join("batch.csv"),
        format!(
            "idempotency_key,holder_name,holder_type,holder_code,surface.lx,surface.fr,surface.zb,valid_to\n\
             B1,甲公司,001,{},有限责任公司,李四,壹佰万元整,20301231\n\
             B2,乙公司,001,91220101MA0000003X,有限责任公司,王五,壹佰万元整,\n\
             B3,丙公司,001,{},有限责任公司,赵六,伍拾万元整,\n",
            good(1),
            good(2)
        ),
    )
    .unwrap();
    let batch = eseal(&[
        "licence",
        "issue",
        "--office",
        &jl,
        "--type",
        type_code,
        "--batch",
        &p(d, "batch.csv"),
    ]);
    assert_eq!(code(&batch), 65, "a refused row exits 65");
    let rows: Vec<serde_json::Value> = String::from_utf8(batch.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0]["line"], 2, "{rows:?}");
    assert!(
        rows[0]["identifier"]
            .as_str()
            .is_some_and(|id| id.contains(".2026")),
        "{rows:?}"
    );
    assert_eq!(rows[1]["line"], 3);
    assert!(
        rows[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("holder_code: "),
        "{}",
        rows[1]
    );
    assert_eq!(rows[2]["line"], 4);
    assert!(rows[2]["qr"].as_str().unwrap().starts_with("ZZ1:"));

    // Lists, then the QR verified offline by someone who pins only the root.
    let publish = |name: &str| {
        ok(&[
            "licence",
            "status-list",
            "--office",
            &jl,
            "--out",
            &p(d, name),
        ]);
        p(d, name)
    };
    let before = publish("status-1.cwt");
    ok(&[
        "licence",
        "trust-list",
        "--key",
        &p(d, "lister.key"),
        "--cert",
        &p(d, "lister.pem"),
        "--issuer",
        "吉林省",
        "--office",
        &jl,
        "--seq",
        "1",
        "--out",
        &p(d, "trust.cwt"),
    ]);
    let verify_qr = |status: &str| {
        eseal(&[
            "verify",
            &qr,
            "--trust-list",
            &p(d, "trust.cwt"),
            "--status-list",
            status,
            "--trust",
            &p(d, "root/ca.pem"),
            "--json",
        ])
    };
    let passed = verify_qr(&before);
    assert_eq!(
        code(&passed),
        0,
        "{}",
        String::from_utf8_lossy(&passed.stdout)
    );
    // The trust list carries the template: the human report labels the surface fields.
    let human = ok(&[
        "verify",
        &qr,
        "--trust-list",
        &p(d, "trust.cwt"),
        "--status-list",
        &before,
        "--trust",
        &p(d, "root/ca.pem"),
    ]);
    assert!(human.contains("    法定代表人: 张三\n"), "{human}");
    assert!(human.contains("[1] licence: TOTAL-PASSED"), "{human}");
    ok(&[
        "licence",
        "revoke",
        "--office",
        &jl,
        &identifier,
        "--reason",
        "吊销：虚假登记",
    ]);
    let shown = ok(&["licence", "show", "--office", &jl, &identifier]);
    let pdf_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&pdf).unwrap(),
    ));
    assert!(
        shown.contains(&format!("document:    SHA-256 {pdf_sha256}")),
        "{shown}"
    );
    // The same licence as OFD (the document the registry records is then this one), sealed with a GB/T 38540 seal signature.
    let ofd = p(d, "licence.ofd");
    ok(&["ofd", "render", "--office", &jl, &identifier, "--out", &ofd]);
    // An SES signature carries the signer's certificate alone: the office CA is given.
    let verified = ok(&[
        "verify",
        &ofd,
        "--trust",
        &p(d, "root/ca.pem"),
        "--chain",
        &p(d, "office/ca.pem"),
    ]);
    assert!(verified.contains("TOTAL-PASSED"), "{verified}");
    let shown = ok(&["licence", "show", "--office", &jl, &identifier]);
    let ofd_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&ofd).unwrap(),
    ));
    assert!(shown.contains(&ofd_sha256), "{shown}");
    assert!(shown.contains("status:      07"), "{shown}");
    assert!(
        shown.contains("01 → 07 (op 05) by eseal: 吊销：虚假登记"),
        "{shown}"
    );
    // The old list still says VALID; the new one says revoked.
    assert_eq!(code(&verify_qr(&before)), 0);
    let after = publish("status-2.cwt");
    let revoked = verify_qr(&after);
    assert_eq!(code(&revoked), 2);
    let report: serde_json::Value = serde_json::from_slice(&revoked.stdout).unwrap();
    assert_eq!(
        report["signatures"][0]["reasons"][0]["code"],
        "LICENCE_REVOKED"
    );
    // Each publication signed the audit head; the log still matches them.
    let audit = ok(&["licence", "audit", "--office", &jl]);
    assert!(
        audit.contains("audit log intact") && audit.contains("2 signed heads match"),
        "{audit}"
    );
    // Revoked is final.
    let reinstate = eseal(&[
        "licence",
        "reinstate",
        "--office",
        &jl,
        &identifier,
        "--reason",
        "复议",
    ]);
    assert_eq!(code(&reinstate), 64);
    assert!(String::from_utf8_lossy(&reinstate.stderr).contains("INVALID is final"));
}

/// Writes `value` as JSON into `d/name` and returns the path.
fn write_json(d: &Path, name: &str, value: &impl serde::Serialize) -> String {
    std::fs::write(d.join(name), serde_json::to_vec_pretty(value).unwrap()).unwrap();
    p(d, name)
}

/// Runs `eseal` with `args`, an environment variable `name=value` and `stdin` as its
/// standard input.
fn eseal_with(args: &[&str], env: (&str, &str), stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_eseal"))
        .args(args)
        .env(env.0, env.1)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the eseal binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// The office's signer with its key encrypted (PBES2, AES-256) under `password`, in
/// `d/signer-enc.key`.
fn encrypt_signer_key(d: &Path, password: &str) {
    openssl_ok(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            &format!("pass:{password}"),
            "-in",
            "signer.key",
            "-out",
            "signer-enc.key",
        ],
    );
}

/// `pdf seal` of `d/plain.pdf` into `d/out` by the signer with its encrypted key and
/// `password_args`.
fn pdf_seal_encrypted(d: &Path, out: &str, password_args: &[&str]) -> Vec<String> {
    let mut args = vec![
        "pdf".to_string(),
        "seal".into(),
        "--in".into(),
        p(d, "plain.pdf"),
        "--out".into(),
        p(d, out),
        "--cert".into(),
        p(d, "signer.pem"),
        "--key".into(),
        p(d, "signer-enc.key"),
    ];
    args.extend(password_args.iter().map(|a| a.to_string()));
    args
}

/// `d/name` verifies as one signature, TOTAL-PASSED without a reason.
fn assert_sealed_and_passes(d: &Path, name: &str) {
    let out = eseal(&[
        "verify",
        &p(d, name),
        "--trust",
        &p(d, "root/ca.pem"),
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signatures"][0]["indication"], "TOTAL-PASSED");
    assert_eq!(json["signatures"][0]["reasons"], serde_json::json!([]));
}

#[test]
fn the_signer_password_comes_from_the_command_line_a_file_standard_input_or_a_variable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    office(d, "p256");
    encrypt_signer_key(d, "right horse");
    std::fs::write(
        d.join("plain.pdf"),
        eseal::pdf::sample::plain_pdf(&["Licence"], 0),
    )
    .unwrap();
    std::fs::write(d.join("password.txt"), "right horse\n").unwrap();
    std::fs::write(d.join("password-crlf.txt"), "right horse\r\n").unwrap();
    std::fs::write(d.join("password-bare.txt"), "right horse").unwrap();
    let no_env = ("ESEAL_TEST_UNUSED", "");
    let sealed_with = |out: &str, password_args: &[&str], env: (&str, &str), stdin: &[u8]| {
        let args = pdf_seal_encrypted(d, out, password_args);
        let run = eseal_with(&strs(&args), env, stdin);
        assert_eq!(code(&run), 0, "{password_args:?}: {}", stderr(&run));
        assert_sealed_and_passes(d, out);
    };

    sealed_with("line.pdf", &["--password", "right horse"], no_env, b"");
    for (out, file) in [
        ("file.pdf", "password.txt"),
        ("crlf.pdf", "password-crlf.txt"),
        ("bare.pdf", "password-bare.txt"),
    ] {
        sealed_with(out, &["--password-file", &p(d, file)], no_env, b"");
    }
    sealed_with(
        "stdin.pdf",
        &["--password-file", "-"],
        no_env,
        b"right horse\n",
    );
    sealed_with(
        "env.pdf",
        &["--password-env", "ESEAL_TEST_PASSWORD"],
        ("ESEAL_TEST_PASSWORD", "right horse"),
        b"",
    );
}

#[test]
fn a_password_from_two_places_a_missing_variable_or_an_unreadable_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    office(d, "p256");
    encrypt_signer_key(d, "right horse");
    std::fs::write(
        d.join("plain.pdf"),
        eseal::pdf::sample::plain_pdf(&["Licence"], 0),
    )
    .unwrap();
    std::fs::write(d.join("password.txt"), "right horse\n").unwrap();
    // One trailing newline goes, not two.
    std::fs::write(d.join("password-2nl.txt"), "right horse\n\n").unwrap();
    std::fs::write(d.join("password-latin1.txt"), b"right h\xf6rse\n").unwrap();
    let file = p(d, "password.txt");
    let no_env = ("ESEAL_TEST_UNUSED", "");
    let refused = |password_args: &[&str], env: (&str, &str), exit: i32, message: &str| {
        let args = pdf_seal_encrypted(d, "never.pdf", password_args);
        let run = eseal_with(&strs(&args), env, b"");
        assert_eq!(code(&run), exit, "{password_args:?}: {}", stderr(&run));
        assert!(
            stderr(&run).contains(message),
            "{password_args:?}: {}",
            stderr(&run)
        );
        assert!(!d.join("never.pdf").exists());
    };

    // Two sources at once: a usage error.
    refused(
        &["--password", "right horse", "--password-file", &file],
        no_env,
        64,
        "'--password <PASSWORD>' cannot be used with '--password-file <FILE>'",
    );
    refused(
        &[
            "--password-file",
            &file,
            "--password-env",
            "ESEAL_TEST_PASSWORD",
        ],
        ("ESEAL_TEST_PASSWORD", "right horse"),
        64,
        "'--password-file <FILE>' cannot be used with '--password-env <VAR>'",
    );
    // A variable that is not set: a usage error naming it.
    refused(
        &["--password-env", "ESEAL_TEST_NO_SUCH_VARIABLE"],
        no_env,
        64,
        "--password-env ESEAL_TEST_NO_SUCH_VARIABLE: the environment variable is not set",
    );
    // The wrong password, from a file or a variable; no password at all.
    refused(
        &["--password-file", &p(d, "password-2nl.txt")],
        no_env,
        64,
        "wrong password or corrupt encrypted key",
    );
    refused(
        &["--password-env", "ESEAL_TEST_PASSWORD"],
        ("ESEAL_TEST_PASSWORD", "right horse\n"),
        64,
        "wrong password or corrupt encrypted key",
    );
    refused(
        &[],
        no_env,
        64,
        "the private key is encrypted: a password is needed",
    );
    // A password file that is missing or not text: unreadable input (65); one that cannot
    // be read: an I/O error (74), naming it.
    let missing = p(d, "no-such-password.txt");
    refused(&["--password-file", &missing], no_env, 65, &missing);
    let latin1 = p(d, "password-latin1.txt");
    refused(&["--password-file", &latin1], no_env, 65, &latin1);
    let under_a_file = format!("{file}/password");
    refused(
        &["--password-file", &under_a_file],
        no_env,
        74,
        &under_a_file,
    );
}

#[test]
fn every_signing_command_reads_the_password_the_same_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    office(d, "p256");
    encrypt_signer_key(d, "right horse");
    let (cert, key, out) = (p(d, "signer.pem"), p(d, "signer-enc.key"), p(d, "never"));
    let signer = ["--cert", &cert, "--key", &key];
    let commands: [&[&str]; 4] = [
        &["pdf", "seal", "--in", &out, "--out", &out],
        &["ofd", "seal", "--in", &out, "--out", &out, "--seal", &out],
        &["tsa", "serve", "--listen", "127.0.0.1:0"],
        &[
            "licence",
            "trust-list",
            "--issuer",
            "吉林省",
            "--office",
            &out,
            "--seq",
            "1",
            "--out",
            &out,
        ],
    ];
    for command in commands {
        let args = [
            command,
            &signer,
            &["--password-env", "ESEAL_TEST_NO_SUCH_VARIABLE"],
        ]
        .concat();
        let run = eseal(&args);
        assert_eq!(code(&run), 64, "{command:?}: {}", stderr(&run));
        assert!(
            stderr(&run).contains(
                "--password-env ESEAL_TEST_NO_SUCH_VARIABLE: the environment variable is not set"
            ),
            "{command:?}: {}",
            stderr(&run)
        );
        let args = [
            command,
            &signer,
            &["--password", "x", "--password-env", "V"],
        ]
        .concat();
        let run = eseal(&args);
        assert_eq!(code(&run), 64, "{command:?}: {}", stderr(&run));
        assert!(
            stderr(&run)
                .contains("'--password <PASSWORD>' cannot be used with '--password-env <VAR>'"),
            "{command:?}: {}",
            stderr(&run)
        );
        assert!(!d.join("never").exists());
    }
}

/// `eseal speed` measures each of its pairs, every operation checked to succeed before it
/// is timed, and `--only` keeps the pairs whose name holds the text.
#[test]
fn speed_measures_every_pair() {
    let rows = |args: &[&str]| -> Vec<(String, String)> {
        let out = ok(&[&["speed", "--seconds", "0.01", "--json"][..], args].concat());
        let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        rows.iter()
            .map(|row| {
                for rate in ["ops_per_sec", "baseline_ops_per_sec", "time_ratio"] {
                    let value = row[rate].as_f64().unwrap();
                    assert!(value.is_finite() && value > 0.0, "{row}");
                }
                let text = |key: &str| row[key].as_str().unwrap().to_owned();
                (text("name"), text("baseline"))
            })
            .collect()
    };
    let names: Vec<String> = rows(&[]).into_iter().map(|(name, _)| name).collect();
    for pair in [
        "ECDSA P-256 verify",
        "Ed25519 verify",
        "SM2 verify",
        "SM2 verify, key not seen before",
        "chain validation, P-256, 3 certificates",
        "chain validation, SM2, 3 certificates",
        "SES signature verify (signer + seal, parsed)",
        "licence QR verify (ES256)",
        "licence QR verify (SM2)",
        "licence QR verify (Ed25519)",
        "licence QR verify (PS256)",
        "PDF verify, 20 MB, P-256",
        "PDF seal, 20 MB, P-256 (with input copy)",
        "OFD verify, 20 MB, SM2 seal (package read included)",
        "C ABI licence QR verify",
        "batch verify, licence QR, 2 threads",
        "batch verify, sealed PDF, 2 threads",
    ] {
        assert!(names.iter().any(|name| name == pair), "{pair} in {names:?}");
    }
    assert_eq!(
        rows(&["--only", "licence QR verify (SM2)"]),
        [(
            "licence QR verify (SM2)".to_owned(),
            "sm2 crate verify (Z_A precomputed)".to_owned()
        )]
    );
}
