//! include/eseal.h is what cbindgen makes of src/ffi with cbindgen.toml: the test fails
//! when the committed header is out of date, and `ESEAL_BLESS=1` rewrites it.

use std::path::Path;

fn generated() -> String {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root.join("ffi"))
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn header_is_current() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("include/eseal.h");
    let fresh = generated();
    if std::env::var_os("ESEAL_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write include/eseal.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/eseal.h is out of date with src/ffi: regenerate it with \
         `ESEAL_BLESS=1 cargo test --test c_header` and commit it"
    );
}

#[test]
fn header_declares_the_abi() {
    let header = generated();
    for name in [
        "typedef enum eseal_status {",
        "ESEAL_NULL_PARAMETER = 1,",
        "ESEAL_PANIC = 99,",
        "typedef enum eseal_indication {",
        "ESEAL_NOTHING_SIGNED = 3,",
        "typedef struct eseal_trust_store eseal_trust_store;",
        "typedef struct eseal_report eseal_report;",
        "typedef struct eseal_signer eseal_signer;",
        "typedef struct eseal_bytes eseal_bytes;",
        "typedef struct eseal_office eseal_office;",
        "#define ESEAL_NOW INT64_MIN",
        "const char *eseal_version(void);",
        "enum eseal_status eseal_verify(const struct eseal_trust_store *store,",
        "void eseal_office_free(struct eseal_office *office);",
    ] {
        assert!(header.contains(name), "{name:?} missing from the header");
    }
    assert!(
        !header.contains("guard_panic_for_tests") && !header.contains("LicenceStoreHandle"),
        "Rust-only items leaked into the header"
    );
}
