"""The register's day and time are the profile's time zone, never UTC or another country's.

Between midnight in the register's zone and midnight UTC the two calendars disagree
(00:00-07:00 in Vietnam, 00:00-09:00 in Korea): a deed dated today must be accepted
then, and the times people read must say the register's date.
"""

import datetime as dt
from fractions import Fraction
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from landinfo.dates import register_moment
from tests.factories import ParcelFactory, national_id
from transactions.deeds import services
from transactions.deeds.services import DeedInput, PartyInput
from transactions.exceptions import DeedRefused

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


# The countries' legal time, stated here rather than read from the code under test.
LEGAL_TIME = {"vn": "Asia/Ho_Chi_Minh", "kr": "Asia/Seoul"}


@pytest.fixture(autouse=True)
def zone(profile):
    return ZoneInfo(LEGAL_TIME[profile.key])


def local_moment(zone, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Return the moment it is `hour`:`minute` on `day` in `zone`."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def first_registration(notary, parcel, day):
    return services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[
            (
                PartyInput(kind="person", name="Lê Thị Hoa", national_id=national_id(777)),
                Fraction(1),
            )
        ],
        deed=DeedInput(effective_date=day, recorded_by=notary, expected_last_entry=0),
    )


def test_the_register_time_zone_is_the_country_s(profile):
    assert settings.TIME_ZONE == profile.time_zone == LEGAL_TIME[profile.key]


@pytest.mark.parametrize("hour", [0, 1, 6])
def test_a_deed_dated_today_is_accepted_just_after_midnight_in_the_register_zone(
    notary, zone, hour
):
    today = dt.date(2026, 12, 7)
    now = local_moment(zone, today, hour, 30)
    assert now.astimezone(dt.UTC).date() < today  # UTC still says yesterday
    with mock.patch("django.utils.timezone.now", return_value=now.astimezone(dt.UTC)):
        entry = first_registration(notary, ParcelFactory(), today)
    assert entry.effective_date == today


def test_a_deed_dated_tomorrow_in_the_register_zone_is_refused(notary, zone):
    today = dt.date(2026, 12, 7)
    now = local_moment(zone, today, 23, 30)
    with (
        mock.patch("django.utils.timezone.now", return_value=now.astimezone(dt.UTC)),
        pytest.raises(DeedRefused, match="after today"),
    ):
        first_registration(notary, ParcelFactory(), today + dt.timedelta(days=1))


def test_a_moment_people_read_is_in_the_register_zone_and_names_it(zone, profile):
    moment = local_moment(zone, dt.date(2026, 12, 7), 1, 5)
    text = register_moment(moment.astimezone(dt.UTC), "en")
    assert text.startswith("2026-12-07 01:05:00 (UTC+0")
    assert text.endswith(f", {LEGAL_TIME[profile.key]})")
