"""The local CA and server certificate for a broker's TLS listener."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509

from local_servers.certs import make_server_certs


def test_the_server_certificate_is_signed_by_the_ca_for_loopback(tmp_path: Path) -> None:
    certs = make_server_certs(tmp_path)
    ca = x509.load_pem_x509_certificate(certs.ca_file.read_bytes())
    cert = x509.load_pem_x509_certificate(certs.cert_file.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert certs.key_file.stat().st_mode & 0o077 == 0
