#!/usr/bin/env bash
# Installs what the tests need beyond Rust: the openssl CLI (interop checks) and SoftHSM2
# (the PKCS#11 tests). Safe to run again; does nothing when both are present.
set -euo pipefail

need=()
command -v openssl >/dev/null || need+=(openssl)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
