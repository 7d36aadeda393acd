"""A real SMTP server for the email tests: aiosmtpd on 127.0.0.1 keeping what it receives."""

from __future__ import annotations

import email
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Iterator

from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler keeping every message; some recipients can be refused with a given reply."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [email.message_from_bytes(content, policy=email_policy)
                for recipients, content in list(self.messages) if address in recipients]


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def subject(message: EmailMessage) -> str:
    """The Subject unfolded: Django folds a long encoded subject onto a continuation line, whose leading
    whitespace RFC 5322 makes insignificant (Python's parser keeps one space of it)."""
    return message["Subject"].strip()


def attachments(message: EmailMessage) -> list[tuple[str, str, bytes]]:
    return [(part.get_filename(), part.get_content_type(), part.get_content()) for part in message.iter_attachments()]
