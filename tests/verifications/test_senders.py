"""The senders against real servers on loopback: SMTP with STARTTLS and AUTH, the generic signed
HTTP POST, Twilio's error answers (retry or give up), the log sender, and the provider registry."""

import datetime
import hashlib
import hmac
import json
import logging
import ssl

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from verification_support import Mailbox, free_port

from openidv import providers
from openidv.providers import Message, ProviderSettings, SendError
from openidv.providers.settings import parse_smtp_url


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1) \
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_smtp_starttls_with_auth(tmp_path):
    from aiosmtpd.smtp import AuthResult

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=_certificate(tmp_path), require_starttls=True,
        authenticator=lambda *a: AuthResult(success=(a[4].login, a[4].password) == (b"u", b"p w")),
    )
    controller.start()
    try:
        settings = ProviderSettings(smtp_url=f"smtp://u:p%20w@127.0.0.1:{port}?starttls=true&verify=false", email_from="a@example.test")
        providers.sender("email", settings).send(Message("email", "b@example.test", "Subject", "code 123456\n"))
        assert mailbox.last_code() == "123456"
        wrong = ProviderSettings(smtp_url=f"smtp://u:nope@127.0.0.1:{port}?starttls=true&verify=false", send_timeout_seconds=2)
        with pytest.raises(SendError) as failed:
            providers.sender("email", wrong).send(Message("email", "b@example.test", "S", "x"))
        assert failed.value.retry is False
        unverified = ProviderSettings(smtp_url=f"smtp://u:p%20w@127.0.0.1:{port}?starttls=true", send_timeout_seconds=2)
        with pytest.raises(SendError):  # a self-signed certificate is refused unless verify=false
            providers.sender("email", unverified).send(Message("email", "b@example.test", "S", "x"))
    finally:
        controller.stop()


def test_smtp_unreachable_is_retryable():
    settings = ProviderSettings(smtp_url=f"smtp://127.0.0.1:{free_port()}", send_timeout_seconds=2)
    with pytest.raises(SendError) as failed:
        providers.sender("email", settings).send(Message("email", "b@example.test", "S", "x"))
    assert failed.value.retry is True


def test_smtp_url_forms():
    assert parse_smtp_url("smtp://user:pass@mail.example.com:587?starttls=true") == {
        "host": "mail.example.com", "port": 587, "user": "user", "password": "pass", "ssl": False, "starttls": True,
    }
    assert parse_smtp_url("smtps://mail.example.com")["port"] == 465
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example.com")


def test_generic_http_post_is_signed(http_receiver):
    settings = ProviderSettings(sms_provider="http", sms_http_url=http_receiver.url + "/sms", sms_http_secret="shh")
    providers.sender("sms", settings).send(Message("sms", "+14155550132", "", "Your code is 654321"))
    request = http_receiver.requests[-1]
    assert request.path == "/sms" and json.loads(request.body) == {"channel": "sms", "to": "+14155550132", "body": "Your code is 654321"}
    stamp, _, mac = request.headers["openidv-signature"].partition(",v1=")
    expected = hmac.new(b"shh", stamp[2:].encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    assert http_receiver.last_code() == "654321"


def test_twilio_errors_retry_or_give_up(client, api, world, twilio, run_jobs):
    inquiry = api.new_inquiry(world.templates["Phone"])
    body = {"data": {"attributes": {"inquiry-id": inquiry["id"], "phone-number": "+14155550132"}}}
    vid = client.post("/api/v1/verification/phone-numbers", json=body).json()["data"]["id"]
    client.post(f"/api/v1/verification/phone-numbers/{vid}/send-confirmation-code")
    twilio.status.extend([503, 400])
    with pytest.raises(SendError):  # 5xx: the job port retries
        run_jobs(vid)
    assert run_jobs(vid) is False  # 4xx: a permanent failure, logged
    assert run_jobs(vid) is True and len(twilio.requests) == 3


def test_log_sender_shows_codes_only_in_sandbox(caplog):
    sender = providers.sender("sms", ProviderSettings(sms_provider="log"))
    with caplog.at_level(logging.INFO, logger="openidv.providers.log"):
        sender.send(Message("sms", "+14155550132", "", "code 111222", sandbox=True))
        sender.send(Message("sms", "+14155550132", "", "code 333444", sandbox=False))
    assert "111222" in caplog.text and "333444" not in caplog.text and caplog.text.count("+14155550132") == 1


def test_registry_and_messages():
    from openidv.providers import messages
    from openidv.providers.imported_records import ImportedRecordSource

    assert {"email.smtp", "sms.twilio", "sms.http", "sms.log", "records.imported"} <= set(providers.registry())
    assert isinstance(providers.record_source("crm"), ImportedRecordSource)
    with pytest.raises(KeyError):
        providers.load("sms.pigeon")
    with pytest.raises(SendError):
        providers.sender("sms", ProviderSettings(sms_provider="twilio"))  # settings missing
    text = messages.confirmation("sms", "+1", "123456", 10, "es-MX", sandbox=False)
    assert "123456" in text.body and "minutos" in text.body
    assert "minutes" in messages.confirmation("email", "a@b.c", "123456", 10, "fr", sandbox=False).body
