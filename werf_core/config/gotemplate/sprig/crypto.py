"""Sprig's cryptographic functions: derivePassword (Master Password algorithm), AES-CBC encryptAES/decryptAES,
private keys and X.509 certificates. Keys and certificates use the `cryptography` package, loaded on first use."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
import os
import struct
from typing import Any

from werf_core.config.gotemplate.errors import GoError
from werf_core.config.gotemplate.funcs import gofunc
from werf_core.config.gotemplate.gostrconv import from_bytes, to_bytes
from werf_core.config.gotemplate.values import GoObject

_SEED = b"com.lyndir.masterpassword"
_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
             "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
             "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
             "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
             "CvccCvcvCvccno"],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}
_CHARS = {
    "V": "AEIOU", "C": "BCDFGHJKLMNPQRSTVWXYZ", "v": "aeiou", "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ", "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789", "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}


def derive_password(counter: int, password_type: str, password: str, user: str, site: str) -> str:
    templates = _TEMPLATES.get(password_type)
    if templates is None:
        return f"cannot find password template {password_type}"
    user_b, site_b = to_bytes(user), to_bytes(site)
    salt = _SEED + struct.pack(">I", len(user_b)) + user_b
    key = hashlib.scrypt(to_bytes(password), salt=salt, n=32768, r=8, p=2, dklen=64, maxmem=64 * 1024 * 1024)
    message = _SEED + struct.pack(">I", len(site_b)) + site_b + struct.pack(">I", counter & 0xFFFFFFFF)
    seed = hmac.new(key, message, hashlib.sha256).digest()
    template = templates[seed[0] % len(templates)]
    return "".join(_CHARS[c][seed[i + 1] % len(_CHARS[c])] for i, c in enumerate(template))


def _aes_key(password: str) -> bytes:
    return (to_bytes(password) + b"\0" * 32)[:32]


def encrypt_aes(password: str, plaintext: str) -> str:
    if plaintext == "":
        return ""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    content = to_bytes(plaintext)
    pad = 16 - len(content) % 16
    content += bytes([pad]) * pad
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(content) + enc.finalize()).decode("ascii")


def decrypt_aes(password: str, crypt64: str) -> str:
    if crypt64 == "":
        return ""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        crypt = base64.b64decode(to_bytes(crypt64), validate=True)
    except ValueError:
        raise GoError("illegal base64 data at input byte 0") from None
    if len(crypt) < 16:
        raise GoError("runtime error: slice bounds out of range [:16] with capacity " + str(len(crypt)))
    iv, body = crypt[:16], crypt[16:]
    if len(body) % 16:
        raise GoError("crypto/cipher: input not full blocks")
    if not body:
        raise GoError("runtime error: index out of range [-1]")
    dec = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).decryptor()
    plain = dec.update(body) + dec.finalize()
    cut = len(plain) - plain[-1]
    if cut < 0:
        raise GoError(f"runtime error: slice bounds out of range [:{cut}]")
    return from_bytes(plain[:cut])


class Certificate(GoObject):
    """Sprig's certificate struct: exported fields Cert and Key (PEM text)."""

    go_type = "sprig.certificate"
    go_kind = "struct"

    def __init__(self, cert: str, key: str):
        self.go_fields = {"Cert": cert, "Key": key}

    def go_string(self) -> str:
        return "{" + self.go_fields["Cert"] + " " + self.go_fields["Key"] + "}"

    def go_json(self) -> dict[str, Any]:
        return dict(self.go_fields)


def _pem_for_key(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        fmt = ser.PrivateFormat.TraditionalOpenSSL
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        fmt = ser.PrivateFormat.TraditionalOpenSSL
    else:
        fmt = ser.PrivateFormat.PKCS8
    pem: bytes = key.private_bytes(ser.Encoding.PEM, fmt, ser.NoEncryption())
    return pem.decode("ascii")


def gen_private_key(typ: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    key: rsa.RSAPrivateKey | dsa.DSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    if typ in ("", "rsa"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    elif typ == "dsa":
        key = dsa.generate_private_key(key_size=2048)
    elif typ == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    elif typ == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        return "Unknown type " + typ
    return _pem_for_key(key)


def _parse_key(pem: str) -> Any:
    from cryptography.hazmat.primitives import serialization as ser

    if "-----BEGIN" not in pem:
        raise GoError("no PEM data in input")
    try:
        return ser.load_pem_private_key(to_bytes(pem), password=None)
    except (ValueError, TypeError) as err:
        raise GoError(f"parsing private key: {err}") from None


def _names(ips: Any, dns: Any) -> list[Any]:
    from cryptography import x509

    names: list[Any] = []
    for ip in ips or []:
        if type(ip) is not str:
            raise GoError(f"error parsing ip: {ip} is not a string")
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise GoError(f"error parsing ip: {ip}") from None
    for name in dns or []:
        if type(name) is not str:
            raise GoError(f"error processing alternate dns name: {name} is not a string")
        names.append(x509.DNSName(name))
    return names


def _make_cert(cn: str, ips: Any, dns: Any, days: int, key: Any, issuer_cert: Any, issuer_key: Any,
               is_ca: bool) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
               .public_key(key.public_key())
               .serial_number(int.from_bytes(os.urandom(16), "big"))
               .not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=is_ca,
                                            crl_sign=False, encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                     ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    names = _names(ips, dns)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer_key if issuer_key is not None else key
    algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = builder.sign(signer, algorithm)
    return Certificate(cert.public_bytes(ser.Encoding.PEM).decode("ascii"), _pem_for_key(key))


def _rsa2048() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _load_ca(ca: Any) -> tuple[Any, Any]:
    from cryptography import x509

    if not isinstance(ca, Certificate):
        raise GoError("unable to decode certificate")
    try:
        cert = x509.load_pem_x509_certificate(to_bytes(ca.go_fields["Cert"]))
    except ValueError:
        raise GoError("unable to decode certificate") from None
    return cert, _parse_key(ca.go_fields["Key"])


def build_custom_cert(b64cert: str, b64key: str) -> Certificate:
    from cryptography import x509

    try:
        cert = from_bytes(base64.b64decode(to_bytes(b64cert), validate=True))
    except ValueError:
        raise GoError("unable to decode base64 certificate") from None
    try:
        key = from_bytes(base64.b64decode(to_bytes(b64key), validate=True))
    except ValueError:
        raise GoError("unable to decode base64 private key") from None
    try:
        x509.load_pem_x509_certificate(to_bytes(cert))
    except ValueError as err:
        raise GoError(f"error parsing certificate: decodedCert.Bytes: {err}") from None
    _parse_key(key)
    return Certificate(cert, key)


FUNCS = {
    "derivePassword": gofunc("uint32", "string", "string", "string", "string")(derive_password),
    "encryptAES": gofunc("string", "string")(encrypt_aes),
    "decryptAES": gofunc("string", "string")(decrypt_aes),
    "genPrivateKey": gofunc("string")(gen_private_key),
    "buildCustomCert": gofunc("string", "string")(build_custom_cert),
    "genCA": gofunc("string", "int")(lambda cn, days: _make_cert(cn, None, None, days, _rsa2048(), None, None,
                                                                 True)),
    "genCAWithKey": gofunc("string", "int", "string")(
        lambda cn, days, pem: _make_cert(cn, None, None, days, _parse_key(pem), None, None, True)),
    "genSelfSignedCert": gofunc("string", "list", "list", "int")(
        lambda cn, ips, dns, days: _make_cert(cn, ips, dns, days, _rsa2048(), None, None, False)),
    "genSelfSignedCertWithKey": gofunc("string", "list", "list", "int", "string")(
        lambda cn, ips, dns, days, pem: _make_cert(cn, ips, dns, days, _parse_key(pem), None, None, False)),
    "genSignedCert": gofunc("string", "list", "list", "int", "any")(
        lambda cn, ips, dns, days, ca: _make_cert(cn, ips, dns, days, _rsa2048(), *_load_ca(ca), False)),
    "genSignedCertWithKey": gofunc("string", "list", "list", "int", "any", "string")(
        lambda cn, ips, dns, days, ca, pem: _make_cert(cn, ips, dns, days, _parse_key(pem), *_load_ca(ca), False)),
}
