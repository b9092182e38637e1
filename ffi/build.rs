//! Gives the shared library its SONAME, `libeseal.so.MAJOR` (`libeseal.so.0.MINOR` before
//! 1.0, `libeseal.so.0.0.PATCH` before 0.1: cargo-c's rule), from the package version. The
//! version's major part (its minor part before 1.0) changes with any incompatible change of
//! the C ABI, so a program linked with one SONAME never loads a library it cannot call; the
//! Makefile installs `libeseal.so.MAJOR.MINOR.PATCH` with the SONAME as a link to it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        return;
    }
    let version = |var: &str| -> u64 {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{var} is not a number"))
    };
    let (major, minor, patch) = (
        version("CARGO_PKG_VERSION_MAJOR"),
        version("CARGO_PKG_VERSION_MINOR"),
        version("CARGO_PKG_VERSION_PATCH"),
    );
    let soversion = match (major, minor) {
        (0, 0) => format!("0.0.{patch}"),
        (0, minor) => format!("0.{minor}"),
        (major, _) => major.to_string(),
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libeseal.so.{soversion}");
}
