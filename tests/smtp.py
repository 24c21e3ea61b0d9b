"""An in-process SMTP sink (aiosmtpd) for tests that send real email over SMTP."""
from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Sink:
    """Accepts every message and keeps it, parsed, in arrival order."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def find(self, to: str, subject_contains: str):
        return [m for m in self.messages if m["To"] == to and subject_contains in m["Subject"]]

    def wait_for(self, to: str, subject_contains: str, timeout: float = 10.0):
        """The first message to `to` whose subject contains the text, polling up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(to, subject_contains)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                seen = [(m["To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no email to {to} with {subject_contains!r}; received: {seen}")
            time.sleep(0.1)


def text_of(message) -> str:
    """Every text part of the message (plain and HTML), decoded."""
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink(handler: Sink | None = None) -> tuple[Sink, int, Controller]:
    handler = handler or Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return handler, port, controller
