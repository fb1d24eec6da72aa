"""Days and moments as people read them: one rule per language, on every page and paper."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from landinfo.dates import register_day, register_moment

DAY = dt.date(2026, 12, 7)
WRITTEN = {"vi": "07/12/2026", "ko": "2026. 12. 7.", "en": "2026-12-07"}


@pytest.mark.parametrize("language", sorted(WRITTEN))
def test_a_day_is_written_as_the_certificate_writes_it_in_each_language(language):
    assert register_day(DAY, language) == WRITTEN[language]
    with translation.override(language):
        assert register_day(DAY) == WRITTEN[language]  # the language of the page by default
        assert (
            Template("{% load landinfo_dates %}{{ day|register_day }}").render(
                Context({"day": DAY})
            )
            == (WRITTEN[language])
        )


def test_a_language_without_a_rule_of_its_own_writes_days_as_english_and_none_is_a_dash():
    assert register_day(DAY, "fr") == WRITTEN["en"]
    assert register_day(None, "vi") == "—"


def test_a_page_reads_a_day_already_written_yyyy_mm_dd_and_leaves_other_text_alone():
    page = Template("{% load landinfo_dates %}{{ a|register_day }} {{ b|register_day }}")
    with translation.override("vi"):
        assert page.render(Context({"a": "2026-12-07", "b": "soon"})) == "07/12/2026 soon"


@pytest.mark.parametrize("language", sorted(WRITTEN))
def test_a_moment_is_in_the_register_zone_names_it_and_writes_its_day_alike(settings, language):
    settings.TIME_ZONE = "Asia/Seoul"
    moment = dt.datetime(2026, 12, 6, 16, 30, 12, tzinfo=dt.UTC)  # the 7th, 01:30 in Seoul
    assert register_moment(moment, language) == (
        f"{WRITTEN[language]} 01:30:12 (UTC+09:00, Asia/Seoul)"
    )
    # A moment given where a day is asked for is the register's day, not UTC's.
    assert register_day(moment, language) == WRITTEN[language]


def test_a_moment_in_a_template_is_the_register_moment():
    moment = dt.datetime(2026, 12, 6, 16, 30, 12, tzinfo=dt.UTC)
    with translation.override("ko"):
        shown = Template("{% load landinfo_dates %}{{ moment|register_moment }}").render(
            Context({"moment": moment})
        )
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    day = f"{local.year}. {local.month}. {local.day}."
    assert shown.startswith(f"{day} {local:%H:%M:%S} (UTC+0")
    assert shown.endswith(f", {settings.TIME_ZONE})")


def test_no_page_formats_a_day_or_a_time_itself():
    """A format string in a template is a second rule that drifts from the certificate's."""
    templates = Path(settings.BASE_DIR) / "templates"
    own_formats = [
        f"{path.relative_to(templates)}: {match[0]}"
        for path in sorted(templates.rglob("*.html"))
        for match in re.finditer(r"\|\s*(date|time)\b[^}%]*", path.read_text())
    ]
    assert own_formats == []
