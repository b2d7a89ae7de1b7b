"""Standard Webhooks keys of webhook secrets: new secrets are base64 after `wbhsec_`, so a library given
`whsec_` + that part signs as openidv does; older url-safe secrets keep their former key."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from standardwebhooks import Webhook as StandardWebhook

from openidv.webhooks import delivery, service


def test_new_secrets_are_base64_and_sign_as_the_library_does() -> None:
    secret = service.new_secret()
    rest = secret.removeprefix("wbhsec_")
    assert len(rest) == 44 and rest.isalnum() and base64.b64decode(rest, validate=True) == delivery.standard_webhooks_key(secret)
    body, message_id, timestamp = b'{"data":{}}', "evt_1", 1_700_000_000
    ours = delivery.standard_webhooks_signature([secret], message_id, body, timestamp)
    assert ours == StandardWebhook("whsec_" + rest).sign(message_id, datetime.fromtimestamp(timestamp, UTC), body)


def test_legacy_url_safe_secrets_keep_their_key() -> None:
    legacy = "wbhsec_Ab-cd_EfGhIjKlMnOpQrStUvWxYz0123456789abcdefg"
    assert delivery.standard_webhooks_key(legacy) == legacy.removeprefix("wbhsec_").encode()
    digest = hmac.new(legacy.removeprefix("wbhsec_").encode(), b"evt_1.1.{}", hashlib.sha256).digest()
    assert delivery.standard_webhooks_signature([legacy], "evt_1", b"{}", 1) == "v1," + base64.b64encode(digest).decode()
