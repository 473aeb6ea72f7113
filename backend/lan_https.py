"""HTTPS for trying the app on a phone on the same network (`HTTPS=1 HOST=0.0.0.0 make run`).

A phone's browser only gives a page a service worker, the camera and the GPS over HTTPS (or on
localhost). For a trial on the LAN this makes a small certificate authority of this machine's own
(kept in `instance/tls/`, so the phone trusts it once) and a server certificate for this
machine's addresses, with trustme (a well-kept library that does exactly this with
`cryptography`). The phone installs `ca.crt` once, from `/lan-ca.crt`. Not for production:
there, a real certificate on the proxy (docs/production.md).
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

# Apple's devices refuse server certificates valid for longer (the CA itself may live longer).
SERVER_CERT_DAYS = 800


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback: the one with the default route first."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # a documentation address: no packet is sent
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    out = []
    for addr in found:
        if not ipaddress.ip_address(addr).is_loopback and addr not in out:
            out.append(addr)
    return out


def _load_or_make_ca(folder: Path) -> trustme.CA:
    cert, key = folder / "ca.pem", folder / "ca-key.pem"
    if cert.is_file() and key.is_file():
        return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
    ca = trustme.CA(organization_name="Field Sales LAN trial")
    ca.cert_pem.write_to_path(str(cert))
    ca.private_key_pem.write_to_path(str(key))
    key.chmod(0o600)
    return ca


def make_certificates(folder: Path, names: list[str]) -> dict[str, Path]:
    """Keep (or make) the CA in `folder` and issue a server certificate for `names` (IP addresses
    or host names). Returns the paths: ca (PEM), ca_der (for phones), cert, key."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = _load_or_make_ca(folder)
    leaf = ca.issue_cert(*names, not_after=datetime.now(UTC) + timedelta(days=SERVER_CERT_DAYS))
    paths = {
        "ca": folder / "ca.pem",
        "ca_der": folder / "ca.crt",
        "cert": folder / "server.pem",
        "key": folder / "server-key.pem",
    }
    leaf.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    for extra in leaf.cert_chain_pems[1:]:
        extra.write_to_path(str(paths["cert"]), append=True)
    leaf.private_key_pem.write_to_path(str(paths["key"]))
    paths["key"].chmod(0o600)
    der = x509.load_pem_x509_certificate(ca.cert_pem.bytes()).public_bytes(Encoding.DER)
    paths["ca_der"].write_bytes(der)
    return paths
