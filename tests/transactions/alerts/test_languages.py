"""Every message the outbox sends reads wholly in its recipient's language.

Django falls back to the default language's catalogue (LANGUAGE_CODE) for a sentence a
catalogue lacks, so a Korean subscriber once got Korean labels between Vietnamese
sentences. Each message is rendered in en, vi and ko: a line with words must differ
between any two of them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import PartyFactory
from tests.transactions.alerts.conftest import file_mortgage, held_parcel
from transactions.alerts import receipts, subscriptions
from transactions.models import OutboxMessage

pytestmark = pytest.mark.every_profile
LANGUAGES = ("en", "vi", "ko")
WORDS = re.compile(r"[^\W\d_]{2,}")
URL = re.compile(r"https?://\S+")


def _lines_with_words(text: str) -> list[str]:
    return [line for line in text.splitlines() if WORDS.search(URL.sub("", line))]


def _assert_each_language_its_own(rendered: dict[str, tuple[str, str]]) -> None:
    for field in (0, 1):  # the subject, the body
        lines = {language: _lines_with_words(rendered[language][field]) for language in LANGUAGES}
        assert len({len(found) for found in lines.values()}) == 1, lines
        for row in zip(*(lines[language] for language in LANGUAGES), strict=True):
            assert len(set(row)) == len(LANGUAGES), f"a line reads alike in two languages: {row}"


def test_the_receipt_alert_reads_in_the_recipients_language(notary):
    parcel, _holder = held_parcel("owner@example.org")
    notary.first_name = "Office"
    application = file_mortgage(parcel, PartyFactory(kind="organisation"), notary)
    rendered = {
        language: receipts.render_alert(
            application,
            parcel,
            receipts.Recipient("owner@example.org", language, parcel.pk),
            token="t" * 32,
        )
        for language in LANGUAGES
    }
    _assert_each_language_its_own(rendered)


@pytest.mark.parametrize("purpose", [subscriptions.CONFIRM, "subscription_limit"])
def test_the_subscription_messages_read_in_the_recipients_language(db, purpose):
    parcel, _holder = held_parcel()
    now = dt.datetime.now(dt.UTC)
    rendered = {}
    for language in LANGUAGES:
        message = subscriptions._queue(
            f"{language}@example.org",
            parcel,
            purpose,
            language,
            key=f"{purpose}:{language}",
            now=now,
        )
        rendered[language] = (message.subject, message.body)
    OutboxMessage.objects.all().delete()
    _assert_each_language_its_own(rendered)
