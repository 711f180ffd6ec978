"""TLS to CCEE for real: our emulator behind a TLS socket that demands a client certificate, a
test CA made with the openssl command, the client verifying the server against
SMF_CCEE_CA_BUNDLE and presenting SMF_CCEE_CERT / SMF_CCEE_KEY (a cert and key in two files or
in one). Without the client certificate there is no connection; without the CA bundle the
server (signed by our test CA, not a public one) is not trusted."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ccee import emulator
from ccee.client import CceeClient
from ccee.errors import AuthError
from db.settings import CceeSettings, Secret

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(d: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    _openssl(d, "req", "-x509", *EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=smf-test-ca")  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, cn, ext in (("srv", "127.0.0.1", ["-extfile", "san.ext"]), ("cli", "smf", [])):
        _openssl(d, "req", *EC, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj",
                 f"/CN={cn}")  # fmt: skip
        _openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", *ext)  # fmt: skip
    (d / "cli-both.pem").write_text((d / "cli.pem").read_text() + (d / "cli.key").read_text())
    return d


@pytest.fixture
def tls_emu(pki: Path) -> Iterator[str]:
    state = emulator.State(clients={"smf-test": "s3cr3t"})
    server = emulator.Server("127.0.0.1", 0, state)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "srv.pem", pki / "srv.key")
    ctx.load_verify_locations(pki / "ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED  # mTLS: no client certificate, no connection
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    running = emulator.Running(server, thread)
    yield f"https://127.0.0.1:{server.server_address[1]}"
    running.stop()


def _settings(url: str, pki: Path, **over: object) -> CceeSettings:
    base = replace(
        CceeSettings(),
        base_url=url,
        client_id="smf-test",
        client_secret=Secret("s3cr3t"),
        agent_code="7391",
        profile_code="42",
        timeout_s=5.0,
        retries=0,
        rate_per_s=0,
        ca_bundle=str(pki / "ca.pem"),
        cert=str(pki / "cli.pem"),
        key=str(pki / "cli.key"),
    )
    return replace(base, **over)


def test_mtls_with_cert_and_key(tls_emu: str, pki: Path) -> None:
    with CceeClient(_settings(tls_emu, pki)) as c:
        assert len(c.token()) == 32 and c.token_refreshes == 1


def test_mtls_with_one_file_holding_cert_and_key(tls_emu: str, pki: Path) -> None:
    with CceeClient(_settings(tls_emu, pki, cert=str(pki / "cli-both.pem"), key=None)) as c:
        assert c.token_refreshes == 0
        c.token()
        assert c.token_refreshes == 1


def test_no_client_certificate_no_connection(tls_emu: str, pki: Path) -> None:
    with (
        CceeClient(_settings(tls_emu, pki, cert=None, key=None)) as c,
        pytest.raises(AuthError) as err,
    ):
        c.token()
    assert err.value.status == 0 and str(err.value).endswith(": no answer")


def test_server_verified_against_the_ca_bundle(tls_emu: str, pki: Path) -> None:
    # Without our CA bundle the system CAs are used: our test CA is not among them.
    with CceeClient(_settings(tls_emu, pki, ca_bundle=None)) as c, pytest.raises(AuthError) as err:
        c.token()
    assert err.value.status == 0 and "ConnectError" in str(err.value)
