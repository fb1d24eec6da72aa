"""The two timelines in the public API: when a right was in force (`as_of`), and when the
register learnt of it (`known_at`).

A deed is often recorded days after it took effect, and a correction voids what was
recorded: "who held the parcel on D, as the register knew it at T" must answer what a
citizen reading the register at T was shown.
"""

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.urls import reverse
from django.utils import timezone

from landinfo.srid import STORAGE_SRID
from tests.factories import ParcelFactory, PartyFactory, current_entry, entry_parcel, user_with_role
from tests.transactions import factories as deeds
from transactions.deeds import services
from transactions.models import Party

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.fixture(autouse=True)
def _english(settings):
    """Ask in English unless a test says otherwise: the messages are asserted in English."""
    settings.LANGUAGE_CODE = "en"


ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_1 = dt.date(2024, 3, 1)  # the transfer takes effect
RECORDED = dt.datetime(2024, 3, 2, 10, 0, tzinfo=ZONE)  # and is recorded the next day
BEFORE = "2024-03-02T09:00:00+07:00"
AFTER = "2024-03-02T11:00:00+07:00"
BETWEEN = "2024-06-01T00:00:00+07:00"  # after the transfer, before its correction


@pytest.fixture
def register():
    """Return a parcel registered to a person in 2020, transferred to a company on DAY_1,
    the transfer recorded on DAY_1 + 1."""
    parcel = ParcelFactory()
    an = PartyFactory(name="Nguyễn Văn An", national_id="001080000001")
    company = PartyFactory(
        kind=Party.Kind.ORGANISATION, name="Công ty TNHH Minh Phát", national_id=None
    )
    deeds.register(
        parcel,
        [(an, Fraction(1))],
        on=dt.date(2020, 1, 1),
        recorded_at=dt.datetime(2020, 1, 2, tzinfo=ZONE),
    )
    deeds.transfer(
        parcel,
        [(company, Fraction(1))],
        on=DAY_1,
        price=Decimal(2_000_000_000),
        recorded_at=RECORDED,
    )
    return parcel


def holders(client, parcel, **params) -> list[str]:
    response = client.get(reverse("transactions:detail", args=[parcel.pk]), params)
    assert response.status_code == 200, response.content
    return [right["holder"]["name"] for right in response.json()["rights"]]


def history(client, parcel, **params) -> list[str]:
    response = client.get(reverse("transactions:history", args=[parcel.pk]), params)
    assert response.status_code == 200, response.content
    return [entry["kind"] for entry in response.json()["entries"]]


def test_a_transfer_recorded_the_day_after_it_took_effect(client, register):
    parcel = register
    day_1 = DAY_1.isoformat()
    # On day 1, as the register knew it that morning of day 2: the old holder.
    assert holders(client, parcel, as_of=day_1, known_at=BEFORE) == ["Nguyễn V. A."]
    # Once the transfer was recorded, day 1 reads differently: the company held it.
    assert holders(client, parcel, as_of=day_1, known_at=AFTER) == ["Công ty TNHH Minh Phát"]
    assert holders(client, parcel, as_of=day_1) == ["Công ty TNHH Minh Phát"]
    assert history(client, parcel, known_at=BEFORE) == ["first_registration"]
    assert history(client, parcel, known_at=AFTER) == ["first_registration", "transfer"]
    sheet = client.get(
        reverse("transactions:detail", args=[parcel.pk]), {"known_at": BEFORE}
    ).json()
    assert sheet["known_at"] == "2024-03-02T09:00:00+07:00"
    assert sheet["last_entry"] == 2  # the present, whatever the moment asked


def test_a_reversed_transfer_leaves_current_knowledge_but_not_the_past(client, register):
    parcel = register
    registrar = user_with_role("registrar")
    services.record_correction(
        corrects=2,
        mode="reverse",
        reason="The transfer was signed by someone without authority.",
        deed=services.DeedInput(
            effective_date=timezone.localdate(),
            recorded_by=registrar,
            expected_last_entry=current_entry(entry_parcel(2)),
        ),
    )
    # Now the register holds that the transfer never was.
    assert holders(client, parcel) == ["Nguyễn V. A."]
    assert holders(client, parcel, as_of=DAY_1.isoformat()) == ["Nguyễn V. A."]
    # Between the transfer and its correction, the register showed the company.
    assert holders(client, parcel, known_at=BETWEEN) == ["Công ty TNHH Minh Phát"]
    assert holders(client, parcel, as_of="2024-05-01", known_at=BETWEEN) == [
        "Công ty TNHH Minh Phát"
    ]
    assert history(client, parcel, known_at=BETWEEN) == ["first_registration", "transfer"]
    assert history(client, parcel)[-1] == "correction"


def test_a_parcel_made_by_a_deed_recorded_later_was_not_known(client):
    parcel = ParcelFactory()
    notary = user_with_role("notary")
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(PartyFactory().pk, Fraction(1))],
        deed=services.DeedInput(
            effective_date=dt.date(2020, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    x0, y0, x1, y1 = parcel.boundary.extent
    middle = (x0 + x1) / 2
    halves = [
        services.ChildParcel(MultiPolygon(Polygon.from_bbox((a, y0, b, y1)), srid=STORAGE_SRID))
        for a, b in ((x0, middle), (middle, x1))
    ]
    entry = services.subdivide_parcel(
        parcel_id=parcel.pk,
        children=halves,
        deed=services.DeedInput(
            effective_date=dt.date(2022, 1, 1),
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    earlier = (entry.recorded_at - dt.timedelta(seconds=1)).isoformat()
    child = json.loads(entry.payload)["parcels_created"][0]["id"]
    response = client.get(reverse("transactions:detail", args=[child]), {"known_at": earlier})
    assert response.status_code == 404
    assert "did not know" in response.json()["detail"]
    parent = client.get(
        reverse("transactions:detail", args=[parcel.pk]), {"known_at": earlier}
    ).json()
    assert (parent["status"], parent["valid_to"]) == ("current", None)
    now = client.get(reverse("transactions:detail", args=[parcel.pk])).json()
    assert (now["status"], now["valid_to"]) == ("retired", "2022-01-01")
    assert child in [made["id"] for made in now["children"]]


@pytest.mark.parametrize("moment", ["yesterday", "2024-13-01T00:00", "2024-03-02 25:00", "1" * 50])
def test_a_moment_that_is_not_iso_8601_is_refused(client, moment):
    parcel = ParcelFactory()
    response = client.get(reverse("transactions:detail", args=[parcel.pk]), {"known_at": moment})
    assert response.status_code == 400
    assert "known_at" in response.json()["detail"]


def test_a_naive_moment_is_read_in_the_registers_time_zone(client, register):
    parcel = register
    local = RECORDED.astimezone(timezone.get_current_timezone()).replace(tzinfo=None)
    minute = dt.timedelta(minutes=1)
    before, after = (local - minute).isoformat(), (local + minute).isoformat()
    assert holders(client, parcel, as_of="2024-03-01", known_at=before) == ["Nguyễn V. A."]
    assert holders(client, parcel, as_of="2024-03-01", known_at=after) == ["Công ty TNHH Minh Phát"]


def test_the_sheet_as_known_at_a_moment_takes_one_query(
    client, register, django_assert_max_num_queries
):
    parcel = register
    url = reverse("transactions:detail", args=[parcel.pk])
    client.get(url, {"known_at": BEFORE})  # prepares the statement in this session
    with django_assert_max_num_queries(1):
        assert client.get(url, {"known_at": AFTER}).status_code == 200
