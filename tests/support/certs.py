"""Certificates made at test time (``cryptography``): a private CA and the server certificates it
issues, or a self-signed one, for any host names. Nothing is stored in the repository.

    ca = TestCA.create(tmp_path)                      # ca.cert_file: the PEM bundle a source's tls_ca names
    cert, key = ca.issue(tmp_path, "localhost")       # trusted with tls_ca, for https://localhost:...
    cert, key = ca.issue(tmp_path, "other.example")   # trusted CA, wrong host name
    cert, key = self_signed(tmp_path, "localhost")    # nobody vouches for it
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALIDITY = timedelta(days=2)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _alt_names(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _write(directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _leaf(subject_key: ec.EllipticCurvePrivateKey, hosts: tuple[str, ...], issuer: x509.Name,
          issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    now = datetime.now(UTC)
    return (x509.CertificateBuilder()
            .subject_name(_name(hosts[0])).issuer_name(issuer)
            .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + VALIDITY)
            .add_extension(_alt_names(hosts), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(issuer_key, hashes.SHA256()))


@dataclass
class TestCA:
    """A private certificate authority; ``cert_file`` is its PEM certificate (a CA bundle)."""

    __test__ = False  # not a pytest class

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    cert_file: Path

    @classmethod
    def create(cls, directory: Path, name: str = "casewatch test CA") -> TestCA:
        key = _key()
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(_name(name)).issuer_name(_name(name))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + VALIDITY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        cert_file, _ = _write(directory, "ca", cert, key)
        return cls(key, cert, cert_file)

    def issue(self, directory: Path, *hosts: str) -> tuple[Path, Path]:
        """A server certificate for ``hosts`` signed by this CA: (cert file, key file)."""
        key = _key()
        return _write(directory, f"server-{hosts[0]}", _leaf(key, hosts, self.cert.subject, self.key), key)


def self_signed(directory: Path, *hosts: str) -> tuple[Path, Path]:
    """A server certificate for ``hosts`` that signs itself: (cert file, key file)."""
    key = _key()
    return _write(directory, f"self-signed-{hosts[0]}", _leaf(key, hosts, _name(hosts[0]), key), key)
