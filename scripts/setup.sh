#!/usr/bin/env bash
# Installs what the tests need beyond Rust: the openssl CLI (interop checks), SoftHSM2
# (the PKCS#11 tests) and a CJK font (the seal picture).
# Safe to run again; does nothing when all are present.
set -euo pipefail

need=()
command -v openssl >/dev/null || need+=(openssl)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
