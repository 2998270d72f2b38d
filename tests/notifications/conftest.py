import socket
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from notifications import tasks


class Recorder:
    """An SMTP server's DATA handler: keeps what it accepted; answers 451 `refuse` times first,
    and `reject` (a 5xx answer) to everything while it is set."""

    def __init__(self):
        self.messages: list[Message] = []
        self.refuse = 0
        self.reject = ""
        self.calls = 0

    async def handle_DATA(self, server, session, envelope):
        self.calls += 1
        if self.reject:
            return self.reject
        if self.refuse > 0:
            self.refuse -= 1
            return "451 try later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on a spare port, with Django's SMTP backend pointed at it."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield recorder
    controller.stop()


@pytest.fixture(autouse=True)
def handed(monkeypatch):
    """Deliveries handed to the broker, kept here (the shared Redis has no worker for them)."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    return queued
