"""The register's acts, each recorded through transactions.deeds.services against real PostGIS.

Every refusal is checked to leave the journal and the current-state tables as they were.
"""

import datetime as dt
import itertools
import json
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone, translation

from landinfo.dates import register_day
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel, ParcelLineage
from tests.factories import (
    DEED_DAY,
    AdministrativeUnitFactory,
    ParcelFactory,
    PartyFactory,
    deed,
    entry_parcel,
    holders_now,
    mortgage_now,
    national_id,
    square,
)
from tests.landinfo.test_no_english import english_in
from transactions.deeds import services
from transactions.deeds.services import ChildParcel, PartyInput
from transactions.exceptions import (
    CorrectionRefused,
    DeedConflict,
    DeedRefused,
    IdempotencyKeyReused,
    NotFound,
    ParcelRetired,
    StaleDeed,
    TransferRefused,
    UnreadableInput,
)
from transactions.journal import hashing
from transactions.journal.verify import verify as verify_journal
from transactions.models import JournalEntry, Party, Right

pytestmark = pytest.mark.django_db

DAY = DEED_DAY  # deeds take effect on it unless a test says otherwise
REGISTERED_ON = dt.date(2020, 1, 1)
HALF, QUARTER = Fraction(1, 2), Fraction(1, 4)


@pytest.fixture(autouse=True)
def _english():
    """Refuse in English unless a test says otherwise: the messages are asserted in English.

    A refusal is worded in the language active where it is raised (the request's, in the
    API and the forms); test_a_refusal_speaks_the_active_language checks the others.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def clerk():
    """A signed-in user in no role."""
    return User.objects.create(username="clerk-test")


@pytest.fixture
def bank():
    return PartyFactory(kind=Party.Kind.ORGANISATION, name="Ngân hàng Mẫu", national_id=None)


def person(name, number):
    """Return a new person; a small int `number` stands for the profile's valid number n."""
    number = number if isinstance(number, str) else national_id(number)
    return PartyInput(kind="person", name=name, national_id=number)


def current(parcel, kind="ownership"):
    return {
        (r.holder.name, Fraction(r.share_numerator, r.share_denominator))
        for r in Right.objects.filter(
            parcel=parcel, kind=kind, valid_to__isnull=True, voided_by__isnull=True
        ).select_related("holder")
    }


def holder_id(name):
    return Party.objects.get(name=name).pk


def rectangle(x0, y0, x1, y1):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=STORAGE_SRID)


def slices(parcel, *cuts):
    """Return children cutting the parcel's bounding box at x offsets `cuts` (metres)."""
    x0, y0, x1, y1 = parcel.boundary.extent
    edges = [x0, *(x0 + cut for cut in cuts), x1]
    return [
        ChildParcel(rectangle(left, y0, right, y1)) for left, right in itertools.pairwise(edges)
    ]


def register(notary, parcel, *holders, day=REGISTERED_ON):
    """Register the parcel to `holders` ((name, share) pairs; national IDs made up)."""
    return services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[
            (person(name, national_id(zlib.crc32(name.encode()) % 10**5, series=9)), share)
            for name, share in holders
        ],
        deed=deed(notary, parcel.pk, day),
    )


def snapshot():
    """Return what a refused deed must leave as it was: every row the write side touches."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT count(*) FROM transactions_journalentry),
              (SELECT coalesce(max(sequence), 0) FROM transactions_journalentry),
              (SELECT count(*) FROM transactions_party),
              (SELECT count(*) FROM parcels_parcellineage),
              (SELECT md5(coalesce(string_agg(
                  concat_ws(',', id, valid_to, ended_by_id, voided_by_id), ';' ORDER BY id), ''))
               FROM transactions_right),
              (SELECT md5(coalesce(string_agg(
                  concat_ws(',', id, valid_to, retired_by_id), ';' ORDER BY id), ''))
               FROM parcels_parcel)
            """
        )
        return cursor.fetchone()


@contextmanager
def refused(exception: type[Exception], match: str | None = None) -> Iterator[object]:
    """Expect `exception` and assert that nothing was recorded or changed."""
    before = snapshot()
    with pytest.raises(exception, match=match) as info:
        yield info
    assert snapshot() == before


# --- first registration and transfer ----------------------------------------------------


def test_first_registration_then_share_transfer_keeps_the_parcel_whole(notary):
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[
            (person("Nguyễn Văn An", "001080000001"), HALF),
            (person("Trần Thị Bình", "001080000002"), HALF),
        ],
        deed=deed(notary, parcel.pk, REGISTERED_ON),
    )
    an = Right.objects.get(holder__name="Nguyễn Văn An").holder_id
    entry = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(an, QUARTER)],
        recipients=[(person("Lê Văn Cường", "001080000003"), QUARTER)],
        transfer_type="sale",
        price=Decimal("1000000000"),
        deed=deed(notary, parcel.pk),
    )
    assert current(parcel) == {
        ("Nguyễn Văn An", QUARTER),
        ("Trần Thị Bình", HALF),
        ("Lê Văn Cường", QUARTER),
    }
    payload = json.loads(entry.payload)
    assert payload["transferred"] == "1/4"
    assert {p["name"] for p in payload["parties"]} == {"Nguyễn Văn An", "Lê Văn Cường"}
    assert entry.sequence == 2
    assert entry.prev_hash == JournalEntry.objects.get(sequence=1).entry_hash


def test_first_registration_of_a_registered_parcel_is_refused(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    with refused(DeedConflict, "already registered"):
        register(notary, parcel, ("C D", 1), day=DAY)


def test_first_registration_with_shares_not_adding_up_is_refused(notary):
    parcel = ParcelFactory()
    with refused(DeedRefused, "add up to 3/4"):
        register(notary, parcel, ("A B", HALF), ("C D", QUARTER))


def test_transfer_of_the_whole_ends_every_right_and_begins_the_recipients(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    before = set(Right.objects.filter(parcel=parcel).values_list("pk", flat=True))
    entry = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("E F", 3), 1)],
        transfer_type="sale",
        price=500,
        deed=deed(notary, parcel.pk),
    )
    assert current(parcel) == {("E F", 1)}
    ended = Right.objects.filter(pk__in=before)
    assert {(r.valid_to, r.ended_by_id) for r in ended} == {(DAY, entry.sequence)}
    payload = json.loads(entry.payload)
    assert sorted(payload["rights_ended"]) == sorted(before)
    assert "transferred" not in payload  # the whole parcel changed hands
    assert payload["price"] == "500" and payload["transfer_type"] == "sale"


def test_transfer_to_several_recipients_splits_the_share(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.record_transfer(
        parcel_id=parcel.pk,
        recipients=[(person("C D", 2), HALF), (person("E F", 3), QUARTER)],
        transferors=[(holder_id("A B"), Fraction(3, 4))],
        transfer_type="inheritance",
        deed=deed(notary, parcel.pk),
    )
    assert current(parcel) == {("A B", QUARTER), ("C D", HALF), ("E F", QUARTER)}


def test_transfer_to_an_existing_co_holder_merges_the_shares_into_one_right(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    cd = holder_id("C D")
    entry = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), QUARTER)],
        recipients=[(cd, QUARTER)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    assert current(parcel) == {("A B", QUARTER), ("C D", Fraction(3, 4))}
    rights_of_cd = Right.objects.filter(parcel=parcel, holder_id=cd, valid_to__isnull=True)
    assert [r.begun_by_id for r in rights_of_cd] == [entry.sequence]
    assert Right.objects.filter(parcel=parcel, holder_id=cd, ended_by=entry).count() == 1


# Transfers the register refuses: who held the parcel (none: never registered), the
# terms that differ from a gift of everything to "C D" on DAY, and the refusal.
@pytest.mark.parametrize(
    ("holders", "terms", "error", "reason"),
    [
        pytest.param(
            [("A B", 1)],
            lambda: {"transfer_type": "gift", "price": 1000},
            DeedRefused,
            "A gift has no price",
            id="gift_with_a_price",
        ),
        pytest.param(
            [("A B", 1)],
            lambda: {"transfer_type": "sale"},
            DeedRefused,
            "states its price",
            id="sale_without_a_price",
        ),
        pytest.param(
            [("A B", 1)],
            lambda: {"recipients": [(person("C D", 2), HALF)]},
            DeedRefused,
            "add up to 1/2, but the transferors give 1",
            id="shares_that_do_not_add_up",
        ),
        pytest.param(
            [("A B", QUARTER), ("C D", Fraction(3, 4))],
            lambda: {
                "transferors": [(holder_id("A B"), HALF)],
                "recipients": [(person("E F", 3), HALF)],
            },
            TransferRefused,
            "holds 1/4 .* cannot transfer 1/2",
            id="more_than_the_transferor_holds",
        ),
        pytest.param(
            [("A B", 1)],
            lambda: {
                "transferors": [(PartyFactory().pk, 1)],
                "recipients": [(person("E F", 3), 1)],
            },
            TransferRefused,
            "holds no share",
            id="by_a_party_holding_nothing",
        ),
        pytest.param(
            [("A B", 1)],
            lambda: {
                "transferors": [(holder_id("A B"), HALF)],
                "recipients": [(holder_id("A B"), HALF)],
            },
            DeedRefused,
            "to themselves",
            id="to_oneself",
        ),
        pytest.param(
            None,
            dict,
            TransferRefused,
            "no registered holder",
            id="of_an_unregistered_parcel",
        ),
        pytest.param(
            [("A B", 1)],
            lambda: {"day": REGISTERED_ON},
            DeedRefused,
            "the date must be later",
            id="on_or_before_the_day_the_right_began",
        ),
    ],
)
def test_a_transfer_is_refused(notary, holders, terms, error, reason):
    parcel = ParcelFactory()
    if holders:
        register(notary, parcel, *holders)
    transfer = {
        "transferors": holders_now(parcel.pk),
        "recipients": [(person("C D", 2), 1)],
        "transfer_type": "gift",
        **terms(),
    }
    day = transfer.pop("day", DAY)
    with refused(error, reason):
        services.record_transfer(parcel_id=parcel.pk, deed=deed(notary, parcel.pk, day), **transfer)


def test_transfer_naming_a_national_id_of_another_party_is_refused(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    other = PartyFactory(name="Nguyễn Văn Khác")
    with refused(DeedRefused, "registered to another party"):
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(person("Trần Văn Mạo", other.national_id), 1)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk),
        )


def test_recipient_named_by_national_id_is_the_registered_party(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    known = PartyFactory(name="Nguyễn Văn An")
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        # The same person, typed without diacritics and with extra spaces.
        recipients=[(person("Nguyen  Van An", f" {known.national_id} "), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    (right,) = Right.objects.filter(parcel=parcel, valid_to__isnull=True)
    assert right.holder_id == known.pk


def test_a_party_stored_with_its_words_run_together_is_named_again_with_word_breaks(notary):
    # Stored before invisible characters were word breaks: "Trần<ZWJ>An" was kept "TrầnAn".
    stored = PartyFactory(name="TrầnXylophonQuuxb", national_id=national_id(7))
    parcel = ParcelFactory()
    register_as = PartyInput("person", "Trần\u200dXylophon\u200dQuuxb", national_id(7))
    services.record_first_registration(
        parcel_id=parcel.pk, holders=[(register_as, 1)], deed=deed(notary, parcel.pk)
    )
    assert Right.objects.get(parcel=parcel).holder_id == stored.pk


def test_transfer_query_count_does_not_grow_with_the_number_of_holders(
    notary, django_assert_max_num_queries
):
    small, large = ParcelFactory(), ParcelFactory()
    register(notary, small, ("H 0", 1))
    register(notary, large, *((f"H {n}", Fraction(1, 8)) for n in range(1, 9)))
    recipient = PartyFactory()
    queries = {}
    for parcel in (small, large):
        held = Right.objects.filter(parcel=parcel, valid_to__isnull=True)
        # Every holder gives half of their share and keeps the rest.
        given = [(r.holder_id, Fraction(r.share_numerator, 2 * r.share_denominator)) for r in held]
        terms = deed(notary, parcel.pk)
        # 14: the staleness check (one query) runs on every deed.
        with django_assert_max_num_queries(14) as captured:
            services.record_transfer(
                parcel_id=parcel.pk,
                transferors=given,
                recipients=[(recipient.pk, HALF)],
                transfer_type="gift",
                deed=terms,
            )
        queries[parcel.pk] = len(captured)
    assert queries[large.pk] == queries[small.pk]
    assert len(current(large)) == 9


# --- mortgage and discharge -------------------------------------------------------------


def test_mortgage_then_discharge_ends_the_mortgage(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    mortgage = services.record_mortgage(
        parcel_id=parcel.pk,
        lender=bank.pk,
        amount=Decimal("300000000"),
        deed=deed(notary, parcel.pk),
    )
    assert current(parcel, "mortgage") == {("Ngân hàng Mẫu", 1)}
    payload = json.loads(mortgage.payload)
    assert payload["amount"] == "300000000" and len(payload["rights_begun"]) == 1
    later = DAY + dt.timedelta(days=30)
    discharge = services.record_discharge(
        parcel_id=parcel.pk,
        mortgage_id=mortgage_now(parcel.pk),
        deed=deed(notary, parcel.pk, later),
    )
    assert current(parcel, "mortgage") == set()
    (right,) = Right.objects.filter(parcel=parcel, kind="mortgage")
    assert (right.valid_to, right.ended_by_id) == (later, discharge.sequence)
    assert current(parcel) == {("A B", 1)}


def test_second_mortgage_by_the_same_lender_is_refused(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk)
    )
    with refused(DeedConflict, "already holds a mortgage"):
        services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=20, deed=deed(notary, parcel.pk)
        )


def test_second_mortgage_by_a_lender_named_by_its_registration_number_is_refused(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    lender = PartyInput(kind="organisation", name="Ngân hàng Hai", national_id="0100112437")
    services.record_mortgage(
        parcel_id=parcel.pk, lender=lender, amount=10, deed=deed(notary, parcel.pk)
    )
    with refused(DeedConflict, "already holds a mortgage"):
        services.record_mortgage(
            parcel_id=parcel.pk, lender=lender, amount=20, deed=deed(notary, parcel.pk)
        )


def test_mortgages_by_two_lenders_stand_side_by_side(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    other = PartyFactory(kind=Party.Kind.ORGANISATION, name="Ngân hàng Khác", national_id=None)
    for lender in (bank, other):
        services.record_mortgage(
            parcel_id=parcel.pk, lender=lender.pk, amount=5, deed=deed(notary, parcel.pk)
        )
    assert current(parcel, "mortgage") == {("Ngân hàng Mẫu", 1), ("Ngân hàng Khác", 1)}
    later = DAY + dt.timedelta(days=1)
    other_right = Right.objects.get(parcel=parcel, holder=other)
    services.record_discharge(
        parcel_id=parcel.pk, mortgage_id=other_right.pk, deed=deed(notary, parcel.pk, later)
    )
    assert current(parcel, "mortgage") == {("Ngân hàng Mẫu", 1)}


@pytest.mark.parametrize(
    ("registered", "amount", "error", "reason"),
    [
        pytest.param(
            False, 10, DeedConflict, "no registered holder", id="of_an_unregistered_parcel"
        ),
        pytest.param(True, 0, DeedRefused, "states the amount", id="without_an_amount"),
    ],
)
def test_a_mortgage_is_refused(notary, bank, registered, amount, error, reason):
    parcel = ParcelFactory()
    if registered:
        register(notary, parcel, ("A B", 1))
    with refused(error, reason):
        services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=amount, deed=deed(notary, parcel.pk)
        )


def test_discharge_of_a_missing_mortgage_is_refused(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    with refused(DeedConflict, "no current mortgage 12345 to discharge"):
        services.record_discharge(
            parcel_id=parcel.pk, mortgage_id=12345, deed=deed(notary, parcel.pk)
        )
    services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk)
    )
    ownership = Right.objects.get(parcel=parcel, kind="ownership")
    with refused(DeedConflict, f"no current mortgage {ownership.pk} to discharge"):
        services.record_discharge(
            parcel_id=parcel.pk,
            mortgage_id=ownership.pk,
            deed=deed(notary, parcel.pk, DAY.replace(day=2)),
        )


def test_discharge_on_the_day_of_the_mortgage_is_refused(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk)
    )
    with refused(DeedRefused, "the date must be later"):
        services.record_discharge(
            parcel_id=parcel.pk, mortgage_id=mortgage_now(parcel.pk), deed=deed(notary, parcel.pk)
        )


@pytest.mark.every_profile
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("vi", ("Thửa đất", "chưa có người sử dụng đất", "thế chấp")),
        ("ko", ("필지", "소유자", "근저당권")),
    ],
)
def test_a_refusal_speaks_the_active_language(notary, bank, language, words):
    parcel = ParcelFactory()
    with translation.override(language), refused(DeedConflict) as info:
        services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk)
        )
    message = str(info.value)
    assert all(word in message for word in words), message
    assert parcel.identifier in message and not english_in(message), message
    # Days in the refusal are written as the language writes them (Korea 2001. 4. 17.,
    # Vietnam 17/04/2001), not as ISO dates.
    early = parcel.valid_from - dt.timedelta(days=1)
    holder = PartyFactory()
    with translation.override(language), refused(DeedRefused) as info:
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(holder.pk, 1)],
            deed=deed(notary, parcel.pk, early),
        )
    message = str(info.value)
    assert register_day(early, language) in message, message
    assert register_day(parcel.valid_from, language) in message, message
    assert early.isoformat() not in message and not english_in(message), message


# --- subdivision ------------------------------------------------------------------------


def _children_identifiers(profile, parent, numbers):
    """Return the identifiers the profile gives new parcels `numbers` of `parent`'s series."""
    if profile.key == "vn":  # commune-sheet-parcel: numbered on along the map sheet
        commune, sheet, number = parent.split("-")
        return [f"{commune}-{sheet}-{int(number) + n}" for n in numbers]
    return [f"{parent[:15]}{n:04d}" for n in numbers]  # PNU: sub lots of the main lot


@pytest.mark.every_profile
def test_subdivision_numbers_children_in_the_parents_series(notary, profile):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=slices(parcel, 5, 12), deed=deed(notary, parcel.pk)
    )
    children = Parcel.objects.filter(created_by=split).order_by("pk")
    assert [c.identifier for c in children] == _children_identifiers(
        profile, parcel.identifier, [1, 2, 3]
    )
    # A retired number is never given again: the next split numbers on after all of them.
    first = children[0]
    again = services.subdivide_parcel(
        parcel_id=first.pk,
        children=slices(first, 2),
        deed=deed(notary, first.pk, DAY.replace(day=2)),
    )
    assert [c.identifier for c in Parcel.objects.filter(created_by=again).order_by("pk")] == (
        _children_identifiers(profile, parcel.identifier, [4, 5])
    )


@pytest.mark.every_profile
def test_subdivision_retires_the_parent_and_copies_its_rights_to_each_child(notary, bank):
    parcel = ParcelFactory(registered_area=Decimal("333.33"))
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    services.record_mortgage(
        parcel_id=parcel.pk,
        lender=bank.pk,
        amount=10,
        deed=deed(notary, parcel.pk, dt.date(2021, 1, 1)),
    )
    parent_rights = set(Right.objects.filter(parcel=parcel).values_list("pk", flat=True))
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=slices(parcel, 7, 14), deed=deed(notary, parcel.pk)
    )
    parcel.refresh_from_db()  # retired, not deleted
    assert (parcel.valid_to, parcel.retired_by_id) == (DAY, split.sequence)
    children = list(Parcel.objects.filter(created_by=split).order_by("pk"))
    assert len(children) == 3
    assert all(c.valid_from == DAY and c.valid_to is None for c in children)
    assert all(
        c.land_use == parcel.land_use and c.admin_unit_id == parcel.admin_unit_id for c in children
    )
    # Shared out in proportion to the surveyed areas (7:7:6), to the cent; the rounding
    # remainder goes to the largest, so the parts sum to the parent's area exactly.
    assert sum(c.registered_area for c in children) == Decimal("333.33")
    assert [c.registered_area for c in children] == [
        Decimal("116.66"),
        Decimal("116.67"),
        Decimal("100.00"),
    ]
    assert abs(sum(c.boundary.area for c in children) - parcel.boundary.area) < 0.01
    lineage = ParcelLineage.objects.filter(parent=parcel)
    assert {(e.child_id, e.entry_id) for e in lineage} == {(c.pk, split.sequence) for c in children}
    for child in children:
        assert current(child) == {("A B", HALF), ("C D", HALF)}
        assert current(child, "mortgage") == {("Ngân hàng Mẫu", 1)}
    # Each copy keeps the day its right was registered: the mortgage still ranks from 2021.
    registered = {
        (right.kind, right.holder_id): right.valid_from
        for right in Right.objects.filter(pk__in=parent_rights)
    }
    copies = Right.objects.filter(begun_by=split)
    assert copies.count() == 3 * len(parent_rights)
    assert all(copy.valid_from == registered[copy.kind, copy.holder_id] for copy in copies)
    assert dt.date(2021, 1, 1) in {copy.valid_from for copy in copies}
    # The journal's audit reads the copies as carried over, not as rights dated before
    # their parcel existed.
    report = verify_journal()
    assert report.ok and not [note for note in report.notes if "refused now" in note]
    assert set(Right.objects.filter(ended_by=split).values_list("pk", flat=True)) == parent_rights
    assert not Right.objects.filter(parcel=parcel, valid_to__isnull=True).exists()


@pytest.mark.every_profile
@pytest.mark.parametrize(
    ("children", "figures"),
    [
        # x ranges (metres from the parent's west edge) of two children 20 m deep
        ([(0, 9), (10, 20)], "a gap of 20.00 m²"),
        ([(0, 11), (10, 20)], "an overlap of 20.00 m²"),
        ([(0, 10), (10, 21)], "an excess of 20.00 m²"),
        ([(0, 9.5), (10, 20.5)], "a gap of 10.00 m², an excess of 10.00 m²"),
    ],
)
def test_subdivision_not_covering_the_parent_is_refused_with_the_figures(notary, children, figures):
    parcel = ParcelFactory()
    x0, y0, _, y1 = parcel.boundary.extent
    drawn = [ChildParcel(rectangle(x0 + a, y0, x0 + b, y1)) for a, b in children]
    with refused(DeedRefused, f"{figures} \\(tolerance 0.1 m²\\)"):
        services.subdivide_parcel(parcel_id=parcel.pk, children=drawn, deed=deed(notary, parcel.pk))


@pytest.mark.every_profile
def test_subdivision_within_the_tolerance_is_accepted(notary):
    parcel = ParcelFactory()
    x0, y0, _, y1 = parcel.boundary.extent
    # A 4 mm sliver between the children: 0.08 m², under the default 0.1 m².
    drawn = [
        ChildParcel(rectangle(x0, y0, x0 + 10, y1)),
        ChildParcel(rectangle(x0 + 10.004, y0, x0 + 20, y1)),
    ]
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=drawn, deed=deed(notary, parcel.pk)
    )
    assert Parcel.objects.filter(created_by=split).count() == 2
    # The same sliver is refused when the deed states a tighter tolerance.
    other = ParcelFactory()
    x0, y0, _, y1 = other.boundary.extent
    drawn = [
        ChildParcel(rectangle(x0, y0, x0 + 10, y1)),
        ChildParcel(rectangle(x0 + 10.004, y0, x0 + 20, y1)),
    ]
    with refused(DeedRefused, "a gap of 0.08 m² \\(tolerance 0.05 m²\\)"):
        services.subdivide_parcel(
            parcel_id=other.pk,
            children=drawn,
            tolerance_m2=Decimal("0.05"),
            deed=deed(notary, other.pk),
        )


@pytest.mark.every_profile
def test_subdivision_taking_a_neighbours_ground_is_refused_whatever_its_stated_tolerance(notary):
    parcel = ParcelFactory(cell=(40, 40))
    neighbour = ParcelFactory(cell=(41, 40), admin_unit=parcel.admin_unit)
    x0, y0, _, y1 = parcel.boundary.extent
    # The second child reaches 5 m into the neighbour: 100 m², within the stated 150 m²
    # of excess over the parent, far beyond what a map permits between two parcels.
    drawn = [
        ChildParcel(rectangle(x0, y0, x0 + 10, y1)),
        ChildParcel(rectangle(x0 + 10, y0, x0 + 25, y1)),
    ]
    with (
        translation.override("en"),
        refused(DeedRefused, f"New parcel 2 reaches 100.00 m² into parcel {neighbour.identifier}"),
    ):
        services.subdivide_parcel(
            parcel_id=parcel.pk, children=drawn, tolerance_m2=150, deed=deed(notary, parcel.pk)
        )
    # A sliver of survey along the neighbour (2 cm: 0.4 m²) within the stated tolerance passes.
    drawn[1] = ChildParcel(rectangle(x0 + 10, y0, x0 + 20.02, y1))
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=drawn, tolerance_m2=1, deed=deed(notary, parcel.pk)
    )
    assert Parcel.objects.filter(created_by=split).count() == 2


@pytest.mark.every_profile
def test_new_parcels_taking_each_others_ground_are_refused_whatever_the_stated_tolerance(notary):
    parcel = ParcelFactory(cell=(44, 40))
    x0, y0, x1, y1 = parcel.boundary.extent
    # 1.5 m of shared strip, 30 m²: within the stated 50 m², beyond what a map permits
    # between two parcels of 160 m² (VN 0.4·√160 = 5.1 m², KR 0.81·√160·1.2 = 12.3 m²).
    drawn = [
        ChildParcel(rectangle(x0, y0, x0 + 9.5, y1)),
        ChildParcel(rectangle(x0 + 8, y0, x1, y1)),
    ]
    register(notary, parcel, ("A B", 1))
    with translation.override("en"), refused(DeedRefused, "New parcels 1 and 2 overlap by 30.00"):
        services.subdivide_parcel(
            parcel_id=parcel.pk, children=drawn, tolerance_m2=50, deed=deed(notary, parcel.pk)
        )
    # Digitising along their shared side (1 cm, 0.2 m²) is no one's land taken.
    drawn[1] = ChildParcel(rectangle(x0 + 9.49, y0, x1, y1))
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=drawn, tolerance_m2=1, deed=deed(notary, parcel.pk)
    )
    assert Parcel.objects.filter(created_by=split).count() == 2


def strips(parcel, count, reach):
    """Return `count` children in strips across the parcel, reaching `reach` m east of it."""
    x0, y0, x1, y1 = parcel.boundary.extent
    height = (y1 - y0) / count
    return [
        ChildParcel(rectangle(x0, y0 + n * height, x1 + reach, y0 + (n + 1) * height))
        for n in range(count)
    ]


@pytest.mark.every_profile
def test_subdivision_cutting_a_neighbours_strip_into_narrow_pieces_is_refused_for_the_whole(
    notary, profile
):
    parcel = ParcelFactory(cell=(40, 40))
    neighbour = ParcelFactory(cell=(41, 40), admin_unit=parcel.admin_unit)
    # A strip 1.5 times as wide as what the map cannot resolve along the neighbour's 20 m
    # west side: 1.5 times its tolerance (0.4 m and 12 m² of 8 m² at 1:1000 in Vietnam).
    unit = float(profile.permissible_area_error(1.0, profile.default_map_scale))
    tolerance = unit * neighbour.boundary.area**0.5
    excess = round(40 * unit, 2)  # the deed states more than it takes: the map decides
    # In two, each child takes more than its pair with the neighbour permits.
    with (
        translation.override("en"),
        refused(DeedRefused, f"New parcel 1 reaches .* into parcel {neighbour.identifier}"),
    ):
        services.subdivide_parcel(
            parcel_id=parcel.pk,
            children=strips(parcel, 2, 1.5 * unit),
            tolerance_m2=excess,
            deed=deed(notary, parcel.pk),
        )
    # In six, each is under its pair's tolerance; together they take the same strip.
    with (
        translation.override("en"),
        refused(
            DeedRefused,
            f"New parcels 1, 2, 3, 4, 5, 6 together take {30 * unit:.2f} m² of parcel "
            f"{neighbour.identifier}, beyond the {tolerance:.2f} m² its map permits for it",
        ),
    ):
        services.subdivide_parcel(
            parcel_id=parcel.pk,
            children=strips(parcel, 6, 1.5 * unit),
            tolerance_m2=excess,
            deed=deed(notary, parcel.pk),
        )


@pytest.mark.every_profile
def test_subdivision_with_slivers_of_survey_along_several_neighbours_passes(notary, profile):
    parcel = ParcelFactory(cell=(40, 40))
    ParcelFactory(cell=(41, 40), admin_unit=parcel.admin_unit)
    ParcelFactory(cell=(40, 41), admin_unit=parcel.admin_unit)
    unit = float(profile.permissible_area_error(1.0, profile.default_map_scale))
    # Six children reaching a quarter of what the map resolves into the east neighbour
    # (2 m² of its 8 m² in Vietnam), the top one as far into the north neighbour too.
    children = strips(parcel, 6, unit / 4)
    x0, _, x1, y1 = children[-1].boundary.extent
    children[-1] = ChildParcel(rectangle(x0, y1 - 20 / 6, x1, y1 + unit / 4))
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=children, tolerance_m2=20, deed=deed(notary, parcel.pk)
    )
    assert Parcel.objects.filter(created_by=split).count() == 6


def lowest_child(split: JournalEntry) -> Parcel:
    """Return the child of `split` along its parent's south side."""
    return min(Parcel.objects.filter(created_by=split), key=lambda c: c.boundary.extent[1])


@pytest.mark.every_profile
def test_subdivision_taking_what_an_earlier_one_left_of_a_neighbours_tolerance_is_refused(
    notary, profile
):
    parcel = ParcelFactory(cell=(40, 40))
    neighbour = ParcelFactory(cell=(41, 40), admin_unit=parcel.admin_unit)
    unit = float(profile.permissible_area_error(1.0, profile.default_map_scale))
    tolerance = unit * neighbour.boundary.area**0.5  # 20 units
    excess = round(40 * unit, 2)  # the deed states more than it takes: the map decides
    # Two halves 0.6 units into the neighbour: 12 of its 20 units.
    first = services.subdivide_parcel(
        parcel_id=parcel.pk,
        children=strips(parcel, 2, 0.6 * unit),
        tolerance_m2=excess,
        deed=deed(notary, parcel.pk),
    )
    half = lowest_child(first)
    # The south half in two, a unit further: 10 units more, within what one deed may
    # take, but the neighbour would have lost 22 units to current parcels.
    figures = r"(\d+\.\d\d)"
    with (
        translation.override("en"),
        refused(
            DeedRefused,
            f"New parcels 1, 2 take ground of parcel {neighbour.identifier}, which would "
            f"then have lost {figures} m² in all, {figures} m² of it already to current "
            f"parcels, beyond the {figures} m² its map permits for it",
        ) as info,
    ):
        services.subdivide_parcel(
            parcel_id=half.pk,
            children=strips(half, 2, unit),
            tolerance_m2=excess,
            deed=deed(notary, half.pk),
        )
    found = re.search(figures + " m² in all, " + figures + ".* the " + figures, str(info.value))
    assert found is not None
    # The children's corners are put on the grid: hundredths of a m² either way.
    assert [float(n) for n in found.groups()] == pytest.approx(
        [22 * unit, 12 * unit, tolerance], abs=0.02
    )


@pytest.mark.every_profile
def test_slivers_of_survey_along_a_neighbour_over_successive_subdivisions_pass(notary, profile):
    parcel = ParcelFactory(cell=(40, 40))
    ParcelFactory(cell=(41, 40), admin_unit=parcel.admin_unit)
    unit = float(profile.permissible_area_error(1.0, profile.default_map_scale))
    excess = round(10 * unit, 2)  # more than the deeds take; the children are larger
    # Six strips a quarter of a unit into the east neighbour (5 of its 20 units), then the
    # south one in two and its south half in two again, each a quarter of a unit further.
    split = services.subdivide_parcel(
        parcel_id=parcel.pk,
        children=strips(parcel, 6, unit / 4),
        tolerance_m2=excess,
        deed=deed(notary, parcel.pk),
    )
    for _ in range(2):
        child = lowest_child(split)
        split = services.subdivide_parcel(
            parcel_id=child.pk,
            children=strips(child, 2, unit / 4),
            tolerance_m2=excess,
            deed=deed(notary, child.pk),
        )
        assert Parcel.objects.filter(created_by=split).count() == 2


def test_subdivision_into_one_parcel_is_refused(notary):
    parcel = ParcelFactory()
    with refused(DeedRefused, "at least two"):
        services.subdivide_parcel(
            parcel_id=parcel.pk,
            children=[ChildParcel(parcel.boundary)],
            deed=deed(notary, parcel.pk),
        )


def test_subdivision_with_an_unknown_land_use_is_refused(notary):
    parcel = ParcelFactory()
    children = slices(parcel, 10)
    children[1] = ChildParcel(children[1].boundary, land_use="XYZ")
    with refused(DeedRefused, "Unknown land use XYZ"):
        services.subdivide_parcel(
            parcel_id=parcel.pk, children=children, deed=deed(notary, parcel.pk)
        )


def test_subdivision_drawn_in_wgs84_is_stored_in_the_projected_crs(notary):
    parcel = ParcelFactory()
    children = [
        ChildParcel(child.boundary.transform(4326, clone=True)) for child in slices(parcel, 10)
    ]
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=children, tolerance_m2=1, deed=deed(notary, parcel.pk)
    )
    made = Parcel.objects.filter(created_by=split)
    assert {c.boundary.srid for c in made} == {STORAGE_SRID}
    assert abs(sum(c.boundary.area for c in made) - 400) < 0.5


# --- merge ------------------------------------------------------------------------------


@pytest.fixture
def unit():
    return AdministrativeUnitFactory()


def neighbours(unit, *cells, **extra):
    return [ParcelFactory(admin_unit=unit, boundary=square(*cell), **extra) for cell in cells]


@pytest.mark.every_profile
def test_merge_of_adjacent_parcels_conserves_the_area_and_carries_the_rights(
    notary, unit, bank, profile
):
    west, east = neighbours(unit, (60, 60), (61, 60))
    for parcel in (west, east):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(person("A B", 1), HALF), (person("C D", 2), HALF)],
            deed=deed(notary, parcel.pk, REGISTERED_ON),
        )
        services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=5, deed=deed(notary, parcel.pk)
        )
    later = DAY + dt.timedelta(days=1)
    merged = services.merge_parcels(
        parcel_ids=[east.pk, west.pk], deed=deed(notary, [east.pk, west.pk], later)
    )
    new = Parcel.objects.get(created_by=merged)
    assert new.registered_area == west.registered_area + east.registered_area
    assert abs(new.boundary.area - 800) < 0.01
    assert new.boundary.num_geom == 1
    first = min(west.identifier, east.identifier)
    assert profile.identifier_series(new.identifier) == profile.identifier_series(first)
    assert new.identifier not in {west.identifier, east.identifier}
    for parent in (west, east):
        parent.refresh_from_db()
        assert (parent.valid_to, parent.retired_by_id) == (later, merged.sequence)
    assert set(ParcelLineage.objects.filter(child=new).values_list("parent_id", flat=True)) == {
        west.pk,
        east.pk,
    }
    # One right per holder and lender, not one per parent.
    assert current(new) == {("A B", HALF), ("C D", HALF)}
    assert current(new, "mortgage") == {("Ngân hàng Mẫu", 1)}
    assert Right.objects.filter(parcel=new).count() == 3


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param(((60, 60), (62, 60)), id="that_do_not_touch"),
        pytest.param(((60, 60), (61, 61)), id="touching_at_a_corner"),
    ],
)
def test_a_merge_of_parcels_not_sharing_an_edge_is_refused(notary, unit, cells):
    parcels = neighbours(unit, *cells)
    with refused(DeedRefused, "not adjacent"):
        services.merge_parcels(
            parcel_ids=[p.pk for p in parcels], deed=deed(notary, [p.pk for p in parcels])
        )


def test_merge_of_parcels_with_different_holders_is_refused(notary, unit):
    west, east = neighbours(unit, (60, 60), (61, 60))
    register(notary, west, ("A B", 1))
    register(notary, east, ("A B", HALF), ("C D", HALF))
    with refused(DeedConflict, "same holders with the same shares"):
        services.merge_parcels(parcel_ids=[west.pk, east.pk], deed=deed(notary, [west.pk, east.pk]))


def test_merge_of_parcels_with_different_lenders_is_refused(notary, unit, bank):
    west, east = neighbours(unit, (60, 60), (61, 60))
    owner = PartyFactory()
    for parcel in (west, east):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(owner.pk, 1)],
            deed=deed(notary, parcel.pk, REGISTERED_ON),
        )
    services.record_mortgage(
        parcel_id=west.pk, lender=bank.pk, amount=5, deed=deed(notary, west.pk)
    )
    with refused(DeedConflict, "not mortgaged to the same lenders"):
        services.merge_parcels(parcel_ids=[west.pk, east.pk], deed=deed(notary, [west.pk, east.pk]))


def test_merge_of_parcels_with_different_land_uses_is_refused(notary, unit, profile):
    west = ParcelFactory(admin_unit=unit, boundary=square(60, 60))
    east = ParcelFactory(
        admin_unit=unit, boundary=square(61, 60), land_use=profile.land_uses[1].code
    )
    with refused(DeedRefused, "different land uses"):
        services.merge_parcels(parcel_ids=[west.pk, east.pk], deed=deed(notary, [west.pk, east.pk]))


def test_merge_of_parcels_in_different_units_is_refused(notary):
    west = ParcelFactory(boundary=square(60, 60))
    east = ParcelFactory(boundary=square(61, 60))
    with refused(DeedRefused, "different units"):
        services.merge_parcels(parcel_ids=[west.pk, east.pk], deed=deed(notary, [west.pk, east.pk]))


def test_merge_of_a_parcel_with_itself_is_refused(notary, unit):
    (parcel,) = neighbours(unit, (60, 60))
    with refused(DeedRefused, "two or more"):
        services.merge_parcels(
            parcel_ids=[parcel.pk, parcel.pk], deed=deed(notary, [parcel.pk, parcel.pk])
        )


# --- correction -------------------------------------------------------------------------


def test_reversal_of_a_transfer_restores_the_holders_before_it(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    transfer = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(holder_id("C D"), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    assert current(parcel) == {("C D", 1)}
    correction = services.record_correction(
        corrects=transfer.sequence,
        mode="reverse",
        reason="Wrong deed",
        deed=deed(registrar, entry_parcel(transfer.sequence)),
    )
    assert current(parcel) == {("A B", HALF), ("C D", HALF)}
    # The restored rights keep the day they began; the transfer's rights never were.
    restored = Right.objects.filter(begun_by=correction)
    assert {r.valid_from for r in restored} == {REGISTERED_ON}
    assert set(Right.objects.filter(voided_by=correction).values_list("begun_by", flat=True)) == {
        1,
        transfer.sequence,
    }
    payload = json.loads(correction.payload)
    assert (payload["corrects"], payload["mode"]) == (transfer.sequence, "reverse")


def test_amendment_of_a_transfer_replaces_its_recipients(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    transfer = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    correction = services.record_correction(
        corrects=transfer.sequence,
        mode="amend",
        reason="The heirs were misread",
        holders=[(person("E F", 3), HALF), (person("G H", 4), HALF)],
        deed=deed(registrar, entry_parcel(transfer.sequence)),
    )
    assert current(parcel) == {("E F", HALF), ("G H", HALF)}
    assert {r.valid_from for r in Right.objects.filter(begun_by=correction)} == {DAY}


def test_amendment_of_a_share_transfer_must_keep_the_share(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    transfer = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("E F", 3), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    with refused(DeedRefused, "must add up to 1/2"):
        services.record_correction(
            corrects=transfer.sequence,
            mode="amend",
            reason="Misread",
            holders=[(person("G H", 4), 1)],
            deed=deed(registrar, entry_parcel(transfer.sequence)),
        )
    services.record_correction(
        corrects=transfer.sequence,
        mode="amend",
        reason="Misread",
        holders=[(person("G H", 4), HALF)],
        deed=deed(registrar, entry_parcel(transfer.sequence)),
    )
    assert current(parcel) == {("C D", HALF), ("G H", HALF)}


def test_amendment_naming_a_holder_of_another_share_is_refused(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    transfer = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("E F", 3), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    with refused(CorrectionRefused, r"Party \d+ would hold two ownership rights on parcel"):
        services.record_correction(
            corrects=transfer.sequence,
            mode="amend",
            reason="The recipient was the co-holder",
            holders=[(holder_id("C D"), HALF)],
            deed=deed(registrar, entry_parcel(transfer.sequence)),
        )


def test_reversal_and_amendment_of_a_first_registration(notary, registrar):
    parcel = ParcelFactory()
    first = register(notary, parcel, ("A B", 1))
    services.record_correction(
        corrects=first.sequence,
        mode="amend",
        reason="Name misread",
        holders=[(person("A C", 9), 1)],
        deed=deed(registrar, entry_parcel(first.sequence)),
    )
    assert current(parcel) == {("A C", 1)}
    other = ParcelFactory()
    first = register(notary, other, ("A B", 1))
    services.record_correction(
        corrects=first.sequence,
        mode="reverse",
        reason="Not ours",
        deed=deed(registrar, entry_parcel(first.sequence)),
    )
    assert current(other) == set()
    # The parcel is unregistered again: a first registration may follow.
    register(notary, other, ("E F", 1), day=DAY + dt.timedelta(days=1))
    assert current(other) == {("E F", 1)}


def test_reversal_of_a_mortgage_and_of_a_discharge(notary, registrar, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    mortgage = services.record_mortgage(
        parcel_id=parcel.pk,
        lender=bank.pk,
        amount=5,
        deed=deed(notary, parcel.pk, dt.date(2021, 1, 1)),
    )
    discharge = services.record_discharge(
        parcel_id=parcel.pk, mortgage_id=mortgage_now(parcel.pk), deed=deed(notary, parcel.pk)
    )
    undo = services.record_correction(
        corrects=discharge.sequence,
        mode="reverse",
        reason="Not paid",
        deed=deed(registrar, entry_parcel(discharge.sequence)),
    )
    (restored,) = Right.objects.filter(
        parcel=parcel, kind="mortgage", valid_to__isnull=True, voided_by__isnull=True
    )
    assert (restored.holder_id, restored.valid_from) == (bank.pk, dt.date(2021, 1, 1))
    # The mortgage's own right was voided by the reversal, which restored a copy of it.
    with refused(CorrectionRefused, f"changed by entry #{undo.sequence}"):
        services.record_correction(
            corrects=mortgage.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(mortgage.sequence)),
        )
    with refused(CorrectionRefused, "only the holders of a first registration or transfer"):
        services.record_correction(
            corrects=discharge.sequence,
            mode="amend",
            reason="x",
            deed=deed(registrar, entry_parcel(discharge.sequence)),
        )
    other = ParcelFactory()
    register(notary, other, ("A B", 1))
    mortgage = services.record_mortgage(
        parcel_id=other.pk, lender=bank.pk, amount=5, deed=deed(notary, other.pk)
    )
    services.record_correction(
        corrects=mortgage.sequence,
        mode="reverse",
        reason="Wrong parcel",
        deed=deed(registrar, entry_parcel(mortgage.sequence)),
    )
    assert current(other, "mortgage") == set()


def test_reversal_of_a_discharge_when_the_lender_holds_a_new_mortgage_is_refused(
    notary, registrar, bank
):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.record_mortgage(
        parcel_id=parcel.pk,
        lender=bank.pk,
        amount=5,
        deed=deed(notary, parcel.pk, dt.date(2021, 1, 1)),
    )
    discharge = services.record_discharge(
        parcel_id=parcel.pk,
        mortgage_id=mortgage_now(parcel.pk),
        deed=deed(notary, parcel.pk, dt.date(2022, 1, 1)),
    )
    again = services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=7, deed=deed(notary, parcel.pk)
    )
    with refused(CorrectionRefused, f"entry #{again.sequence}"):
        services.record_correction(
            corrects=discharge.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(discharge.sequence)),
        )


def test_reversal_restoring_a_share_its_holder_holds_again_is_refused(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    away = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("E F", 3), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2022, 1, 1)),
    )
    back = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("C D"), HALF)],
        recipients=[(holder_id("A B"), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    with refused(CorrectionRefused, f"correct entry #{back.sequence} first"):
        services.record_correction(
            corrects=away.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(away.sequence)),
        )


def test_reversal_restoring_a_right_over_a_share_its_holder_held_since_is_refused(
    notary, registrar
):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    away = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("E F", 3), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2022, 1, 1)),
    )
    back = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("C D"), HALF)],
        recipients=[(holder_id("A B"), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2023, 1, 1)),
    )
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("G H", 4), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    # A B holds nothing now, but held the other half in 2023: restoring A B's first half
    # from 2020 on would make two rights of A B at once.
    with refused(CorrectionRefused, f"at once: one from 2023-01-01 \\(entry #{back.sequence}\\)"):
        services.record_correction(
            corrects=away.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(away.sequence)),
        )


def test_amendment_naming_a_former_holder_is_accepted(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("E F", 3), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2022, 1, 1)),
    )
    later = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("C D"), HALF)],
        recipients=[(person("G H", 4), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    # A B's own half ended in 2022, before the amended deed's day: no two rights at once.
    services.record_correction(
        corrects=later.sequence,
        mode="amend",
        reason="The buyer was A B",
        holders=[(holder_id("A B"), HALF)],
        deed=deed(registrar, entry_parcel(later.sequence)),
    )
    assert current(parcel) == {("E F", HALF), ("A B", HALF)}


def test_backdated_transfer_giving_a_party_two_rights_at_once_is_refused(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", HALF), ("C D", HALF))
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("A B"), HALF)],
        recipients=[(person("E F", 3), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2024, 3, 1)),
    )
    # C D's half, given to A B as of 2022, while A B still held their own half until 2024.
    with refused(DeedConflict, r"Party \d+ would hold two ownership rights .* one from 2020-01-01"):
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=[(holder_id("C D"), HALF)],
            recipients=[(holder_id("A B"), HALF)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, dt.date(2022, 1, 1)),
        )
    # Backdated to a day that leaves no overlap, the same deed stands.
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(holder_id("C D"), HALF)],
        recipients=[(holder_id("A B"), HALF)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2024, 3, 1)),
    )
    assert current(parcel) == {("E F", HALF), ("A B", HALF)}


def test_correction_of_a_right_a_later_deed_changed_is_refused(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    first = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, dt.date(2022, 1, 1)),
    )
    second = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("E F", 3), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk),
    )
    with refused(CorrectionRefused, f"changed by entry #{second.sequence}; correct that entry"):
        services.record_correction(
            corrects=first.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(first.sequence)),
        )
    # Corrected once, an entry is not corrected again: its rights are void.
    services.record_correction(
        corrects=second.sequence,
        mode="reverse",
        reason="x",
        deed=deed(registrar, entry_parcel(second.sequence)),
    )
    with refused(CorrectionRefused, "was changed by entry"):
        services.record_correction(
            corrects=second.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(second.sequence)),
        )


def test_correction_of_a_subdivision_is_refused(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=slices(parcel, 10), deed=deed(notary, parcel.pk)
    )
    with refused(CorrectionRefused, "undone by a new merge"):
        services.record_correction(
            corrects=split.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(split.sequence)),
        )


def test_correction_of_a_merge_or_a_correction_is_refused(notary, registrar, unit):
    west, east = neighbours(unit, (60, 60), (61, 60))
    merge = services.merge_parcels(
        parcel_ids=[west.pk, east.pk], deed=deed(notary, [west.pk, east.pk])
    )
    with refused(CorrectionRefused, "a merge"):
        services.record_correction(
            corrects=merge.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(merge.sequence)),
        )
    parcel = ParcelFactory()
    first = register(notary, parcel, ("A B", 1))
    correction = services.record_correction(
        corrects=first.sequence,
        mode="amend",
        reason="x",
        holders=[(person("A C", 9), 1)],
        deed=deed(registrar, entry_parcel(first.sequence)),
    )
    with refused(CorrectionRefused, "a correction"):
        services.record_correction(
            corrects=correction.sequence,
            mode="reverse",
            reason="x",
            deed=deed(registrar, entry_parcel(correction.sequence)),
        )


def test_correction_without_a_reason_or_of_a_missing_entry_is_refused(notary, registrar):
    parcel = ParcelFactory()
    first = register(notary, parcel, ("A B", 1))
    with refused(NotFound, "no journal entry #99"):
        services.record_correction(
            corrects=99, mode="reverse", reason="x", deed=deed(registrar, entry_parcel(99))
        )
    with refused(DeedRefused, "Unknown correction mode"):
        services.record_correction(
            corrects=first.sequence,
            mode="erase",
            reason="x",
            deed=deed(registrar, entry_parcel(first.sequence)),
        )
    with refused(UnreadableInput, "The reason is empty"):
        services.record_correction(
            corrects=first.sequence,
            mode="reverse",
            reason="  ",
            deed=deed(registrar, entry_parcel(first.sequence)),
        )


# --- the steps every act shares ---------------------------------------------------------


def test_deed_taking_effect_in_the_future_is_refused(notary):
    parcel = ParcelFactory()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with refused(DeedRefused, "after today"):
        register(notary, parcel, ("A B", 1), day=tomorrow)


# A deed is never dated before what it acts on: its parcel's first day, the rights it
# ends, the holders' rights a mortgage is granted from, the entry a correction corrects.
EXISTS_FROM = dt.date(2010, 5, 1)  # the parcels' first day in these tests
EARLIEST = dt.date(1, 1, 1)


def _before_the_parcel(notary, registrar, bank, kind, day):
    """Record a deed of `kind` dated `day` on parcels that exist from EXISTS_FROM."""
    unit = AdministrativeUnitFactory()
    parcel = ParcelFactory(valid_from=EXISTS_FROM, admin_unit=unit, boundary=square(50, 50))
    if kind == "first_registration":
        return lambda: register(notary, parcel, ("A B", 1), day=day)
    if kind == "subdivision of a parcel nobody holds":
        return lambda: services.subdivide_parcel(
            parcel_id=parcel.pk, children=slices(parcel, 10), deed=deed(notary, parcel.pk, day)
        )
    if kind == "merge of parcels nobody holds":
        neighbour = ParcelFactory(admin_unit=unit, boundary=square(51, 50))  # since 2000
        both = [parcel.pk, neighbour.pk]
        return lambda: services.merge_parcels(parcel_ids=both, deed=deed(notary, both, day))
    registration = register(notary, parcel, ("A B", 1), day=EXISTS_FROM)
    if kind == "transfer":
        return lambda: services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(person("C D", 2), 1)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, day),
        )
    if kind == "mortgage":
        return lambda: services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk, day)
        )
    if kind == "discharge":
        services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk, DAY)
        )
        return lambda: services.record_discharge(
            parcel_id=parcel.pk,
            mortgage_id=mortgage_now(parcel.pk),
            deed=deed(notary, parcel.pk, day),
        )
    if kind == "subdivision":
        return lambda: services.subdivide_parcel(
            parcel_id=parcel.pk, children=slices(parcel, 10), deed=deed(notary, parcel.pk, day)
        )
    if kind == "merge":
        neighbour = ParcelFactory(valid_from=EXISTS_FROM, admin_unit=unit, boundary=square(51, 50))
        register(notary, neighbour, ("A B", 1), day=EXISTS_FROM)
        both = [parcel.pk, neighbour.pk]
        return lambda: services.merge_parcels(parcel_ids=both, deed=deed(notary, both, day))
    assert kind == "correction"
    return lambda: services.record_correction(
        corrects=registration.sequence,
        mode="reverse",
        reason="Nhầm.",
        deed=deed(registrar, parcel.pk, day),
    )


DEED_KINDS = [
    "first_registration",
    "transfer",
    "mortgage",
    "discharge",
    "subdivision",
    "merge",
    "correction",
    "subdivision of a parcel nobody holds",
    "merge of parcels nobody holds",
]


@pytest.mark.parametrize("day", [EARLIEST, EXISTS_FROM - dt.timedelta(days=1)])
@pytest.mark.parametrize("kind", DEED_KINDS)
def test_a_deed_dated_before_its_parcel_existed_is_refused(notary, registrar, bank, kind, day):
    record = _before_the_parcel(notary, registrar, bank, kind, day)
    with refused(DeedRefused, "the date must be"):
        record()


def test_a_first_registration_on_the_parcels_first_day_is_recorded(notary):
    parcel = ParcelFactory(valid_from=EXISTS_FROM)
    register(notary, parcel, ("A B", 1), day=EXISTS_FROM)
    assert current(parcel) == {("A B", 1)}


def test_a_mortgage_dated_before_its_grantors_held_the_parcel_is_refused(notary, bank):
    parcel = ParcelFactory()  # exists since 2000: only the holders' right is later
    register(notary, parcel, ("A B", 1))
    for day in (dt.date(2000, 1, 1), REGISTERED_ON - dt.timedelta(days=1)):
        with refused(DeedRefused, f"hold the parcel only since {REGISTERED_ON}"):
            services.record_mortgage(
                parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk, day)
            )
    # The day the holders' right began is theirs: a purchase financed by the mortgage.
    services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk, REGISTERED_ON)
    )
    assert Right.objects.get(parcel=parcel, kind="mortgage").valid_from == REGISTERED_ON


def test_a_transfer_dated_before_a_mortgage_its_holders_granted_since_is_refused(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", Fraction(1, 2)), ("C D", Fraction(1, 2)))  # REGISTERED_ON
    granted_on = REGISTERED_ON + dt.timedelta(days=400)
    mortgage = services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=10, deed=deed(notary, parcel.pk, granted_on)
    )
    before = REGISTERED_ON + dt.timedelta(days=100)  # after the holders' rights began
    a_b = [(holder, share) for holder, share in holders_now(parcel.pk) if share == Fraction(1, 2)]
    with refused(DeedRefused, f"granted a mortgage on {granted_on}"):
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=a_b[:1],
            recipients=[(person("E F", 3), Fraction(1, 2))],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, before),
        )
    # From the mortgage's day on, the land passes with the mortgage on it; once it is
    # discharged, a transfer of an earlier day no longer takes it from its grantors.
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=a_b[:1],
        recipients=[(person("E F", 3), Fraction(1, 2))],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, granted_on),
    )
    mortgage_right = Right.objects.get(begun_by=mortgage)
    services.record_discharge(
        parcel_id=parcel.pk, mortgage_id=mortgage_right.pk, deed=deed(notary, parcel.pk, DAY)
    )
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=[(h, s) for h, s in holders_now(parcel.pk) if h == a_b[1][0]],
        recipients=[(person("G H", 4), Fraction(1, 2))],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, before),
    )


def test_a_correction_dated_before_the_entry_it_corrects_is_refused(notary, registrar):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    gift = services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, DAY),
    )
    with refused(DeedRefused, f"before entry #{gift.sequence} it corrects"):
        services.record_correction(
            corrects=gift.sequence,
            mode="reverse",
            reason="Nhầm.",
            deed=deed(registrar, parcel.pk, DAY - dt.timedelta(days=1)),
        )
    services.record_correction(
        corrects=gift.sequence, mode="reverse", reason="Nhầm.", deed=deed(registrar, parcel.pk)
    )
    assert current(parcel) == {("A B", 1)}


def test_deed_on_a_retired_parcel_is_refused_with_409(notary, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.subdivide_parcel(
        parcel_id=parcel.pk, children=slices(parcel, 10), deed=deed(notary, parcel.pk)
    )
    later = deed(notary, parcel, DAY + dt.timedelta(days=1))
    acts = [
        lambda: services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(bank.pk, 1)],
            transfer_type="gift",
            deed=later,
        ),
        lambda: services.record_mortgage(parcel_id=parcel.pk, lender=bank.pk, amount=1, deed=later),
        lambda: services.subdivide_parcel(
            parcel_id=parcel.pk, children=slices(parcel, 5), deed=later
        ),
    ]
    for act in acts:
        with refused(ParcelRetired, "was retired on 2024-03-01") as info:
            act()
        assert info.value.status == 409


def test_deed_on_a_missing_parcel_is_refused_with_404(notary):
    with refused(NotFound, "no parcel with id 0") as info:
        services.record_first_registration(
            parcel_id=0, holders=[(person("A B", 1), 1)], deed=deed(notary, 0)
        )
    assert info.value.status == 404


def test_a_deed_made_against_an_entry_the_parcel_never_reached_says_so(notary):
    parcel = ParcelFactory()
    with refused(StaleDeed, re.escape("was not at entry #7 (it has no entry yet)")):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(person("A B", 1), Fraction(1))],
            deed=deed(notary, parcel.pk, expected_last_entry=7),
        )
    first = register(notary, parcel, ("A B", 1))
    with refused(StaleDeed, re.escape(f"not at entry #{first.sequence + 5} (its last entry is #")):
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(person("C D", 2), 1)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, expected_last_entry=first.sequence + 5),
        )


def test_stale_deed_is_refused(notary):
    parcel = ParcelFactory()
    first = register(notary, parcel, ("A B", 1))
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, expected_last_entry=first.sequence),
    )
    with refused(StaleDeed, f"entry #2 was recorded after #{first.sequence}") as info:
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(person("E F", 3), 1)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, DAY.replace(day=2), expected_last_entry=first.sequence),
        )
    assert info.value.status == 409
    with refused(TransferRefused):
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=[(holder_id("A B"), 1)],
            recipients=[(person("E F", 3), 1)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, DAY.replace(day=2)),
        )


def test_deed_on_an_unchanged_parcel_is_fresh_even_after_deeds_on_others(notary):
    parcel, other = ParcelFactory(), ParcelFactory()
    first = register(notary, parcel, ("A B", 1))
    register(notary, other, ("C D", 1))
    assert services.last_entry([parcel.pk]) == first.sequence
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("E F", 3), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, expected_last_entry=first.sequence),
    )
    # A parcel no deed has touched is expected at 0.
    services.record_first_registration(
        parcel_id=ParcelFactory().pk,
        holders=[(person("G H", 4), 1)],
        deed=deed(notary, [], expected_last_entry=0),
    )


def test_same_idempotency_key_and_request_returns_the_same_entry(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    retry = deed(notary, parcel, idempotency_key="key-1", request_sha256="a" * 64)

    def transfer():
        return services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(person("C D", 2), 1)],
            transfer_type="gift",
            deed=retry,
        )

    entry = transfer()
    assert not getattr(entry, "replayed", False)
    before = snapshot()
    again = transfer()
    assert again.sequence == entry.sequence and again.replayed
    assert snapshot() == before


def test_same_idempotency_key_with_another_request_is_refused(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.record_transfer(
        parcel_id=parcel.pk,
        transferors=holders_now(parcel.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="gift",
        deed=deed(notary, parcel.pk, idempotency_key="key-1", request_sha256="a" * 64),
    )
    with refused(IdempotencyKeyReused, "different request") as info:
        services.record_transfer(
            parcel_id=parcel.pk,
            transferors=holders_now(parcel.pk),
            recipients=[(person("E F", 3), 1)],
            transfer_type="gift",
            deed=deed(notary, parcel.pk, idempotency_key="key-1", request_sha256="b" * 64),
        )
    assert info.value.status == 422


def test_same_idempotency_key_from_another_user_is_refused(notary):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    other = User.objects.create(username="notary-2")
    other.groups.add(Group.objects.get(name="notary"))
    other = User.objects.get(pk=other.pk)
    arguments = {
        "parcel_id": parcel.pk,
        "transferors": holders_now(parcel),
        "recipients": [(person("C D", 2), 1)],
        "transfer_type": "gift",
    }
    services.record_transfer(
        **arguments, deed=deed(notary, parcel, idempotency_key="key-1", request_sha256="a" * 64)
    )
    with refused(IdempotencyKeyReused):
        services.record_transfer(
            **arguments, deed=deed(other, parcel, idempotency_key="key-1", request_sha256="a" * 64)
        )


def test_user_without_the_permission_is_refused(notary, clerk, bank):
    parcel = ParcelFactory()
    first = register(notary, parcel, ("A B", 1))
    other = ParcelFactory()
    with refused(PermissionDenied, "transactions.record_deed"):
        register(clerk, other, ("C D", 1))
    with refused(PermissionDenied):
        services.record_mortgage(
            parcel_id=parcel.pk, lender=bank.pk, amount=1, deed=deed(clerk, parcel.pk)
        )
    # Recording deeds is not correcting them: that is the registrar's.
    with refused(PermissionDenied, "transactions.correct_deed"):
        services.record_correction(
            corrects=first.sequence,
            mode="reverse",
            reason="x",
            deed=deed(notary, entry_parcel(first.sequence)),
        )


def test_every_entry_chains_to_the_one_before(notary, registrar, bank):
    parcel = ParcelFactory()
    register(notary, parcel, ("A B", 1))
    services.record_mortgage(
        parcel_id=parcel.pk, lender=bank.pk, amount=1, deed=deed(notary, parcel.pk)
    )
    split = services.subdivide_parcel(
        parcel_id=parcel.pk,
        children=slices(parcel, 10),
        deed=deed(notary, parcel.pk, DAY.replace(day=2)),
    )
    child = Parcel.objects.filter(created_by=split).first()
    transfer = services.record_transfer(
        parcel_id=child.pk,
        transferors=holders_now(child.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="gift",
        deed=deed(notary, child.pk, DAY.replace(day=3)),
    )
    services.record_correction(
        corrects=transfer.sequence,
        mode="reverse",
        reason="x",
        deed=deed(registrar, entry_parcel(transfer.sequence), DAY.replace(day=4)),
    )
    previous = hashing.GENESIS_HASH
    for number, entry in enumerate(JournalEntry.objects.order_by("sequence"), 1):
        assert entry.sequence == number and entry.prev_hash == previous
        assert entry.entry_hash == hashing.entry_hash(
            previous,
            entry.sequence,
            entry.payload,
            recorded_at=entry.recorded_at,
            recorded_by=entry.recorded_by_id,
            document_sha256=entry.document_sha256,
        )
        assert hashing.canonical_json(json.loads(entry.payload)) == entry.payload
        previous = entry.entry_hash
    assert number == 5


def test_subdivide_merge_mortgage_and_correct(notary, registrar):
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(person("A B", 1), 1)],
        deed=deed(notary, parcel.pk, REGISTERED_ON),
    )
    services.record_mortgage(
        parcel_id=parcel.pk,
        lender=PartyInput(kind="organisation", name="Bank"),
        amount=10,
        deed=deed(notary, parcel.pk, dt.date(2021, 1, 1)),
    )
    x0, y0 = parcel.boundary.extent[:2]
    halves = [
        ChildParcel(rectangle(x0, y0, x0 + 10, y0 + 20)),
        ChildParcel(rectangle(x0 + 10, y0, x0 + 20, y0 + 20)),
    ]
    split = services.subdivide_parcel(
        parcel_id=parcel.pk, children=halves, deed=deed(notary, parcel.pk, dt.date(2022, 1, 1))
    )
    parcel.refresh_from_db()
    assert parcel.valid_to == dt.date(2022, 1, 1) and parcel.retired_by_id == split.sequence
    children = list(Parcel.objects.filter(created_by=split).order_by("identifier"))
    assert len(children) == 2
    assert sum(c.registered_area for c in children) == parcel.registered_area
    assert ParcelLineage.objects.filter(parent=parcel).count() == 2
    assert all(current(c) == {("A B", 1)} for c in children)
    merged = services.merge_parcels(
        parcel_ids=[c.pk for c in children],
        deed=deed(notary, [c.pk for c in children], dt.date(2023, 1, 1)),
    )
    new = Parcel.objects.get(created_by=merged)
    assert abs(new.boundary.area - parcel.boundary.area) < 0.01
    transfer = services.record_transfer(
        parcel_id=new.pk,
        transferors=holders_now(new.pk),
        recipients=[(person("C D", 2), 1)],
        transfer_type="inheritance",
        deed=deed(notary, new.pk),
    )
    assert current(new) == {("C D", 1)}
    services.record_correction(
        corrects=transfer.sequence,
        mode="reverse",
        reason="Wrong heir",
        deed=deed(registrar, entry_parcel(transfer.sequence)),
    )
    assert current(new) == {("A B", 1)}
    with pytest.raises(DeedRefused):
        services.subdivide_parcel(
            parcel_id=new.pk, children=halves[:1] * 2, deed=deed(notary, new.pk)
        )
