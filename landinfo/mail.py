"""A mail backend for the demo: every message one .eml file, readable by any mail client.

Django's file backend appends all the messages of a connection to one log file; the
demo's reader wants one message per file (open it, or count the alerts of a receipt).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class EmlFileBackend(BaseEmailBackend):
    """Write each message to EMAIL_FILE_PATH as `<UTC time>-<random>.eml`."""

    def __init__(self, *, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%f}-{secrets.token_hex(4)}.eml"
            part = self.folder / (name + ".part")
            # Written aside, then renamed: a reader never sees half a message.
            part.write_bytes(message.message().as_bytes(linesep="\n"))
            part.rename(self.folder / name)
            sent += 1
        return sent
