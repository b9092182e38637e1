#!/usr/bin/env python3
"""An independent COSE_Sign1 (RFC 9052) / CWT (RFC 8392) implementation for the licence
QR interop test (tests/licence_compact.rs), built on cbor2 and cryptography only.

  cose_interop.py verify TOKEN PUBKEY_PEM
      TOKEN is a QR string ("ZZ1:" + Base45(zlib(COSE))) or the COSE_Sign1 in hex.
      Verifies ES256 (-7, r||s), EdDSA (-8/-19) or PS256 (-37, salt 32) and prints
      "VERIFIED alg=<alg> kid=<hex>" then the claims as one line of JSON.
      Exit 1 and "BAD SIGNATURE" when the signature does not verify.

  cose_interop.py sign ALG
      ALG is es256 or eddsa. Makes a key and a self-signed certificate, signs a licence
      CWT the way LICENCE.md section 3 describes and prints JSON {"qr": ..., "cert": PEM}.
"""
import datetime
import hashlib
import json
import sys
import zlib

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data), 2):
        chunk = data[i : i + 2]
        if len(chunk) == 2:
            n = chunk[0] * 256 + chunk[1]
            out += [B45[n % 45], B45[n // 45 % 45], B45[n // 2025]]
        else:
            n = chunk[0]
            out += [B45[n % 45], B45[n // 45]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    out = bytearray()
    for i in range(0, len(text), 3):
        d = [B45.index(c) for c in text[i : i + 3]]
        if len(d) == 3:
            n = d[0] + d[1] * 45 + d[2] * 2025
            if n > 0xFFFF:
                raise ValueError("triplet above 65535")
            out += n.to_bytes(2, "big")
        elif len(d) == 2:
            n = d[0] + d[1] * 45
            if n > 0xFF:
                raise ValueError("pair above 255")
            out.append(n)
        else:
            raise ValueError("dangling character")
    return bytes(out)


def jsonable(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def verify(token: str, pem: str) -> int:
    if token.startswith("ZZ1:"):
        cose = zlib.decompress(b45decode(token[4:]))
    else:
        cose = bytes.fromhex(token)
    obj = cbor2.loads(cose)
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != 18:
            print(f"WRONG TAG {obj.tag}")
            return 2
        obj = obj.value
    protected, _unprotected, payload, signature = obj
    header = cbor2.loads(protected)
    alg, kid = header[1], header[4]
    tbs = sig_structure(protected, payload)
    key = serialization.load_pem_public_key(pem.encode())
    try:
        if alg == -7:
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            if len(signature) != 64:
                raise InvalidSignature()
            key.verify(encode_dss_signature(r, s), tbs, ec.ECDSA(hashes.SHA256()))
        elif alg in (-8, -19):
            key.verify(signature, tbs)
        elif alg == -37:
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            key.verify(signature, tbs, pss, hashes.SHA256())
        else:
            print(f"UNSUPPORTED alg {alg}")
            return 2
    except InvalidSignature:
        print("BAD SIGNATURE")
        return 1
    print(f"VERIFIED alg={alg} kid={kid.hex()}")
    print(json.dumps(jsonable(cbor2.loads(payload)), ensure_ascii=False, sort_keys=True))
    return 0


def sign(alg_name: str) -> int:
    if alg_name == "es256":
        key, alg = ec.generate_private_key(ec.SECP256R1()), -7
    elif alg_name == "eddsa":
        key, alg = ed25519.Ed25519PrivateKey.generate(), -8
    else:
        print(f"unknown alg {alg_name}")
        return 2
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "python interop office")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256() if alg == -7 else None)
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = hashlib.sha256(der).digest()[:8]
    claims = {
        1: "11220000013544541J",
        2: "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
        5: 1767196800,
        6: 1767231000,
        65535: {"status_list": {"idx": 4711, "uri": "https://zz.jl.gov.cn/sl/1"}},
        -70002: {
            "n": "营业执照",
            "h": "长春某某科技发展有限公司",
            "ht": "001",
            "hc": "91220101MA0000000X",
            "hh": bytes(range(16)),
            "s": {"fr": "张三", "zb": "壹仟万元整"},
            "rel": ["1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430598.001.U"],
        },
    }
    protected = cbor2.dumps({1: alg, 4: kid}, canonical=True)
    payload = cbor2.dumps(claims, canonical=True)
    tbs = sig_structure(protected, payload)
    if alg == -7:
        r, s = decode_dss_signature(key.sign(tbs, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(tbs)
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    qr = "ZZ1:" + b45encode(zlib.compress(cose, 9))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    print(json.dumps({"qr": qr, "cert": pem}))
    return 0


def main(argv) -> int:
    if len(argv) == 4 and argv[1] == "verify":
        return verify(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "sign":
        return sign(argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
