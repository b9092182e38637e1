#!/usr/bin/env bash
# Installs what the tests need beyond Rust: the openssl CLI and libssl-dev (interop checks), gcc, make,
# pkg-config and valgrind (the C ABI tests), a JDK with JNA and Go (the bindings' test),
# PostgreSQL (the registry's second backend),
# SoftHSM2 (the PKCS#11 tests), CJK fonts (the seal picture, the licence PDF), Chromium with
# its WebDriver (the web page's browser test) and the PDF interop harness (pyHanko, poppler's
# pdfsig, qpdf) from ../shared/interop.
# Safe to run again; does nothing when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v openssl >/dev/null || need+=(openssl)
# The C ABI tests (tests/c_abi.rs): a C compiler with the sanitizers, make, pkg-config, valgrind.
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
# OpenSSL's SM2 driven from C (tests/c/sm2_openssl.c, tests/sm2_verify.rs).
[ -e /usr/include/openssl/evp.h ] || need+=(libssl-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v valgrind >/dev/null || need+=(valgrind)
# The bindings' test (tests/bindings.rs): a JDK with JNA (bindings/java), Go with cgo (bindings/go).
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
[ -e /usr/share/java/jna.jar ] || need+=(libjna-java)
command -v go >/dev/null || need+=(golang-go)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ -e /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need+=(fonts-droid-fallback)
# The registry's PostgreSQL tests and benchmark (tests/common/postgres.rs start a server of
# their own with initdb and pg_ctl, as the unprivileged user postgres when run as root).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The web page's browser test (cli/tests/serve_browser.rs): headless Chromium and chromedriver.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The harness installs itself into ~/.cache/eseal-interop once (apt + a Python venv).
../shared/interop/install.sh >/tmp/eseal-interop-install.log 2>&1 \
  || { tail -n 30 /tmp/eseal-interop-install.log; exit 1; }
