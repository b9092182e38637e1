//! The x509-limbo core testcases (C2SP/x509-limbo, ../shared/vectors/limbo) through
//! eseal's path validation, in the strict and the default profile.
//!
//! The outcome of every testcase is committed in test-vectors/limbo/results.tsv; this test
//! recomputes it and fails on any difference (`ESEAL_WRITE_LIMBO=1` rewrites the file).

use std::collections::BTreeMap;
use std::time::SystemTime;

use eseal::pki::{Certificate, Crl, Policy, TrustStore, Usage, parse_rfc3339};
use eseal::report::Reason;
use serde_json::Value;

const SUITE: &str = "../shared/vectors/limbo/limbo-core.json";
const RESULTS: &str = "test-vectors/limbo/results.tsv";

/// Valid chains the strict profile rejects. Each has a twin in the suite of the same
/// shape that expects the rejection, so one of the two must go against the suite; eseal
/// takes the side that accepts no invalid chain.
const STRICT_REJECTS_VALID: &[&str] = &[
    // A trust anchor that is not self-issued and has no authorityKeyIdentifier (RFC 5280
    // clause 4.2.1.1); the twin rfc5280::aki::cross-signed-root-missing-aki expects the
    // rejection.
    "cve::cve-2024-0567",
    // RFC 5280 clause 4.2.1.10: name constraints MUST be critical; the twin
    // rfc5280::nc::permitted-dns-match-noncritical expects the rejection (the default
    // profile warns instead).
    "webpki::nc::permitted-dns-match-noncritical",
];

/// Host-name testcases whose SAN is not a well-formed dNSName (RFC 5280 clause 4.2.1.6
/// and 7.2): they fail for the name itself, whatever peer name is asked for, so they count.
const MALFORMED_SAN: &[&str] = &[
    "webpki::san::unicode-emoji-san",
    "webpki::san::wildcard-embedded-leftmost-san",
    "webpki::san::wildcard-not-in-leftmost-san",
    "webpki::san::wildcard-embedded-ulabel-san",
    "webpki::san::san-wildcard-only",
    "webpki::san::san-wildcard-only-tld",
];

/// Testcases that fail only because the end entity is a CA certificate, which CA/B Forum
/// Baseline Requirements 7.1.2.7.8 and 7.1.2.7.11 forbid in a TLS subscriber certificate
/// and RFC 5280 does not (rfc5280::ca-as-leaf expects success). eseal refuses a CA leaf
/// for every role in its usage check (USAGE_NOT_ALLOWED, tests/roles.rs), not in the path.
const SUBSCRIBER_CA_LEAF: &[&str] = &["webpki::ca-as-leaf", "webpki::ee-basicconstraints-ca"];

/// Testcases outside the webpki::san and webpki::cn groups whose only fault is a SAN other
/// than the peer name asked for.
const PEER_NAME_MISMATCH: &[&str] = &["rfc5280::ca-as-leaf-wrong-san"];

/// Why a testcase does not count for an e-seal verifier, if it does not.
fn skipped(case: &Value) -> Option<&'static str> {
    let id = case["id"].as_str().unwrap_or_default();
    if SUBSCRIBER_CA_LEAF.contains(&id) {
        return Some("CA/B Forum subscriber rules (cA FALSE in the end entity)");
    }
    let features: Vec<&str> = case["features"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if id.starts_with("online::") {
        return Some(
            "live TLS server chains without a validation time: host-name checks, expired now",
        );
    }
    if id.starts_with("webpki::cn::")
        || (id.starts_with("webpki::san::") && !MALFORMED_SAN.contains(&id))
        || PEER_NAME_MISMATCH.contains(&id)
    {
        return Some("TLS host-name matching (peer name against SAN and CN)");
    }
    if features.contains(&"pedantic-webpki-eku") {
        return Some("CA/B Forum serverAuth EKU rules");
    }
    if features
        .iter()
        .any(|f| *f == "pedantic-webpki-subscriber-key" || *f == "pedantic-public-suffix-wildcard")
    {
        return Some("CA/B Forum subscriber key and public-suffix rules");
    }
    let ekus = case["extended_key_usage"].as_array();
    if ekus.is_some_and(|e| e.iter().any(|u| u == "serverAuth")) {
        return Some("the TLS serverAuth extended key usage");
    }
    None
}

/// The outcome of one testcase in one profile: SUCCESS, or FAILURE with the reason.
fn run(case: &Value, policy: Policy) -> (bool, String) {
    let mut store = TrustStore::new();
    let mut policy = policy;
    if let Some(depth) = case["max_chain_depth"].as_u64() {
        policy = policy.with_max_intermediates(depth as usize);
    }
    store.set_policy(policy);
    for pem in pems(&case["trusted_certs"]) {
        if let Ok(cert) = Certificate::from_der(&pem) {
            store.add_anchor(cert).unwrap();
        }
    }
    for pem in pems(&case["untrusted_intermediates"]) {
        if let Ok(cert) = Certificate::from_der(&pem) {
            store.add_intermediate(cert);
        }
    }
    for pem in pems(&case["crls"]) {
        match Crl::from_der(&pem) {
            Ok(crl) => store.add_crl(crl),
            Err(e) => return (false, format!("MALFORMED {e}")),
        }
    }
    let peer = pems(&case["peer_certificate"])
        .pop()
        .expect("a peer certificate");
    let leaf = match Certificate::from_der(&peer) {
        Ok(leaf) => leaf,
        Err(e) => return (false, format!("MALFORMED {e}")),
    };
    let at = case["validation_time"]
        .as_str()
        .map(|t| parse_rfc3339(t).unwrap())
        .unwrap_or_else(SystemTime::now);
    let validation = store.validate(&leaf, &[], at, Usage::Any);
    if let Some(reason) = validation.reasons.first() {
        return (false, describe(reason));
    }
    if let Some(flaw) = leaf_usage_flaw(case, &leaf) {
        return (false, flaw);
    }
    (true, String::new())
}

fn describe(reason: &Reason) -> String {
    format!("{} {reason}", reason.code())
}

/// The key usage and extended key usage the testcase asks of the leaf.
fn leaf_usage_flaw(case: &Value, leaf: &Certificate) -> Option<String> {
    let wanted: Vec<&str> = case["key_usage"]
        .as_array()
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(ku) = leaf.key_usage() {
        for bit in wanted {
            let set = match bit {
                "digitalSignature" => ku.digital_signature,
                "keyEncipherment" => ku.key_encipherment,
                _ => false,
            };
            if !set {
                return Some(format!("USAGE_NOT_ALLOWED keyUsage lacks {bit}"));
            }
        }
    }
    let ekus = case["extended_key_usage"].as_array()?;
    let (_, oids) = leaf.ext_key_usage()?;
    for eku in ekus.iter().filter_map(Value::as_str) {
        let oid = match eku {
            "clientAuth" => "1.3.6.1.5.5.7.3.2",
            "serverAuth" => "1.3.6.1.5.5.7.3.1",
            other => other,
        };
        if !oids.iter().any(|o| o == oid || o == "2.5.29.37.0") {
            return Some(format!("USAGE_NOT_ALLOWED extKeyUsage lacks {eku}"));
        }
    }
    None
}

fn pems(value: &Value) -> Vec<Vec<u8>> {
    let texts: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    texts
        .iter()
        .flat_map(|t| pem::parse_many(t.as_bytes()).unwrap_or_default())
        .map(|p| p.contents().to_vec())
        .collect()
}

fn verdict(success: bool) -> &'static str {
    if success { "SUCCESS" } else { "FAILURE" }
}

#[test]
fn limbo_core_suite() {
    let suite: Value = serde_json::from_slice(&std::fs::read(SUITE).expect(SUITE)).unwrap();
    let cases = suite["testcases"].as_array().unwrap();
    assert_eq!(cases.len(), 208);
    let mut table = String::from("id\texpected\tstrict\tdefault\treason (strict, else default)\n");
    let mut counted = 0;
    let mut accepted_invalid = Vec::new();
    let mut rejected_valid = Vec::new();
    let mut default_differs = BTreeMap::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let expected = case["expected_result"].as_str().unwrap() == "SUCCESS";
        if let Some(why) = skipped(case) {
            table.push_str(&format!(
                "{id}\t{}\tskipped\tskipped\t{why}\n",
                verdict(expected)
            ));
            continue;
        }
        counted += 1;
        let (strict, strict_reason) = run(case, Policy::strict());
        let (default, default_reason) = run(case, Policy::default());
        if strict && !expected {
            accepted_invalid.push(id);
        }
        if !strict && expected {
            rejected_valid.push(id);
        }
        if strict != default {
            default_differs.insert(id, default_reason.clone());
        }
        let reason = if strict_reason.is_empty() {
            default_reason
        } else {
            strict_reason
        };
        table.push_str(&format!(
            "{id}\t{}\t{}\t{}\t{}\n",
            verdict(expected),
            verdict(strict),
            verdict(default),
            reason.replace(['\t', '\n'], " ")
        ));
    }
    if std::env::var_os("ESEAL_WRITE_LIMBO").is_some() {
        std::fs::write(RESULTS, &table).unwrap();
    }
    assert_eq!(counted, 160, "testcases that count");
    assert_eq!(
        accepted_invalid,
        Vec::<&str>::new(),
        "invalid chains accepted (strict)"
    );
    assert_eq!(
        rejected_valid, STRICT_REJECTS_VALID,
        "valid chains rejected (strict)"
    );
    let committed = std::fs::read_to_string(RESULTS).unwrap_or_default();
    assert!(
        committed == table,
        "{RESULTS} is not current (ESEAL_WRITE_LIMBO=1 rewrites it); default profile differs on {default_differs:?}"
    );
}
