"""E-mail over SMTP: plain, STARTTLS or implicit TLS, with optional AUTH (`OPENIDV_SMTP_URL`)."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from openidv.providers.base import Message, SendError
from openidv.providers.settings import ProviderSettings, parse_smtp_url


class SmtpEmailSender:
    def __init__(self, settings: ProviderSettings) -> None:
        if not settings.smtp_url:
            raise SendError("OPENIDV_SMTP_URL is not set", retry=False)
        self.settings = settings
        self.server = parse_smtp_url(settings.smtp_url)

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if "verify=false" in (self.settings.smtp_url or "").lower():  # self-signed test servers only
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.settings.email_from
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(domain="openidv.local")
        email.set_content(message.body)
        server = self.server
        timeout = self.settings.send_timeout_seconds
        try:
            if server["ssl"]:
                client: smtplib.SMTP = smtplib.SMTP_SSL(server["host"], server["port"], timeout=timeout, context=self._tls())
            else:
                client = smtplib.SMTP(server["host"], server["port"], timeout=timeout)
            with client:
                if server["starttls"]:
                    client.starttls(context=self._tls())
                if server["user"]:
                    try:
                        client.login(server["user"], server["password"] or "")
                    except smtplib.SMTPException as exc:  # some servers hang up after a refused AUTH
                        raise SendError(f"SMTP authentication failed ({type(exc).__name__})", retry=False) from None
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {list(exc.recipients.values())[0][0]}", retry=False) from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP error {exc.smtp_code}", retry=exc.smtp_code < 500) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise SendError(f"SMTP server unreachable: {type(exc).__name__}") from None
