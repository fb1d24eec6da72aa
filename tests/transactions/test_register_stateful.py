"""Random sequences of deeds, recorded by transactions.deeds.services and checked against a model.

The model is a plain in-memory register: parcels as rectangles with their registered
areas, and rights with the entries that began, ended and voided them. Each rule draws a
deed (sometimes one the register must refuse), predicts the refusal or the change from
the model, records the deed and compares. After every step the Right and Parcel rows
must equal the model's, shares sum to 1, no holder holds two rights of one kind on a
parcel, and the journal's chain recomputes; at the end of each example `verify_ledger`
must find that replaying the journal rebuilds the tables.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID
from parcels.models import Parcel
from tests.factories import (
    ORIGIN_X,
    ORIGIN_Y,
    AdministrativeUnitFactory,
    ParcelFactory,
    PartyFactory,
    national_id,
    square,
    user_with_role,
)
from transactions.deeds import services
from transactions.deeds.services import ChildParcel, DeedInput, PartyInput
from transactions.exceptions import (
    CorrectionRefused,
    DeedConflict,
    DeedRefused,
    ParcelRetired,
    StaleDeed,
    TransferRefused,
)
from transactions.journal import hashing
from transactions.models import JournalEntry, Party, Right
from transactions.shares import Share

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.every_profile]

START = dt.date(2001, 1, 1)
SIDE = 20  # metres: the side of a factory square
OWNERSHIP, MORTGAGE = "ownership", "mortgage"
CORRECTABLE = {"first_registration", "transfer", "mortgage", "discharge"}
AMENDABLE = {"first_registration", "transfer"}

# A holder as a rule names it: a party's id, or the national ID of a person the deed
# describes and the register makes.
Holder = int | str


@dataclass
class Lot:
    """A parcel as the model knows it: a rectangle, x and y in metres from the origin."""

    id: int
    identifier: str
    x0: int
    x1: int
    y0: int
    land_use: str
    area: Decimal
    created_by: int | None = None
    retired_by: int | None = None
    retired_on: dt.date | None = None

    @property
    def current(self) -> bool:
        return self.retired_by is None

    @property
    def width(self) -> int:
        return self.x1 - self.x0


@dataclass
class Held:
    """A right as the model knows it."""

    id: int
    parcel: int
    holder: int
    kind: str
    share: Fraction
    valid_from: dt.date
    begun_by: int
    valid_to: dt.date | None = None
    ended_by: int | None = None
    voided_by: int | None = None

    @property
    def current(self) -> bool:
        return self.ended_by is None and self.voided_by is None

    def row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.parcel,
            self.holder,
            self.kind,
            self.share,
            self.valid_from,
            self.valid_to,
            self.begun_by,
            self.ended_by,
            self.voided_by,
        )


@dataclass
class Change:
    """What the model predicts an accepted deed does. A begun right is (parcel, holder,
    kind, share, valid_from); its parcel is an index into `made` for a parcel it makes."""

    ended: list[Held] = field(default_factory=list)
    voided: list[Held] = field(default_factory=list)
    begun: list[tuple[Any, Holder, str, Fraction, dt.date]] = field(default_factory=list)
    retired: list[Lot] = field(default_factory=list)
    made: list[dict[str, Any]] = field(default_factory=list)  # x0, x1, land_use


@dataclass
class Deed:
    sequence: int
    kind: str
    parcel: int
    day: dt.date


def rectangle(x0: float, x1: float, y0: float) -> MultiPolygon:
    box = (ORIGIN_X + x0, ORIGIN_Y + y0, ORIGIN_X + x1, ORIGIN_Y + y0 + SIDE)
    return MultiPolygon(Polygon.from_bbox(box), srid=STORAGE_SRID)


def snapshot() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT count(*) FROM transactions_journalentry),
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


def split(data: st.DataObject, whole: Fraction, count: int) -> list[Fraction]:
    """Draw `count` positive shares that sum to `whole`."""
    weights = [data.draw(st.integers(1, 3)) for _ in range(count)]
    return [whole * weight / sum(weights) for weight in weights]


def first_refusal(*checks: tuple[Any, type[Exception]]) -> type[Exception] | None:
    """Return the refusal of the first check that fails, in the order the service checks."""
    return next((refusal for failed, refusal in checks if failed), None)


def rarely(data: st.DataObject) -> bool:
    """Draw True about one time in five: a deed the register must refuse."""
    return data.draw(st.integers(0, 4)) == 0


class Register(RuleBasedStateMachine):
    """The register driven by random deeds; `notary` and `registrar` are set by the test."""

    notary: User
    registrar: User

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the test's empty database and leaves nothing behind.
        self.savepoint = transaction.savepoint()
        self.profile = get_profile()
        self.day = START
        self.unit = AdministrativeUnitFactory()
        self.persons = [PartyFactory() for _ in range(4)]
        self.banks = [
            PartyFactory(kind=Party.Kind.ORGANISATION, name=f"Ngân hàng {n}", national_id=None)
            for n in range(2)
        ]
        self.new_ids = itertools.count(1)
        self.lots: dict[int, Lot] = {}
        self.rights: dict[int, Held] = {}
        self.deeds: list[Deed] = []
        self.chain = (0, hashing.GENESIS_HASH)
        # Four survey parcels in a row: two side by side (x from 40 to 80) that can merge,
        # and one of another land use; subdivisions make more neighbours.
        other_use = self.profile.land_uses[1].code
        for col, land_use in ((0, None), (2, None), (3, None), (5, other_use)):
            extra = {"land_use": land_use} if land_use else {}
            parcel = ParcelFactory(admin_unit=self.unit, boundary=square(col, 0), **extra)
            self.lots[parcel.pk] = Lot(
                parcel.pk,
                parcel.identifier,
                col * SIDE,
                (col + 1) * SIDE,
                0,
                parcel.land_use,
                parcel.registered_area,
            )
        self.identifiers = {lot.identifier for lot in self.lots.values()}
        # Two neighbours held by one person, ready to merge; one parcel held in halves.
        first, second, third, _ = sorted(self.lots)
        owner, one, other = (party.pk for party in self.persons[:3])
        for parcel, holders in (
            (second, [(owner, Fraction(1))]),
            (third, [(owner, Fraction(1))]),
            (first, [(one, Fraction(1, 2)), (other, Fraction(1, 2))]),
        ):
            entry = services.record_first_registration(
                parcel_id=parcel, holders=holders, deed=self.deed(self.notary, parcel)
            )
            self.adopt(
                entry, Change(begun=[(parcel, h, OWNERSHIP, s, self.day) for h, s in holders])
            )

    def teardown(self) -> None:
        try:
            if self.deeds:
                call_command("verify_ledger", verbosity=0, stdout=_Null())
        finally:
            transaction.savepoint_rollback(self.savepoint)

    # --- what the model reads ---

    def next_day(self) -> dt.date:
        self.day += dt.timedelta(days=1)
        return self.day

    def current(self, parcel: int, kind: str) -> dict[int, Held]:
        return {
            r.holder: r
            for r in self.rights.values()
            if r.parcel == parcel and r.kind == kind and r.current
        }

    def last_entry(self, parcel: int) -> int:
        lot = self.lots[parcel]
        touched = [lot.created_by or 0, lot.retired_by or 0]
        for r in self.rights.values():
            if r.parcel == parcel:
                touched += [r.begun_by, r.ended_by or 0, r.voided_by or 0]
        return max(touched)

    def pick_lot(self, data: st.DataObject, prefer: Any = None) -> Lot:
        """Draw a current parcel, mostly one `prefer` accepts; now and then a retired one."""
        lots = sorted(self.lots.values(), key=lambda lot: lot.id)
        retired = [lot for lot in lots if not lot.current]
        if retired and rarely(data):
            return data.draw(st.sampled_from(retired))
        current = [lot for lot in lots if lot.current]
        preferred = [lot for lot in current if prefer is None or prefer(lot)]
        if preferred and not rarely(data):
            return data.draw(st.sampled_from(preferred))
        return data.draw(st.sampled_from(current))

    def registered(self, lot: Lot) -> bool:
        return bool(self.current(lot.id, OWNERSHIP))

    def pick_holders(
        self, data: st.DataObject, count: int, avoid: Any = (), include: Any = ()
    ) -> list[Holder]:
        """Draw `count` different parties: known persons (not in `avoid`, one of `include`
        when given), or new ones the deed describes."""
        chosen: list[Holder] = [data.draw(st.sampled_from(sorted(include)))] if include else []
        pool: list[Holder] = [p.pk for p in self.persons if p.pk not in avoid]
        while len(chosen) < count:
            left = [p for p in pool if p not in chosen]
            if not left or data.draw(st.integers(0, 3)) == 0:
                chosen.append(national_id(next(self.new_ids), series=9))
            else:
                chosen.append(data.draw(st.sampled_from(left)))
        return chosen

    @staticmethod
    def ref(holder: Holder) -> int | PartyInput:
        if isinstance(holder, int):
            return holder
        return PartyInput(kind="person", name=f"Người Mới {holder[-4:]}", national_id=holder)

    def deed(self, user: User, *parcels: int, **extra: Any) -> DeedInput:
        """Return the deed's common terms, made against `parcels` as the model has them."""
        extra.setdefault("expected_last_entry", max(self.last_entry(p) for p in parcels))
        return DeedInput(effective_date=self.next_day(), recorded_by=user, **extra)

    # --- recording and comparing ---

    def record(self, refusal: type[Exception] | None, act: Any, change: Change | None) -> None:
        """Record the deed `act` makes; it must raise `refusal`, or make `change`."""
        if refusal is not None:
            before = snapshot()
            with pytest.raises(refusal):
                act()
            assert snapshot() == before, "a refused deed changed the register"
            return
        assert change is not None
        entry = act()
        self.adopt(entry, change)

    def adopt(self, entry: JournalEntry, change: Change) -> None:
        """Check the entry's payload against the predicted change and apply it to the model."""
        payload = json.loads(entry.payload)
        day = entry.effective_date
        assert day == self.day
        assert sorted(payload["rights_ended"]) == sorted(r.id for r in change.ended)
        assert sorted(payload.get("rights_voided", [])) == sorted(r.id for r in change.voided)
        assert payload.get("parcels_retired", []) == [lot.id for lot in change.retired]
        created = payload.get("parcels_created", [])
        assert len(created) == len(change.made)
        made_ids = [parcel["id"] for parcel in created]

        def holder_id(holder: Holder) -> int:
            if isinstance(holder, int):
                return holder
            return Party.objects.get(national_id=holder).pk

        def parcel_id(parcel: Any) -> int:
            return parcel if isinstance(parcel, int) else made_ids[parcel[1]]

        predicted = Counter(
            (parcel_id(p), holder_id(h), kind, share, valid_from)
            for p, h, kind, share, valid_from in change.begun
        )
        deed_parcel = payload["parcel"]["id"]
        begun = [
            (
                right.get("parcel", deed_parcel),
                right["holder"],
                right["kind"],
                Share.parse(right["share"]),
                dt.date.fromisoformat(right["valid_from"]) if "valid_from" in right else day,
                right["id"],
            )
            for right in payload["rights_begun"]
        ]
        assert Counter(b[:5] for b in begun) == predicted

        for right in change.voided:
            right.voided_by = entry.sequence
        for right in change.ended:
            right.valid_to, right.ended_by = day, entry.sequence
        for lot in change.retired:
            lot.retired_by, lot.retired_on = entry.sequence, day
        for parcel, spec in zip(created, change.made, strict=True):
            assert parcel["land_use"] == spec["land_use"]
            assert parcel["identifier"] not in self.identifiers, "an identifier was reused"
            self.identifiers.add(parcel["identifier"])
            self.lots[parcel["id"]] = Lot(
                parcel["id"],
                parcel["identifier"],
                spec["x0"],
                spec["x1"],
                spec["y0"],
                spec["land_use"],
                Decimal(parcel["registered_area"]),
                created_by=entry.sequence,
            )
        for parcel, holder, kind, share, valid_from, right_id in begun:
            self.rights[right_id] = Held(
                right_id, parcel, holder, kind, share, valid_from, entry.sequence
            )
        self.deeds.append(Deed(entry.sequence, entry.kind, deed_parcel, day))

    # --- the acts ---

    @rule(data=st.data())
    def first_registration(self, data: st.DataObject) -> None:
        lot = self.pick_lot(data, lambda lot: not self.registered(lot))
        holders = self.pick_holders(data, data.draw(st.integers(1, 3)))
        shares = split(data, Fraction(1), len(holders))
        if rarely(data):
            shares[0] /= 2
        refusal = first_refusal(
            (not lot.current, ParcelRetired),
            (self.current(lot.id, OWNERSHIP), DeedConflict),
            (sum(shares) != 1, DeedRefused),
        )
        day = self.day + dt.timedelta(days=1)
        change = Change(
            begun=[(lot.id, h, OWNERSHIP, s, day) for h, s in zip(holders, shares, strict=True)]
        )
        self.record(
            refusal,
            lambda: services.record_first_registration(
                parcel_id=lot.id,
                holders=[(self.ref(h), s) for h, s in zip(holders, shares, strict=True)],
                deed=self.deed(self.notary, lot.id),
            ),
            change,
        )

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        lot = self.pick_lot(data, self.registered)
        held = self.current(lot.id, OWNERSHIP)
        # At most one fault a notary could make, so most deeds are accepted.
        fault = data.draw(st.sampled_from([None] * 5 + ["more", "sum", "self", "price", "stale"]))
        whole = not held or data.draw(st.booleans())
        if whole:
            given = [(holder, right.share) for holder, right in held.items()]
        else:
            givers = data.draw(st.lists(st.sampled_from(sorted(held)), min_size=1, unique=True))
            given = [
                (g, held[g].share * data.draw(st.sampled_from([1, Fraction(1, 2)]))) for g in givers
            ]
            if fault == "more":  # more than the transferor holds
                given[0] = (given[0][0], given[0][1] + Fraction(1, 4))
        transferred = sum((share for _, share in given), Fraction(0))
        giving = {holder for holder, _ in given}
        recipients = self.pick_holders(
            data,
            data.draw(st.integers(1, 2)),
            avoid=giving,
            include=giving if fault == "self" else (),
        )
        shares = split(data, transferred or Fraction(1), len(recipients))
        if fault == "sum":
            shares[0] /= 2
        gift = data.draw(st.booleans())
        price = 100 if not gift or fault == "price" else 0
        expected = self.last_entry(lot.id) - (1 if fault == "stale" else 0)

        refusal = first_refusal(
            (not lot.current, ParcelRetired),
            (fault == "stale", StaleDeed),
            (not held, TransferRefused),
            (any(not 0 < share <= held[h].share for h, share in given), TransferRefused),
            (sum(shares) != transferred, DeedRefused),
            (giving & set(recipients), DeedRefused),
            (gift and price, DeedRefused),
        )

        day = self.day + dt.timedelta(days=1)
        change = Change()
        if refusal is None:
            after: dict[Holder, Fraction] = {}
            for holder, share in given:
                if held[holder].share > share:
                    after[holder] = held[holder].share - share
            for holder, share in zip(recipients, shares, strict=True):
                after[holder] = share + (held[holder].share if holder in held else 0)
            change.ended = [held[h] for h in giving] + [
                held[h] for h in recipients if h in held and isinstance(h, int)
            ]
            change.begun = [(lot.id, h, OWNERSHIP, s, day) for h, s in after.items()]
        self.record(
            refusal,
            lambda: services.record_transfer(
                parcel_id=lot.id,
                transferors=given,
                recipients=[(self.ref(h), s) for h, s in zip(recipients, shares, strict=True)],
                transfer_type="gift" if gift else "sale",
                price=price,
                deed=self.deed(self.notary, lot.id, expected_last_entry=expected),
            ),
            change,
        )

    @rule(data=st.data())
    def mortgage(self, data: st.DataObject) -> None:
        lot = self.pick_lot(data, self.registered)
        lender = data.draw(st.sampled_from(self.banks)).pk
        refusal = first_refusal(
            (not lot.current, ParcelRetired),
            (not self.current(lot.id, OWNERSHIP), DeedConflict),
            (lender in self.current(lot.id, MORTGAGE), DeedConflict),
        )
        day = self.day + dt.timedelta(days=1)
        self.record(
            refusal,
            lambda: services.record_mortgage(
                parcel_id=lot.id, lender=lender, amount=100, deed=self.deed(self.notary, lot.id)
            ),
            Change(begun=[(lot.id, lender, MORTGAGE, Fraction(1), day)]),
        )

    @rule(data=st.data())
    def discharge(self, data: st.DataObject) -> None:
        lot = self.pick_lot(data, lambda lot: self.current(lot.id, MORTGAGE))
        mortgages = sorted(self.current(lot.id, MORTGAGE).values(), key=lambda r: r.id)
        named = data.draw(st.sampled_from([*mortgages, "missing"]))
        mortgage_id = 10**9 if named == "missing" else named.id
        chosen = [r for r in mortgages if r.id == mortgage_id]
        refusal = first_refusal((not lot.current, ParcelRetired), (not chosen, DeedConflict))
        self.record(
            refusal,
            lambda: services.record_discharge(
                parcel_id=lot.id, mortgage_id=mortgage_id, deed=self.deed(self.notary, lot.id)
            ),
            Change(ended=chosen[:1]),
        )

    @rule(data=st.data())
    def subdivision(self, data: st.DataObject) -> None:
        lot = self.pick_lot(data, lambda lot: lot.width >= 2)
        count = data.draw(st.integers(2, 3)) if lot.width >= 3 else 2
        cuts = (
            sorted(
                data.draw(
                    st.lists(
                        st.integers(lot.x0 + 1, lot.x1 - 1),
                        min_size=count - 1,
                        max_size=count - 1,
                        unique=True,
                    )
                )
            )
            if lot.width >= 2
            else []
        )
        edges = [lot.x0, *cuts, lot.x1]
        uses = [
            lot.land_use if data.draw(st.integers(0, 3)) else self.profile.land_uses[2].code
            for _ in range(len(edges) - 1)
        ]
        gap = rarely(data)
        drawn = [
            (left, right - (0.5 if gap and n == 0 else 0))
            for n, (left, right) in enumerate(itertools.pairwise(edges))
        ]
        refusal = first_refusal(
            (not lot.current, ParcelRetired),
            (len(drawn) < 2 or gap, DeedRefused),
        )
        change = Change()
        if refusal is None:
            rights = sorted(
                (r for r in self.rights.values() if r.parcel == lot.id and r.current),
                key=lambda r: r.id,
            )
            change.ended = rights
            change.retired = [lot]
            change.made = [
                {"x0": left, "x1": right, "y0": lot.y0, "land_use": use}
                for (left, right), use in zip(drawn, uses, strict=True)
            ]
            change.begun = [
                # A copy keeps the day its right was registered.
                (("made", n), r.holder, r.kind, r.share, r.valid_from)
                for n in range(len(drawn))
                for r in rights
            ]
        before = len(self.deeds)
        self.record(
            refusal,
            lambda: services.subdivide_parcel(
                parcel_id=lot.id,
                children=[
                    ChildParcel(rectangle(left, right, lot.y0), land_use=use)
                    for (left, right), use in zip(drawn, uses, strict=True)
                ],
                deed=self.deed(self.notary, lot.id),
            ),
            change,
        )
        if len(self.deeds) > before:
            children = [
                self.lots[pk]
                for pk in sorted(self.lots)
                if self.lots[pk].created_by == self.deeds[-1].sequence
            ]
            self.check_area(parents=[lot], children=children)
            series = self.profile.identifier_series(lot.identifier)
            assert all(
                self.profile.identifier_series(child.identifier) == series for child in children
            )

    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        current = sorted((lot for lot in self.lots.values() if lot.current), key=lambda lot: lot.id)
        pairs = [
            (a, b)
            for a, b in itertools.combinations(current, 2)
            if a.y0 == b.y0 and (a.x1 == b.x0 or b.x1 == a.x0)
        ]
        if pairs and data.draw(st.integers(0, 3)):
            first, second = data.draw(st.sampled_from(pairs))
        else:
            first = self.pick_lot(data)
            second = self.pick_lot(data)

        def holders(lot: Lot, kind: str) -> frozenset[tuple[int, Fraction]]:
            return frozenset((h, r.share) for h, r in self.current(lot.id, kind).items())

        refusal = first_refusal(
            (not (first.current and second.current), ParcelRetired),
            (first.id == second.id, DeedRefused),  # "a merge joins two or more parcels"
            (first.land_use != second.land_use, DeedRefused),
            (holders(first, OWNERSHIP) != holders(second, OWNERSHIP), DeedConflict),
            (holders(first, MORTGAGE) != holders(second, MORTGAGE), DeedConflict),
            (not (first.x1 == second.x0 or second.x1 == first.x0), DeedRefused),
        )
        change = Change()
        if refusal is None:
            ended = [
                r
                for lot in (first, second)
                for r in sorted(self.rights.values(), key=lambda r: r.id)
                if r.parcel == lot.id and r.current
            ]
            change.ended = ended
            change.retired = [first, second]
            change.made = [
                {
                    "x0": min(first.x0, second.x0),
                    "x1": max(first.x1, second.x1),
                    "y0": first.y0,
                    "land_use": first.land_use,
                }
            ]
            change.begun = [
                # One copy per holder, registered on the earliest day of its rights.
                (
                    ("made", 0),
                    holder,
                    kind,
                    share,
                    min(r.valid_from for r in ended if (r.kind, r.holder) == (kind, holder)),
                )
                for kind, holder, share in {(r.kind, r.holder, r.share) for r in ended}
            ]
        before = len(self.deeds)
        self.record(
            refusal,
            lambda: services.merge_parcels(
                parcel_ids=[first.id, second.id], deed=self.deed(self.notary, first.id, second.id)
            ),
            change,
        )
        if len(self.deeds) > before:
            (merged,) = [
                lot for lot in self.lots.values() if lot.created_by == self.deeds[-1].sequence
            ]
            self.check_area(parents=[first, second], children=[merged])
            lowest = min(first.identifier, second.identifier)
            assert self.profile.identifier_series(merged.identifier) == (
                self.profile.identifier_series(lowest)
            )

    @rule(data=st.data())
    def correction(self, data: st.DataObject) -> None:
        if not self.deeds:
            return
        # Mostly one of the latest deeds a correction can still reach: of a kind it corrects,
        # on a current parcel, and whose rights no later deed changed.
        latest = [
            deed
            for deed in self.deeds
            if deed.kind in CORRECTABLE
            and self.lots[deed.parcel].current
            and all(r.current for r in self.rights.values() if r.begun_by == deed.sequence)
        ][-3:]
        target = (
            data.draw(st.sampled_from(latest))
            if latest and not rarely(data)
            else data.draw(st.sampled_from(self.deeds))
        )
        amend = data.draw(st.booleans())
        begun = [r for r in self.rights.values() if r.begun_by == target.sequence]
        gone = sorted(
            (
                r
                for r in self.rights.values()
                if r.ended_by == target.sequence and r.voided_by is None
            ),
            key=lambda r: r.id,
        )
        whole = sum((r.share for r in begun), Fraction(0))
        # The holders of the parcel's other shares: an amendment cannot name them.
        others = {
            r.holder
            for r in self.rights.values()
            if r.parcel == target.parcel and r.current and r.begun_by != target.sequence
        }
        fault = data.draw(st.sampled_from([None] * 3 + ["sum", "co-holder"]))
        holders = (
            self.pick_holders(
                data,
                data.draw(st.integers(1, 2)),
                avoid=others,
                include=others if fault == "co-holder" else (),
            )
            if amend
            else []
        )
        shares = split(data, whole or Fraction(1), len(holders)) if amend else []
        if amend and fault == "sum":
            shares[0] /= 2

        voided = begun + ([] if amend else gone)
        restored = (
            [
                (target.parcel, h, OWNERSHIP, s, target.day)
                for h, s in zip(holders, shares, strict=True)
            ]
            if amend
            else [(target.parcel, r.holder, r.kind, r.share, r.valid_from) for r in gone]
        )
        # A restored right runs from its first day on: no right of the same holder and
        # kind that stands (not voided) may overlap it, whether current or since ended.
        twice = any(
            r.parcel == parcel
            and r.holder == holder
            and r.kind == kind
            and r.voided_by is None
            and r not in voided
            and (r.valid_to is None or start < r.valid_to)
            for parcel, holder, kind, _, start in restored
            for r in self.rights.values()
        )
        refusal = first_refusal(
            (target.kind not in CORRECTABLE, CorrectionRefused),
            (not self.lots[target.parcel].current, ParcelRetired),
            (amend and target.kind not in AMENDABLE, CorrectionRefused),
            (any(not r.current for r in begun), CorrectionRefused),  # a later deed changed it
            (amend and sum(shares) != whole, DeedRefused),
            (not voided, CorrectionRefused),
            (twice, CorrectionRefused),
        )
        self.record(
            refusal,
            lambda: services.record_correction(
                corrects=target.sequence,
                mode="amend" if amend else "reverse",
                reason="Sai sót khi nhập",
                holders=[(self.ref(h), s) for h, s in zip(holders, shares, strict=True)],
                deed=self.deed(self.registrar, target.parcel),
            ),
            Change(voided=voided, begun=restored),
        )

    # --- what must hold after every step ---

    def check_area(self, *, parents: list[Lot], children: list[Lot]) -> None:
        """Registered areas are conserved exactly; surveyed areas to a hundredth of a m²."""
        assert sum(c.area for c in children) == sum(p.area for p in parents)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(ST_Area(boundary)) FILTER (WHERE id = ANY(%s)), 0), "
                "coalesce(sum(ST_Area(boundary)) FILTER (WHERE id = ANY(%s)), 0) "
                "FROM parcels_parcel",
                [[p.id for p in parents], [c.id for c in children]],
            )
            before, after = cursor.fetchone()
        assert abs(before - after) < 0.01
        assert abs(after - SIDE * sum(c.width for c in children)) < 0.01

    @invariant()
    def rights_are_the_models(self) -> None:
        rows = {
            (
                r.pk,
                r.parcel_id,
                r.holder_id,
                r.kind,
                Fraction(r.share_numerator, r.share_denominator),
                r.valid_from,
                r.valid_to,
                r.begun_by_id,
                r.ended_by_id,
                r.voided_by_id,
            )
            for r in Right.objects.all()
        }
        assert rows == {right.row() for right in self.rights.values()}

    @invariant()
    def parcels_are_the_models(self) -> None:
        rows = {
            (
                p.pk,
                p.identifier,
                p.land_use,
                p.registered_area,
                p.created_by_id,
                p.retired_by_id,
                p.valid_to,
            )
            for p in Parcel.objects.all()
        }
        assert rows == {
            (
                lot.id,
                lot.identifier,
                lot.land_use,
                lot.area,
                lot.created_by,
                lot.retired_by,
                lot.retired_on,
            )
            for lot in self.lots.values()
        }

    @invariant()
    def every_current_parcel_is_held_whole_once_per_holder(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT r.parcel_id, r.share_numerator, r.share_denominator
                FROM transactions_right r JOIN parcels_parcel p ON p.id = r.parcel_id
                WHERE r.kind = 'ownership' AND r.valid_to IS NULL AND r.voided_by_id IS NULL
                  AND p.valid_to IS NULL
                """
            )
            totals: dict[int, Fraction] = {}
            for parcel, numerator, denominator in cursor.fetchall():
                totals[parcel] = totals.get(parcel, Fraction(0)) + Fraction(numerator, denominator)
            cursor.execute(
                """
                SELECT parcel_id, holder_id, kind FROM transactions_right
                WHERE valid_to IS NULL AND voided_by_id IS NULL
                GROUP BY parcel_id, holder_id, kind HAVING count(*) > 1
                """
            )
            twice = cursor.fetchall()
            cursor.execute(
                "SELECT count(*) FROM transactions_right r JOIN parcels_parcel p "
                "ON p.id = r.parcel_id WHERE p.valid_to IS NOT NULL AND r.valid_to IS NULL "
                "AND r.voided_by_id IS NULL"
            )
            (on_retired,) = cursor.fetchone()
        assert all(total == 1 for total in totals.values()), totals
        assert twice == []
        assert on_retired == 0

    @invariant()
    def journal_is_gap_free_and_chained(self) -> None:
        last, previous = self.chain
        for entry in JournalEntry.objects.filter(sequence__gt=last).order_by("sequence"):
            assert entry.sequence == last + 1
            assert entry.prev_hash == previous
            assert entry.entry_hash == hashing.entry_hash(
                previous,
                entry.sequence,
                entry.payload,
                recorded_at=entry.recorded_at,
                recorded_by=entry.recorded_by_id,
                document_sha256=entry.document_sha256,
            )
            last, previous = entry.sequence, entry.entry_hash
        assert last == len(self.deeds)
        self.chain = (last, previous)


class _Null:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def test_register_matches_its_model_through_random_sequences_of_deeds() -> None:
    Register.notary = user_with_role("notary", "notary-stateful")
    Register.registrar = user_with_role("registrar", "registrar-stateful")
    run_state_machine_as_test(
        Register,
        settings=settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
