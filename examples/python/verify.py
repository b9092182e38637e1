#!/usr/bin/env python3
"""Verify sealed documents and licence QR strings with eseal's C ABI through ctypes.

    ESEAL_LIB=target/release/libeseal.so python3 verify.py \\
        --trust root.pem --trust-list trust-list.cwt --status-list status-list.cwt \\
        licence.pdf licence.qr.txt

Each TARGET is a file (PDF, OFD, seal, certificate, or a text file holding a licence QR
string) or a QR string itself ("ZZ1:..."). The library is loaded from --lib, else from the
ESEAL_LIB environment variable, else found by the system loader. Prints one verdict per
target and exits 0 only when every target is TOTAL-PASSED.
"""

import argparse
import ctypes
import ctypes.util
import os
import sys

ESEAL_OK = 0
ESEAL_NOW = -(2**63)
INDICATIONS = {0: "TOTAL-PASSED", 1: "INDETERMINATE", 2: "TOTAL-FAILED", 3: "NOTHING-SIGNED"}


class EsealError(Exception):
    """A call that did not return ESEAL_OK, with the library's message."""


class Eseal:
    """The few functions of include/eseal.h this example needs, with their C types."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        store_pp = ctypes.POINTER(ctypes.c_void_p)
        buf = ctypes.c_char_p
        signatures = {
            "eseal_version": ([], ctypes.c_char_p),
            "eseal_last_error_message": ([], ctypes.c_char_p),
            "eseal_status_name": ([ctypes.c_int], ctypes.c_char_p),
            "eseal_trust_store_new": ([store_pp], ctypes.c_int),
            "eseal_trust_store_free": ([ctypes.c_void_p], None),
            "eseal_trust_store_add_anchors": ([ctypes.c_void_p, buf, ctypes.c_size_t], ctypes.c_int),
            "eseal_trust_store_add_intermediates": (
                [ctypes.c_void_p, buf, ctypes.c_size_t],
                ctypes.c_int,
            ),
            "eseal_trust_store_add_crl": ([ctypes.c_void_p, buf, ctypes.c_size_t], ctypes.c_int),
            "eseal_trust_store_add_trust_list": (
                [ctypes.c_void_p, buf, ctypes.c_size_t, ctypes.c_int64],
                ctypes.c_int,
            ),
            "eseal_trust_store_add_status_list": (
                [ctypes.c_void_p, buf, ctypes.c_size_t],
                ctypes.c_int,
            ),
            "eseal_verify": (
                [ctypes.c_void_p, buf, ctypes.c_size_t, ctypes.c_int64, store_pp],
                ctypes.c_int,
            ),
            "eseal_report_indication": ([ctypes.c_void_p], ctypes.c_int),
            "eseal_report_signature_count": ([ctypes.c_void_p], ctypes.c_size_t),
            "eseal_report_signature_indication": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_int),
            "eseal_report_sub_indication": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_char_p),
            "eseal_report_first_reason": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_char_p),
            "eseal_report_signer": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_char_p),
            "eseal_report_seal_name": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_char_p),
            "eseal_report_signing_time": ([ctypes.c_void_p, ctypes.c_size_t], ctypes.c_char_p),
            "eseal_report_free": ([ctypes.c_void_p], None),
        }
        for name, (argtypes, restype) in signatures.items():
            function = getattr(lib, name)
            function.argtypes = argtypes
            function.restype = restype
            setattr(self, name[len("eseal_") :], function)

    def check(self, status, what):
        if status != ESEAL_OK:
            name = self.status_name(status).decode()
            message = self.last_error_message()
            raise EsealError(f"{what}: {name}: {message.decode() if message else ''}")


def text(value):
    return value.decode() if value is not None else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lib", default=os.environ.get("ESEAL_LIB"), help="path of libeseal.so")
    for option in ("trust", "chain", "crl", "trust-list", "status-list"):
        parser.add_argument(f"--{option}", action="append", default=[], metavar="FILE")
    parser.add_argument("--at", type=int, default=ESEAL_NOW, help="Unix seconds (default: now)")
    parser.add_argument("targets", nargs="+", metavar="TARGET")
    args = parser.parse_args()

    path = args.lib or ctypes.util.find_library("eseal")
    if path is None:
        parser.error("libeseal not found: give --lib or set ESEAL_LIB")
    eseal = Eseal(path)
    print(f"eseal {eseal.version().decode()} from {path}")

    store = ctypes.c_void_p()
    eseal.check(eseal.trust_store_new(ctypes.byref(store)), "trust store")
    worst = 0
    try:
        # Certificates and CRLs before trust lists: a trust list is checked against the anchors.
        adders = [
            (args.trust, eseal.trust_store_add_anchors),
            (args.chain, eseal.trust_store_add_intermediates),
            (args.crl, eseal.trust_store_add_crl),
            (args.trust_list, lambda s, d, n: eseal.trust_store_add_trust_list(s, d, n, args.at)),
            (args.status_list, eseal.trust_store_add_status_list),
        ]
        for files, add in adders:
            for name in files:
                with open(name, "rb") as f:
                    data = f.read()
                eseal.check(add(store, data, len(data)), name)

        for target in args.targets:
            if target.startswith("ZZ1:"):
                data = target.encode()
            else:
                with open(target, "rb") as f:
                    data = f.read()
                if data.startswith(b"ZZ1:"):
                    data = data.strip()
            report = ctypes.c_void_p()
            eseal.check(
                eseal.verify(store, data, len(data), args.at, ctypes.byref(report)),
                target[:40],
            )
            try:
                indication = eseal.report_indication(report)
                label = target if len(target) <= 40 else target[:37] + "..."
                print(f"{label}: {INDICATIONS.get(indication, indication)}")
                for i in range(eseal.report_signature_count(report)):
                    sub = eseal.report_sub_indication(report, i)
                    verdict = INDICATIONS.get(eseal.report_signature_indication(report, i))
                    if sub is not None:
                        verdict += f" / {text(sub)} ({text(eseal.report_first_reason(report, i))})"
                    print(f"  [{i + 1}] {verdict}")
                    print(f"      signer: {text(eseal.report_signer(report, i))}")
                    print(f"      seal: {text(eseal.report_seal_name(report, i))}")
                    print(f"      signing time: {text(eseal.report_signing_time(report, i))}")
                worst = max(worst, indication)
            finally:
                eseal.report_free(report)
    except (EsealError, OSError) as error:
        print(f"verify.py: {error}", file=sys.stderr)
        return 65
    finally:
        eseal.trust_store_free(store)
    return worst


if __name__ == "__main__":
    sys.exit(main())
