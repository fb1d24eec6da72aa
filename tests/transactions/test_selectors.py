"""Rights as of a date and the history of deeds on a parcel, as the public reads them."""

import datetime as dt
from fractions import Fraction

import pytest
from django.utils import translation

from tests.factories import ParcelFactory, PartyFactory
from tests.transactions import factories as deeds
from transactions import selectors
from transactions.models import Party, Right

# What a right records besides its holder and share, for rights whose deeds stated none.
NOT_STATED = {
    "origin": "",
    "origin_label": "",
    "use_form": "",
    "use_form_label": "",
    "term": None,
    "attached_assets": "",
}

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]

HALF = Fraction(1, 2)


@pytest.fixture
def owners():
    return PartyFactory(name="Nguyễn Văn An"), PartyFactory(name="Trần Thị Bình")


@pytest.fixture
def company():
    return PartyFactory(kind=Party.Kind.ORGANISATION, name="Công ty TNHH Thử", national_id=None)


@pytest.fixture
def bank():
    return PartyFactory(
        kind=Party.Kind.ORGANISATION, name="Ngân hàng TMCP Mẫu Sông Hồng", national_id=None
    )


def test_rights_as_of_today_are_those_in_force_with_holders_masked(owners, company, bank):
    parcel = ParcelFactory()
    deeds.register(parcel, [(owners[0], HALF), (owners[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.transfer(parcel, [(company, Fraction(1))], on=dt.date(2010, 3, 1))
    deeds.mortgage(parcel, bank, on=dt.date(2012, 1, 1))

    rights = selectors.rights_as_of(parcel.pk)

    assert rights == [
        {
            "kind": "ownership",
            "share": "1/1",
            "holder": {
                "name": "Công ty TNHH Thử",
                "kind": "organisation",
                "holder_kind": "",
                "holder_kind_label": "",
            },
            "valid_from": "2010-03-01",
            "valid_to": None,
            **NOT_STATED,
        },
        {
            "kind": "mortgage",
            "share": "1/1",
            "holder": {
                "name": "Ngân hàng TMCP Mẫu Sông Hồng",
                "kind": "organisation",
                "holder_kind": "",
                "holder_kind_label": "",
            },
            "valid_from": "2012-01-01",
            "valid_to": None,
            **NOT_STATED,
        },
    ]


def test_rights_as_of_a_past_date_are_those_then_in_force(owners, company):
    parcel = ParcelFactory()
    deeds.register(parcel, [(owners[0], HALF), (owners[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.transfer(parcel, [(company, Fraction(1))], on=dt.date(2010, 3, 1))

    before = selectors.rights_as_of(parcel.pk, as_of=dt.date(2010, 2, 28))
    on_the_day = selectors.rights_as_of(parcel.pk, as_of=dt.date(2010, 3, 1))
    before_registration = selectors.rights_as_of(parcel.pk, as_of=dt.date(2001, 4, 30))

    assert [(r["holder"]["name"], r["share"]) for r in before] == [
        ("Nguyễn V. A.", "1/2"),
        ("Trần T. B.", "1/2"),
    ]
    assert [r["valid_to"] for r in before] == ["2010-03-01", "2010-03-01"]
    # A term is [valid_from, valid_to): on the day of the sale the buyer holds the right.
    assert [r["holder"]["name"] for r in on_the_day] == ["Công ty TNHH Thử"]
    assert before_registration == []


def test_a_lease_with_an_end_date_in_the_future_is_in_force_today(owners):
    parcel = ParcelFactory()
    (owner,) = deeds.register(parcel, [(owners[0], Fraction(1))], on=dt.date(2001, 5, 1))
    Right.objects.create(
        parcel=parcel,
        holder=owners[1],
        kind=Right.Kind.LEASE,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2099, 12, 31),
        begun_by=owner.begun_by,
    )
    kinds = [right["kind"] for right in selectors.rights_as_of(parcel.pk)]
    assert kinds == ["ownership", "lease"]


def test_timeline_lists_every_deed_on_the_parcel_by_effective_date(owners, company, bank):
    parcel = ParcelFactory()
    other = ParcelFactory()
    deeds.register(parcel, [(owners[0], HALF), (owners[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.register(other, [(owners[0], Fraction(1))], on=dt.date(2002, 1, 1))  # not this one
    deeds.transfer(parcel, [(company, Fraction(1))], on=dt.date(2010, 3, 1))
    mortgage = deeds.mortgage(parcel, bank, on=dt.date(2012, 1, 1))
    deeds.discharge(mortgage, on=dt.date(2015, 6, 30))
    # Recorded last, in effect before the discharge: listed by legal effect, not by sequence.
    late = deeds.mortgage(parcel, PartyFactory(name="Lê Văn Cường"), on=dt.date(2014, 1, 1))

    with translation.override("en"):
        entries = selectors.parcel_timeline(parcel.pk)["entries"]

    assert [(e["kind"], e["effective_date"]) for e in entries] == [
        ("first_registration", "2001-05-01"),
        ("transfer", "2010-03-01"),
        ("mortgage", "2012-01-01"),
        ("mortgage", "2014-01-01"),
        ("discharge", "2015-06-30"),
    ]
    assert entries[3]["sequence"] == late.begun_by_id
    assert entries[3]["sequence"] > entries[4]["sequence"]
    assert [e["summary"] for e in entries] == [
        "First registration: 2 holders",
        "Sale: 2 holders → 1 holder",
        "Mortgage: 1 holder",
        "Mortgage: 1 holder",
        "Mortgage discharge: 1 holder released",
    ]
    assert entries[1]["holders_before"] == ["Nguyễn V. A.", "Trần T. B."]
    assert entries[1]["holders_after"] == ["Công ty TNHH Thử"]
    assert entries[3]["holders_after"] == ["Lê V. C."]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "vi",
            [
                "Đăng ký lần đầu: 2 người",
                "Chuyển nhượng: 2 người → 1 người",
                "Đăng ký thế chấp: 1 người",
                "Xóa đăng ký thế chấp: chấm dứt quyền của 1 người",
                "Tách thửa: thành 2 thửa",
            ],
        ),
        (
            "ko",
            [
                "소유권보존: 2명",  # the first registration of ownership
                "매매: 2명 → 1명",
                "근저당권설정: 1명",
                "근저당권말소: 1명 권리 소멸",
                "분할: 2필지로",
            ],
        ),
        (
            "en",
            [
                "First registration: 2 holders",
                "Sale: 2 holders → 1 holder",
                "Mortgage: 1 holder",
                "Mortgage discharge: 1 holder released",
                "Subdivision: into 2 parcels",
            ],
        ),
    ],
)
def test_history_summaries_are_in_the_asked_language_without_journal_numbers(
    owners, company, bank, language, expected
):
    parcel = ParcelFactory()
    deeds.register(parcel, [(owners[0], HALF), (owners[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.transfer(parcel, [(company, Fraction(1))], on=dt.date(2010, 3, 1))
    mortgage = deeds.mortgage(parcel, bank, on=dt.date(2012, 1, 1))
    deeds.discharge(mortgage, on=dt.date(2015, 6, 30))
    deeds.subdivide(parcel, ParcelFactory.create_batch(2), on=dt.date(2020, 1, 1))

    with translation.override(language):
        summaries = [e["summary"] for e in selectors.parcel_timeline(parcel.pk)["entries"]]

    assert summaries == expected
    assert not any("#" in summary for summary in summaries)


def test_timeline_as_of_a_date_stops_at_that_date(owners, company):
    parcel = ParcelFactory()
    deeds.register(parcel, [(owners[0], HALF), (owners[1], HALF)], on=dt.date(2001, 5, 1))
    deeds.transfer(
        parcel,
        [(company, Fraction(1))],
        on=dt.date(2010, 3, 1),
        transfer_type=deeds.payloads.TransferType.GIFT,
    )

    timeline = selectors.parcel_timeline(parcel.pk, as_of=dt.date(2009, 12, 31))
    assert [e["kind"] for e in timeline["entries"]] == ["first_registration"]
    assert [r["holder"]["name"] for r in timeline["rights"]] == ["Nguyễn V. A.", "Trần T. B."]

    with translation.override("en"):
        timeline = selectors.parcel_timeline(parcel.pk, as_of=dt.date(2010, 3, 1))
    assert timeline["entries"][-1]["summary"] == "Gift: 2 holders → 1 holder"
    assert timeline["entries"][-1]["transfer_type"] == "gift"  # for the page's own wording
    assert timeline["entries"][0]["transfer_type"] is None
    assert [r["holder"]["name"] for r in timeline["rights"]] == ["Công ty TNHH Thử"]


def test_timeline_shows_the_subdivision_that_made_or_retired_the_parcel(owners):
    parent = ParcelFactory()
    deeds.register(parent, [(owners[0], Fraction(1))], on=dt.date(2001, 5, 1))
    children = ParcelFactory.create_batch(2, valid_from=dt.date(2020, 1, 1))
    entry = deeds.subdivide(parent, children, on=dt.date(2020, 1, 1))
    deeds.register(children[0], [(owners[0], Fraction(1))], on=dt.date(2020, 1, 2))

    with translation.override("en"):
        parent_entries = selectors.parcel_timeline(parent.pk)["entries"]
        child_entries = selectors.parcel_timeline(children[0].pk)["entries"]

    assert parent_entries[-1]["sequence"] == entry.sequence
    assert parent_entries[-1]["summary"] == "Subdivision: into 2 parcels"
    assert parent_entries[-1]["holders_before"] == ["Nguyễn V. A."]
    assert [e["summary"] for e in child_entries] == [
        f"Subdivision: from {parent.identifier}",
        "First registration: 1 holder",
    ]


def test_timeline_query_count_does_not_grow_with_history(owners, django_assert_max_num_queries):
    parcel = ParcelFactory()
    deeds.register(parcel, [(owners[0], HALF), (owners[1], HALF)], on=dt.date(2001, 1, 1))
    for year in range(2002, 2022):
        holder = owners[year % 2]
        deeds.transfer(parcel, [(holder, Fraction(1))], on=dt.date(year, 1, 1))

    with django_assert_max_num_queries(4):
        timeline = selectors.parcel_timeline(parcel.pk)
    assert len(timeline["entries"]) == 21


def test_no_personal_data_of_a_person_is_read(owners):
    parcel = ParcelFactory()
    deeds.register(parcel, [(owners[0], Fraction(1))], on=dt.date(2001, 1, 1))
    text = repr(selectors.parcel_timeline(parcel.pk))
    assert "Nguyễn Văn An" not in text
    assert owners[0].national_id not in text
