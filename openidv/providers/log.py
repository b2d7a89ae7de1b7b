"""Development sender: writes the message to the log instead of delivering it.

Only sandbox messages are logged whole; a production message is logged without its text, so a
misconfigured production server never writes codes to its logs.
"""

import logging

from openidv.providers.base import Message
from openidv.providers.settings import ProviderSettings

log = logging.getLogger("openidv.providers.log")


class LogSender:
    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> None:
        if message.sandbox:
            log.info("%s to %s: %s", message.channel, message.to, message.body)
        else:
            log.warning("%s not delivered: no %s provider is configured (recipient and text withheld)", message.channel, message.channel)
