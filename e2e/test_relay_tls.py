"""The outbound relay over STARTTLS checks the relay's certificate: a relay with a self-signed one
is refused (the mail stays undelivered and the outbox says why) unless KEFU_SMTP_RELAY carries
`?insecure=1`, the development-only opt-out, which then delivers over TLS."""
import datetime
import ipaddress
import ssl
import subprocess

import pytest
import requests
from aiosmtpd.controller import Controller
from selenium.webdriver.common.by import By

from conftest import KEFU_BIN, ROOT, Capture, console_errors, free_port, wait_for
from test_console_login import sign_in, wait_for_path

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")
MAIL = (ROOT / "Tests" / "KefuMailTests" / "Fixtures" / "gmail-utf8-reply.eml").read_bytes()


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 that no one vouches for: (certificate file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.kefu.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                   # Names the address Kefu dials, so the only thing wrong is who signed it.
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                               x509.DNSName("localhost")]), critical=False)
                   .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "relay.crt", directory / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


class TLSCapture(Capture):
    """Keeps every mail and whether it came over TLS."""
    def __init__(self):
        super().__init__()
        self.over_tls = []

    async def handle_DATA(self, server, session, envelope):
        self.over_tls.append(session.ssl is not None)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def tls_relay(tmp_path):
    """An SMTP relay that offers STARTTLS with a self-signed certificate and takes no mail without it."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    capture = TLSCapture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    yield controller, capture
    controller.stop()


def server_with_relay(make_server, relay_url):
    server = make_server()
    server.env.update({"KEFU_SUPPORT_ADDRESS": "support@kefu.example", "KEFU_SMTP_RELAY": relay_url})
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    # A customer writes in; the acknowledgement is the mail that goes to the relay.
    piped = subprocess.run([KEFU_BIN, "ingest-email"], env=server.env, input=MAIL, capture_output=True, timeout=60)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    return server, {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}


def outbox(server, auth):
    return requests.get(server.url + "/api/v1/outbox", headers=auth, timeout=10).json()["items"]


def test_a_relay_with_a_self_signed_certificate_is_refused(make_server, tls_relay, browser):
    controller, capture = tls_relay
    server, auth = server_with_relay(make_server, f"smtp+starttls://127.0.0.1:{controller.port}")
    # The attempt is over when the outbox records it: not sent, with the reason.
    mail = wait_for(lambda: next((m for m in outbox(server, auth) if m["attempts"] >= 1 and m.get("lastError")), None), timeout=30)
    assert mail["status"] != "sent" and mail["recipients"] == ["james.wilson@gmail.com"]
    # The reason an operator needs: the certificate (not just "I/O on closed channel").
    assert "certificate" in mail["lastError"].lower(), mail["lastError"]
    assert capture.messages == []

    # Admin → Outbox shows the failure too.
    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console/admin/outbox")
    row = browser.find_element(By.CSS_SELECTOR, "[data-testid=outbox]").text
    assert mail["subject"] in row and mail["lastError"] in row
    assert console_errors(browser) == []


def test_insecure_in_the_relay_url_accepts_a_self_signed_certificate(make_server, tls_relay):
    controller, capture = tls_relay
    server, auth = server_with_relay(make_server, f"smtp+starttls://127.0.0.1:{controller.port}?insecure=1")
    wait_for(lambda: capture.messages, timeout=30)
    assert capture.over_tls == [True]
    assert capture.messages[0][1] == ["james.wilson@gmail.com"]
    sent = wait_for(lambda: [m for m in outbox(server, auth) if m["status"] == "sent"])
    assert [m["recipients"] for m in sent] == [["james.wilson@gmail.com"]]
