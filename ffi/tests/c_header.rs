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

/// A function of the header: its comment, return type, name and parameters.
struct Function {
    comment: String,
    returns: String,
    name: String,
    params: Vec<String>,
}

/// Every function the header declares, with the comment just before it.
fn functions(header: &str) -> Vec<Function> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(start) = rest.find("/**") {
        let end = start + rest[start..].find("*/").expect("a closed comment");
        let comment: String = rest[start + 3..end]
            .lines()
            .map(|l| l.trim().trim_start_matches('*').trim())
            .collect::<Vec<_>>()
            .join("\n");
        rest = &rest[end + 2..];
        let decl_end = rest
            .find([';', '{'])
            .expect("a declaration after the comment");
        let decl = rest[..decl_end].trim();
        let Some(open) = decl.find('(') else {
            continue; // a type
        };
        if ["/*", "typedef", "}", "#", "="]
            .iter()
            .any(|t| decl.contains(t))
        {
            continue; // an enum value, a type or a macro
        }
        let head = decl[..open].trim();
        let name_at = head.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        let name_at = name_at.map_or(0, |i| i + 1);
        let params = decl[open + 1..decl.rfind(')').expect("a closed list")]
            .split(',')
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| p != "void")
            .collect();
        out.push(Function {
            comment,
            returns: head[..name_at].trim().to_owned(),
            name: head[name_at..].to_owned(),
            params,
        });
    }
    out
}

/// The names of the `eseal_status` values the header declares.
fn status_names(header: &str) -> Vec<String> {
    let start = header
        .find("typedef enum eseal_status {")
        .expect("eseal_status");
    let end = start + header[start..].find('}').expect("its end");
    header[start..end]
        .lines()
        .filter_map(|l| l.trim().split_once(" = ").map(|(name, _)| name.to_owned()))
        .collect()
}

/// The header speaks C: no Rust doc links (`[`x`]`, `[x](...)`, paths such as `super::`).
#[test]
fn header_comments_have_no_rust_links() {
    let header = generated();
    for rust in ["[`", "](", "[eseal_", "super::", "crate::", "Self"] {
        let found: Vec<&str> = header.lines().filter(|l| l.contains(rust)).collect();
        assert!(found.is_empty(), "{rust:?} in the header: {found:#?}");
    }
}

/// Every function's comment names the statuses it can return, after "Statuses:" (a NULL
/// pointer parameter and a dead handle among them where the signature allows them), and
/// for each object it returns through an out-pointer, the function that frees it.
#[test]
fn header_comments_name_statuses_and_how_to_free() {
    let header = generated();
    let statuses = status_names(&header);
    assert!(statuses.len() >= 11, "{statuses:?}");
    let functions = functions(&header);
    // As many as the lines that open a declaration of a function.
    let declared = header
        .lines()
        .filter(|l| !l.starts_with([' ', '*', '/', '#']) && l.contains("eseal_") && l.contains('('))
        .count();
    assert_eq!(functions.len(), declared);
    for f in &functions {
        let Function { comment, name, .. } = f;
        assert!(comment.len() > 20, "{name} has no comment");
        if f.returns == "enum eseal_status" {
            let listed = comment
                .split_once("Statuses:")
                .unwrap_or_else(|| panic!("{name}: no \"Statuses:\" in {comment}"))
                .1
                .split("\n\n")
                .next()
                .unwrap_or_default();
            let named: Vec<&str> = listed
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("ESEAL_"))
                .collect();
            for status in &named {
                assert!(statuses.iter().any(|s| s == status), "{name}: {status}?");
            }
            let has = |s: &str| named.contains(&s);
            assert!(has("ESEAL_OK") && has("ESEAL_PANIC"), "{name}: {listed}");
            if f.params.iter().any(|p| p.contains('*')) {
                assert!(has("ESEAL_NULL_PARAMETER"), "{name}: {listed}");
            }
            let takes_handle = f.params.iter().any(|p| {
                p.contains("struct eseal_") && p.matches('*').count() == 1 && !p.contains("**")
            });
            if takes_handle {
                assert!(has("ESEAL_INVALID_HANDLE"), "{name}: {listed}");
            }
        } else {
            assert!(!comment.contains("Statuses:"), "{name} returns no status");
        }
        for p in &f.params {
            let free = if let Some(kind) = p.strip_prefix("struct ") {
                match kind.split_once(" **") {
                    Some((kind, _)) => format!("{kind}_free"),
                    None => continue,
                }
            } else if p.starts_with("char **") {
                "eseal_string_free".to_owned()
            } else {
                continue;
            };
            assert!(
                comment.contains(&free),
                "{name}: the comment does not say {p} is freed with {free}"
            );
        }
    }
    assert!(functions.iter().any(|f| f.name == "eseal_trust_store_ref"));
}
