"""Notaries racing on one parcel, over HTTP, against a real server and database.

pytest-django's live server is Django's threaded WSGI server: each request runs in its
own thread with its own PostgreSQL connection and its own transaction, as in
production. The requests of a race are released together by a barrier.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection

from tests.factories import ParcelFactory, api_token_for, current_entry, holders_now, national_id
from transactions.deeds import services
from transactions.deeds.services import DeedInput, PartyInput
from transactions.models import JournalEntry, Party, Right

pytestmark = pytest.mark.slow

URL = "/api/transactions/"
# The figures: fifty notaries at once, and twenty retries of one request.
RACERS = 50
RETRIES = 20
TIMEOUT = 120  # seconds for one request: the racers queue on the parcel's row lock
REGISTERED_ON = dt.date(2020, 1, 1)
DAY = "2024-03-01"


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


@pytest.fixture
def notary(transactional_db, notary) -> User:
    """Return the notary, committed: the threads' own connections see it."""
    return notary


@pytest.fixture
def token(notary) -> str:
    return api_token_for(notary)


@pytest.fixture
def parcel(notary):
    """Return a parcel registered to one person, by a committed deed."""
    parcel = ParcelFactory()
    services.record_first_registration(
        parcel_id=parcel.pk,
        holders=[(PartyInput(kind="person", name="Nguyễn Văn An", national_id="001080000001"), 1)],
        deed=DeedInput(
            effective_date=REGISTERED_ON,
            recorded_by=notary,
            expected_last_entry=current_entry(parcel.pk),
        ),
    )
    return parcel


@pytest.fixture
def server(live_server) -> str:
    """Return the live server's URL, its socket able to queue every racer's connection.

    Django's test server listens with a backlog of 10 (WSGIServer.request_queue_size):
    fifty connections at once overflow it and the kernel resets the surplus before the
    application sees them. That is the test server's limit, not the register's (gunicorn
    queues 2048); on Linux, listening again on the bound socket widens the queue.
    """
    live_server.thread.httpd.socket.listen(4 * RACERS)
    return live_server.url


def post(url: str, token: str, key: str, body: dict[str, Any]) -> Answer:
    """POST a deed; return the answer, whatever its status."""
    request = urllib.request.Request(  # noqa: S310 - the live server's http:// URL
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), json.loads(response.read()))
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            body = json.loads(text)
        except ValueError:
            body = {"unparsed": text.decode(errors="replace")[:2000]}
        return Answer(error.code, dict(error.headers), body)


def at_once(count: int, send: Callable[[int], Answer]) -> list[Answer]:
    """Run `send(0)` ... `send(count - 1)` in `count` threads released together."""
    barrier = threading.Barrier(count)
    answers: list[Answer | BaseException | None] = [None] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = send(n)
        except BaseException as error:  # a timeout or a reset: reported below
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT + 30)
    failed = [answer for answer in answers if not isinstance(answer, Answer)]
    assert failed == [], f"{len(failed)} requests got no answer: {failed[:3]}"
    return answers  # type: ignore[return-value]


def transfer(parcel, expected: int, recipient: int) -> dict[str, Any]:
    """Return the sale of the whole parcel, from its holders as they are now, to a new person."""
    return {
        "kind": "transfer",
        "parcel": parcel.pk,
        "effective_date": DAY,
        "expected_last_entry": expected,
        "transfer_type": "sale",
        "price": "1000",
        "transferors": [
            {"party": holder, "share": f"{share.numerator}/{share.denominator}"}
            for holder, share in holders_now(parcel)
        ],
        "recipients": [
            {
                "party": {
                    "kind": "person",
                    "name": f"Người Mua {recipient}",
                    "national_id": national_id(recipient, series=9),
                },
                "share": "1/1",
            }
        ],
    }


def holders(parcel) -> set[str]:
    return set(
        Right.objects.filter(
            parcel=parcel, kind="ownership", valid_to__isnull=True, voided_by__isnull=True
        ).values_list("holder__name", flat=True)
    )


def verify_ledger() -> str:
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def free_connections() -> int:
    """Return how many more connections the application's role may open now.

    The lower of the cluster's free connections and the role's own CONNECTION LIMIT
    (scripts/setup sets one below max_connections).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT least(
                current_setting('max_connections')::int
                    - (SELECT count(*) FROM pg_stat_activity),
                CASE WHEN r.rolconnlimit < 0 THEN 2147483647
                     ELSE r.rolconnlimit - (SELECT count(*) FROM pg_stat_activity
                                            WHERE usename = current_user) END)
            FROM pg_roles r WHERE r.rolname = current_user
            """
        )
        (free,) = cursor.fetchone()
    return free


def test_of_fifty_concurrent_transfers_of_one_parcel_exactly_one_is_recorded(server, token, parcel):
    # Each racer's request holds a connection while it waits for the parcel's lock.
    assert free_connections() > RACERS, "PostgreSQL's max_connections is too low for the race"
    expected = services.last_entry([parcel.pk])
    before = JournalEntry.objects.count()

    # Made here, not in the racers' threads: each would open a database connection of
    # its own to read the holders, and the race is about the server's connections.
    bodies = [transfer(parcel, expected, n) for n in range(RACERS)]
    answers = at_once(RACERS, lambda n: post(server + URL, token, str(uuid.uuid4()), bodies[n]))

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: 1, 409: RACERS - 1}, [
        answer.body for answer in answers if answer.status not in (201, 409)
    ][:3]
    assert {answer.body["error"] for answer in answers if answer.status == 409} == {"stale"}
    (won,) = [answer for answer in answers if answer.status == 201]
    assert JournalEntry.objects.count() == before + 1
    entry = JournalEntry.objects.order_by("sequence").last()
    assert won.body["sequence"] == entry.sequence
    winner = json.loads(entry.payload)["parties"][0]["name"]
    assert holders(parcel) == {winner}
    # The losers' deeds left nothing, not even their recipients as parties.
    buyers = Party.objects.filter(name__startswith="Người Mua").values_list("name", flat=True)
    assert list(buyers) == [winner]
    assert "OK" in verify_ledger()


def test_two_notaries_selling_one_parcel_from_one_sheet_record_one_sale(server, token, parcel):
    """The testers' #7419/#7420: two sales of one parcel, each recorded, the second taking
    the first buyer's land. A sale that does not say whose land it acts on is refused;
    of two made from the same sheet, one is recorded and the other is stale."""
    other = User.objects.create(username="notary-concurrent-2")
    other.groups.add(Group.objects.get(name="notary"))
    tokens = [token, api_token_for(other)]
    before = JournalEntry.objects.count()
    sheet = services.last_entry([parcel.pk])

    def unnamed(n: int) -> dict[str, Any]:
        body = transfer(parcel, sheet, n)
        del body["expected_last_entry"], body["transferors"]
        return body

    unnamed_bodies = [unnamed(n) for n in (0, 1)]
    answers = at_once(
        2, lambda n: post(server + URL, tokens[n], str(uuid.uuid4()), unnamed_bodies[n])
    )
    assert [answer.status for answer in answers] == [400, 400], [a.body for a in answers]
    assert all("expected_last_entry" in answer.body["field_errors"] for answer in answers)
    assert all("transferors" in answer.body["field_errors"] for answer in answers)
    assert JournalEntry.objects.count() == before
    assert holders(parcel) == {"Nguyễn Văn An"}

    bodies = [transfer(parcel, sheet, n) for n in (1, 2)]
    answers = at_once(2, lambda n: post(server + URL, tokens[n], str(uuid.uuid4()), bodies[n]))
    assert sorted(answer.status for answer in answers) == [201, 409], [a.body for a in answers]
    assert {answer.body["error"] for answer in answers if answer.status == 409} == {"stale"}
    assert JournalEntry.objects.count() == before + 1
    (won,) = [n for n, answer in enumerate(answers) if answer.status == 201]
    assert holders(parcel) == {f"Người Mua {won + 1}"}
    assert "OK" in verify_ledger()


def test_twenty_concurrent_retries_of_one_deed_record_it_once(server, token, parcel):
    body = transfer(parcel, services.last_entry([parcel.pk]), 1)
    key = str(uuid.uuid4())
    before = JournalEntry.objects.count()

    answers = at_once(RETRIES, lambda n: post(server + URL, token, key, body))

    assert [answer.status for answer in answers] == [201] * RETRIES, [
        answer.body for answer in answers if answer.status != 201
    ][:3]
    assert {answer.body["sequence"] for answer in answers} == {before + 1}
    replayed = Counter(answer.headers.get("Idempotent-Replayed") for answer in answers)
    assert replayed == {None: 1, "true": RETRIES - 1}
    assert JournalEntry.objects.count() == before + 1
    assert holders(parcel) == {"Người Mua 1"}
    assert "OK" in verify_ledger()


def test_concurrent_deeds_on_different_parcels_are_all_recorded_in_one_gap_free_chain(
    server, token, notary
):
    parcels = [ParcelFactory() for _ in range(RACERS)]
    for n, parcel in enumerate(parcels):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[
                (
                    PartyInput(
                        kind="person", name=f"Chủ {n}", national_id=national_id(n, series=7)
                    ),
                    1,
                )
            ],
            deed=DeedInput(
                effective_date=REGISTERED_ON,
                recorded_by=notary,
                expected_last_entry=current_entry(parcel.pk),
            ),
        )
    before = JournalEntry.objects.count()
    # Every deed names the same buyer, new to the register: one party is made, not fifty.
    bodies = [transfer(parcel, services.last_entry([parcel.pk]), 0) for parcel in parcels]
    answers = at_once(RACERS, lambda n: post(server + URL, token, str(uuid.uuid4()), bodies[n]))

    assert [answer.status for answer in answers] == [201] * RACERS, [
        answer.body for answer in answers if answer.status != 201
    ][:3]
    assert sorted(answer.body["sequence"] for answer in answers) == list(
        range(before + 1, before + RACERS + 1)
    )
    assert all(holders(parcel) == {"Người Mua 0"} for parcel in parcels)
    assert Party.objects.filter(national_id=national_id(0, series=9)).count() == 1
    assert "OK" in verify_ledger()


def test_concurrent_subdivisions_on_one_sheet_each_get_their_own_new_numbers(server, token, notary):
    """New parcel numbers of one sheet are given out one deed at a time.

    Two notaries splitting two parcels of one sheet at the same moment both read the
    sheet's last number and took the next: the second deed failed on the unique
    identifier, a 500.
    """
    unit = ParcelFactory().admin_unit
    parcels = [ParcelFactory(admin_unit=unit) for _ in range(8)]
    for n, parcel in enumerate(parcels):
        services.record_first_registration(
            parcel_id=parcel.pk,
            holders=[(PartyInput(kind="person", name=f"Chủ {n}", national_id=national_id(n)), 1)],
            deed=DeedInput(
                effective_date=REGISTERED_ON,
                recorded_by=notary,
                expected_last_entry=current_entry(parcel.pk),
            ),
        )

    def halves(parcel) -> list[dict[str, Any]]:
        x0, y0, x1, y1 = parcel.boundary.extent
        middle = (x0 + x1) / 2
        return [
            {
                "boundary": {
                    "type": "Polygon",
                    "coordinates": [[[a, y0], [b, y0], [b, y1], [a, y1], [a, y0]]],
                }
            }
            for a, b in ((x0, middle), (middle, x1))
        ]

    bodies = [
        {
            "kind": "subdivision",
            "parcel": parcel.pk,
            "expected_last_entry": current_entry(parcel.pk),
            "effective_date": DAY,
            "crs": parcel.boundary.srid,
            "children": halves(parcel),
        }
        for parcel in parcels
    ]
    answers = at_once(
        len(bodies), lambda n: post(server + URL, token, str(uuid.uuid4()), bodies[n])
    )
    assert [answer.status for answer in answers] == [201] * len(bodies), [
        answer.body for answer in answers if answer.status != 201
    ][:3]
    from parcels.models import Parcel

    made = list(
        Parcel.objects.filter(created_by__isnull=False).values_list("identifier", flat=True)
    )
    assert len(made) == 2 * len(parcels) == len(set(made))
    assert "OK" in verify_ledger()


def test_two_deeds_reaching_into_one_neighbour_at_once_are_measured_one_after_the_other(
    server, token, notary
):
    """Each within what the neighbour may lose, together beyond it: the second is refused.

    Two subdivisions reaching into the parcel between them, sent at the same moment,
    each measured it without the other's children and both were recorded.
    """
    from landinfo.profiles import get_profile

    unit = ParcelFactory(cell=(60, 60)).admin_unit
    west, middle, east = (ParcelFactory(cell=(61 + n, 60), admin_unit=unit) for n in range(3))
    _, y0, _, y1 = middle.boundary.extent
    allowed = float(get_profile().permissible_area_error(middle.boundary.area, 1000))
    depth = 0.7 * allowed / (y1 - y0)  # each deed takes 70 % of what the middle may lose

    def strips(parcel, reach_west: float, reach_east: float) -> list[dict[str, Any]]:
        a, b, c, d = parcel.boundary.extent
        a, c, half = a - reach_west, c + reach_east, (b + d) / 2
        return [
            {
                "boundary": {
                    "type": "Polygon",
                    "coordinates": [[[a, lo], [c, lo], [c, hi], [a, hi], [a, lo]]],
                }
            }
            for lo, hi in ((b, half), (half, d))
        ]

    bodies = []
    for parcel, reach in ((west, (0, depth)), (east, (depth, 0))):
        bodies.append(
            {
                "kind": "subdivision",
                "parcel": parcel.pk,
                "expected_last_entry": current_entry(parcel.pk),
                "effective_date": DAY,
                "crs": parcel.boundary.srid,
                "tolerance_m2": str(round(allowed, 2)),
                "children": strips(parcel, *reach),
            }
        )
    middle.map_scale = 1000
    middle.save(update_fields=["map_scale"])
    answers = at_once(2, lambda n: post(server + URL, token, str(uuid.uuid4()), bodies[n]))
    assert sorted(answer.status for answer in answers) == [201, 422], [a.body for a in answers]
    (refusal,) = [answer.body for answer in answers if answer.status == 422]
    assert middle.identifier in refusal["detail"], refusal
    assert "OK" in verify_ledger()
