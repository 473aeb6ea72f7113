"""`flask lan-cert` and HTTPS on the LAN: a CA of this machine's own that a phone installs once,
a server certificate for the machine's addresses that a client trusting that CA accepts, and the
CA served at /lan-ca.crt."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

from cryptography import x509

from backend.config import INSTANCE
from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lan_cert_makes_a_ca_and_a_server_certificate_it_keeps_the_ca(app):
    folder = INSTANCE / "tls-cli"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lan-cert", "--dir", str(folder), "--port", "5443"])
    assert result.exit_code == 0, result.output
    assert "Certificates in" in result.output
    ca_first = (folder / "ca.pem").read_bytes()
    cert = x509.load_pem_x509_certificate((folder / "server.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    assert (cert.not_valid_after_utc - datetime.now(UTC)).days <= 825  # what Apple's devices accept
    assert x509.load_der_x509_certificate((folder / "ca.crt").read_bytes()).subject == cert.issuer
    # A second run issues a new server certificate under the same CA: the phone trusts it already.
    assert runner.invoke(args=["lan-cert", "--dir", str(folder)]).exit_code == 0
    assert (folder / "ca.pem").read_bytes() == ca_first


def test_the_dev_server_over_https_is_trusted_through_the_ca(app):
    folder = INSTANCE / "tls"
    assert app.test_cli_runner().invoke(args=["lan-cert"]).exit_code == 0
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)]
        + ["--cert", str(folder / "server.pem"), "--key", str(folder / "server-key.pem")],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        trusting = ssl.create_default_context(cafile=str(folder / "ca.pem"))
        deadline, body = time.monotonic() + 30, None
        while body is None:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/lan-ca.crt", context=trusting, timeout=5) as r:
                    body = r.read()
            except (ConnectionError, urllib.error.URLError) as exc:
                if isinstance(getattr(exc, "reason", None), ssl.SSLCertVerificationError):
                    raise
                assert time.monotonic() < deadline, "the HTTPS dev server did not come up"
                time.sleep(0.3)
        assert body == (folder / "ca.crt").read_bytes()
        # Without the CA, the same server is not trusted: the phone must install it first.
        try:
            urllib.request.urlopen(f"https://127.0.0.1:{port}/lan-ca.crt", context=ssl.create_default_context())
            raise AssertionError("an unknown CA was trusted")
        except urllib.error.URLError as exc:
            assert isinstance(exc.reason, ssl.SSLCertVerificationError)
    finally:
        proc.terminate()
        proc.wait(10)


def test_no_lan_ca_is_a_404(client, tmp_path, monkeypatch):
    monkeypatch.setattr("backend.config.INSTANCE", tmp_path)
    assert client.get("/lan-ca.crt").status_code == 404
