"""Transfers: notaries recording sales over the deed API, beside pgbench doing the same SQL.

LandInfo: notaries (1, 4, 8 threads, closed loop) POST transfers to `/api/transactions/`
on gunicorn, each with its own Idempotency-Key and the parcel's `last_entry` as
`expected_last_entry`, each on a current parcel no other request touches (so requests
wait for the journal, never for each other's parcel), to a new person. Every answer
must be 201; then five of the deeds are sent again under their keys and must get their
entry back; then the database must hold exactly one new entry per 201, gap-free and
hash-chained, one per key, and each parcel exactly one current holder: its buyer.
Anything else counts as errors: a lost or duplicated deed is a failure, whatever the
speed. The full `verify_ledger` runs after the smoke run only (it takes minutes at 1M).

The floor: pgbench running bench/pgbench/transfer.sql on as many clients (prepared
statements), one transaction per transfer with only the statements a transfer needs:
take the next parcel of a queue, lock its row FOR UPDATE, insert the buyer, reserve the
new right's id, take the journal's advisory lock, insert the entry chained to the head
(payload built by json_build_object, hashes by PostgreSQL's sha256), end the current
right and insert the new one; commit. It writes into shadow tables in a scratch schema,
`bench_floor`, not into the register (a foreign chain in the real journal would break
verify_ledger): `LIKE ... INCLUDING ALL` copies of the journal, rights and parties (the
same indexes, checks and exclusion constraint) with the same deferred foreign keys,
seeded with the newest SEED_ROWS rows of each real table and every right of the floor's
parcels, so that their indexes are not toy-sized. The parcel locks are taken on the real
parcels (other ones than LandInfo's). The schema is dropped at the end.

Each level's floor runs right after it, on a shared machine whose load drifts. The
note gives the CPU each side's client-facing process spent per deed (gunicorn's workers,
pgbench): on two cores, that is what bounds LandInfo's rate once notaries overlap.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import resource
import shutil
import subprocess
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.harness import BENCH, Context, Measure, Row, percentile, run_concurrently
from landinfo.profiles.korea import rrn_check_digit
from landinfo.profiles.vietnam import BIRTH_PROVINCE_CODES

CLIENTS = (1, 4, 8)
SCRIPT = BENCH / "pgbench" / "transfer.sql"
SCHEMA = "bench_floor"
# Rows copied into each shadow table: enough for indexes of a realistic depth without
# copying the 1.5 GB journal of the 1M register.
SEED_ROWS = 200_000
NOTARY = "bench-notary"
REPLAYS = 5  # deeds of each level sent again under their key, after the timed run
WARM_UP = 24  # unmeasured deeds first: two for each of gunicorn's 3 × 4 threads
TIMEOUT = 60  # seconds for one request


@dataclass(frozen=True)
class Work:
    """One transfer to make: a current parcel, its single holder's right and a buyer."""

    parcel: int
    identifier: str
    right: int
    holder: int  # the transferor, who gives the whole parcel
    last_entry: int
    buyer: str  # the recipient's national ID, new to the register


def sale_terms(item: Work) -> dict[str, Any]:
    """Return the terms of the sale of `item`'s parcel to its buyer, as the deed API takes them."""
    return {
        "transfer_type": "sale",
        "price": "1000",
        "transferors": [{"party": item.holder, "share": "1/1"}],
        "recipients": [
            {
                "party": {
                    "kind": "person",
                    "name": f"Người Mua {item.parcel}",
                    "national_id": item.buyer,
                },
                "share": "1/1",
            }
        ],
    }


def run(ctx: Context) -> list[Row]:
    """Return one row per number of notaries: LandInfo's transfers/s beside pgbench's."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise RuntimeError(
            "pgbench is missing: on Debian 12 it comes with the server package "
            "postgresql-15, which scripts/setup installs."
        )
    per_level = ctx.scaled(300, 20)
    notary, token, journal_lock, profile = _notary(ctx)
    day = dt.date.today() - dt.timedelta(days=1)  # on or before today in any time zone
    run_id = int(time.time())
    work = _parcels(ctx, 2 * len(CLIENTS) * per_level + WARM_UP, day, run_id, profile)
    warm_up, work = work[:WARM_UP], work[WARM_UP:]
    ours_work, floor_work = work[: len(work) // 2], work[len(work) // 2 :]
    # Every gunicorn thread's first deed loads code and opens its database connection:
    # not what a notary waits for once the register runs. Checked all the same.
    _measure, warm_up_problems = _ours(ctx, token, notary, warm_up, day, max(CLIENTS))
    _seed_floor(ctx, floor_work, day)
    rows = []
    try:
        # Each level's floor right after it: the machine is shared, its load drifts.
        for level, clients in enumerate(CLIENTS):
            batch = ours_work[level * per_level : (level + 1) * per_level]
            cpu_before = _gunicorn_cpu_s(ctx)
            ours, problems = _ours(ctx, token, notary, batch, day, clients)
            ours_cpu = _gunicorn_cpu_s(ctx) - cpu_before
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            floor = _floor(ctx, pgbench, clients, per_level, journal_lock, notary, run_id)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            floor_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            checked = problems or [
                f"{ours.count} deeds, all 201, none lost or doubled",
                f"{REPLAYS} replays under their key gave their entry back",
            ]
            rows.append(
                Row(
                    section="transfers",
                    what=f"sale of a whole parcel, {clients} notar{'y' if clients == 1 else 'ies'}",
                    ours=ours,
                    floor_name="pgbench transfer.sql (same SQL, no HTTP or Python)",
                    floor=floor,
                    ratio_of="per_second",
                    target="≥ 0.5",
                    note="; ".join(
                        [
                            *checked,
                            f"CPU per deed: gunicorn "
                            f"{ours_cpu * 1000 / max(1, ours.count + REPLAYS):.1f} ms, "
                            f"pgbench {floor_cpu * 1000 / max(1, floor.count):.1f} ms",
                        ]
                    ),
                )
            )
    finally:
        with closing(ctx.connect(superuser=True)) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    if warm_up_problems:
        rows[0] = _with_error(rows[0], f"warm-up: {'; '.join(warm_up_problems)}")
    if ctx.smoke:
        verified = ctx.manage("verify_ledger", check=False, capture_output=True, text=True)
        if verified.returncode != 0 or "OK" not in verified.stdout:
            rows[-1] = _with_error(rows[-1], f"verify_ledger: {verified.stdout[-200:]}")
        else:
            ctx.notes.append("transfers: `verify_ledger` passed after the smoke run's deeds.")
    else:
        ctx.notes.append(
            "transfers: the full `verify_ledger` (minutes at 1M) runs in the smoke run only; "
            "here each level checks its own entries' chain, count, keys and holders."
        )
    return rows


def _with_error(row: Row, problem: str) -> Row:
    """Count `problem` as one more error of `row` and say it first in its note."""
    row.ours = replace(row.ours, errors=row.ours.errors + 1)
    row.note = f"{problem}; {row.note}"
    return row


# --- set-up ------------------------------------------------------------------------------------


def _notary(ctx: Context) -> tuple[int, str, int, str]:
    """Return the bench notary's user id, API token, the journal's advisory lock key and
    the profile of the register."""
    code = f"""
from django.conf import settings
from django.contrib.auth.models import Group, User
from landinfo.accounts.tokens import issue_token, session_for_script
from transactions.journal.append import JOURNAL_LOCK
user, _ = User.objects.get_or_create(username={NOTARY!r})
user.groups.add(Group.objects.get(name="notary"))
# A token of this run (tokens expire, and only their digest is kept to be found again).
_token, key = issue_token(user=user, second_factor=True, session=session_for_script(user))
print(user.pk, key, JOURNAL_LOCK, settings.LANDINFO["PROFILE"])
"""
    finished = ctx.manage("shell", "-c", code, capture_output=True, text=True)
    user_id, key, lock, profile = finished.stdout.split()[-4:]
    return int(user_id), key, int(lock), profile


def buyer_national_id(profile: str, run_id: int, n: int) -> str:
    """Return a national ID the profile accepts for the `n`-th buyer of run `run_id`.

    Buyers are new parties: numbers of other runs must not come back, so the run and
    the buyer pick a point in the profile's space of valid numbers (12.6 billion
    căn cước numbers of persons born in the 1900s; 7.3 billion resident registration
    numbers of them), far apart for runs a second apart.
    """
    k = run_id * 10_000 + n
    if profile == "vn":
        provinces = sorted(BIRTH_PROVINCE_CODES)
        k %= len(provinces) * 2 * 100 * 1_000_000
        serial, k = k % 1_000_000, k // 1_000_000
        year, k = k % 100, k // 100
        sex, province = k % 2, provinces[k // 2]
        return f"{province}{sex}{year:02d}{serial:06d}"
    k %= 36_500 * 2 * 100_000
    serial, k = k % 100_000, k // 100_000
    sex, days = 1 + k % 2, k // 2
    born = dt.date(1900, 1, 1) + dt.timedelta(days=days)
    digits = f"{born:%y%m%d}{sex}{serial:05d}"
    return f"{digits}{rrn_check_digit(digits)}"


def _parcels(ctx: Context, count: int, day: dt.date, run_id: int, profile: str) -> list[Work]:
    """Return `count` distinct current parcels with one holder of the whole, in random order.

    A holder whose right began on or after `day` could not transfer on `day`; parcels
    with co-holders or a second current right are left out so that each transfer ends
    exactly one right, in the application and in the floor alike.
    """
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.id, p.identifier, r.id, r.holder_id,
                   (SELECT max(greatest(begun_by_id, ended_by_id, voided_by_id))
                    FROM transactions_right WHERE parcel_id = p.id)
            FROM parcels_parcel p
            JOIN transactions_right r ON r.parcel_id = p.id AND r.kind = 'ownership'
                 AND r.valid_to IS NULL AND r.voided_by_id IS NULL
                 AND r.share_numerator = r.share_denominator AND r.valid_from < %(day)s
            WHERE p.valid_to IS NULL
              AND NOT EXISTS (SELECT FROM transactions_right o WHERE o.parcel_id = p.id
                              AND o.valid_to IS NULL AND o.voided_by_id IS NULL AND o.id <> r.id)
            ORDER BY random() LIMIT %(count)s
            """,
            {"day": day, "count": count},
        )
        found = cursor.fetchall()
    if len(found) < count:
        raise RuntimeError(f"only {len(found)} parcels with one holder to transfer, {count} needed")
    return [
        Work(parcel, identifier, right, holder, last or 0, buyer_national_id(profile, run_id, n))
        for n, (parcel, identifier, right, holder, last) in enumerate(found)
    ]


# --- LandInfo -------------------------------------------------------------------------------------


def _ours(
    ctx: Context, token: str, notary: int, batch: list[Work], day: dt.date, clients: int
) -> tuple[Measure, list[str]]:
    """POST one transfer per item of `batch` on `clients` threads; check the journal after."""
    head = _head(ctx)
    keys = {item.parcel: str(uuid.uuid4()) for item in batch}
    answers: dict[int, tuple[int, dict[str, Any]]] = {}
    local = threading.local()
    host = urlsplit(ctx.base_url)

    def post(item: Work) -> tuple[int, bool, dict[str, Any]]:
        """Send `item`'s deed; return the status, whether it was a replay, and the body."""
        body = json.dumps(
            {
                "kind": "transfer",
                "parcel": item.parcel,
                "effective_date": day.isoformat(),
                "expected_last_entry": item.last_entry,
                **sale_terms(item),
            }
        )
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": keys[item.parcel],
        }
        # One kept-alive connection per notary, made again (and the deed sent again
        # under the same key, as a client should) if the server closed it.
        for attempt in (1, 2):
            if getattr(local, "connection", None) is None:
                local.connection = http.client.HTTPConnection(host.netloc, timeout=TIMEOUT)
            try:
                local.connection.request("POST", "/api/transactions/", body, headers)
                response = local.connection.getresponse()
                status, text = response.status, response.read()
                replayed = response.getheader("Idempotent-Replayed") == "true"
                break
            except (ConnectionError, http.client.HTTPException):
                local.connection.close()
                local.connection = None
                if attempt == 2:
                    raise
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {"unparsed": text[:300].decode(errors="replace")}
        return status, replayed, answer

    def transfer(item: Work) -> bool:
        status, _replayed, answer = post(item)
        answers[item.parcel] = (status, answer)
        return status == 201

    measure = run_concurrently(batch, transfer, clients=clients)
    problems = []
    # A notary who lost the answer sends the deed again under its key: it must get the
    # same entry back and add none (the count below would show a second entry).
    for item in batch[:REPLAYS]:
        status, replayed, answer = post(item)
        first = answers[item.parcel][1].get("sequence")
        if (status, replayed, answer.get("sequence")) != (201, True, first):
            problems.append(f"replay of parcel {item.parcel}: {status} {replayed} {answer}"[:200])
    problems += _check(ctx, head, notary, batch, keys, answers)
    if problems:
        measure = replace(measure, errors=measure.errors + len(problems))
    return measure, problems


def _gunicorn_cpu_s(ctx: Context) -> float:
    """Return the CPU seconds used so far by the gunicorn serving ctx.base_url (all workers)."""
    bind = urlsplit(ctx.base_url).netloc.encode()
    ticks = 0
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            command = (process / "cmdline").read_bytes()
            if b"gunicorn" not in command or bind not in command:
                continue
            # After "(comm)": state is field 3 of proc(5), utime 14 and stime 15.
            fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _head(ctx: Context) -> int:
    """Return the journal's last sequence (0 when empty)."""
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(sequence), 0) FROM transactions_journalentry")
        return cursor.fetchone()[0]


def _check(
    ctx: Context,
    head: int,
    notary: int,
    batch: list[Work],
    keys: dict[int, str],
    answers: dict[int, tuple[int, dict[str, Any]]],
) -> list[str]:
    """Return what is wrong with the journal and rights after `batch`'s transfers."""
    problems = []
    refused = [
        f"parcel {parcel}: {status} {answer}"
        for parcel, (status, answer) in answers.items()
        if status != 201
    ]
    if refused:
        problems.append(f"{len(refused)} not 201, e.g. {refused[0][:200]}")
    recorded = {answer["sequence"] for status, answer in answers.values() if status == 201}
    with closing(ctx.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.sequence, e.idempotency_key, e.recorded_by_id,
                   e.prev_hash = lag(e.entry_hash) OVER (ORDER BY e.sequence)
            FROM transactions_journalentry e WHERE e.sequence >= %s ORDER BY e.sequence
            """,
            [head],
        )
        entries = cursor.fetchall()[1:] if head else cursor.fetchall()
        sequences = [sequence for sequence, *_ in entries]
        if sequences != list(range(head + 1, head + 1 + len(sequences))):
            problems.append(f"sequence gap after #{head}")
        if not all(chained for *_, chained in entries):
            problems.append("an entry's prev_hash is not the entry_hash before it")
        ours = [(sequence, key) for sequence, key, by, _ in entries if by == notary]
        if len(ours) != len(recorded) or {sequence for sequence, _ in ours} != recorded:
            problems.append(f"{len(ours)} entries recorded for {len(recorded)} answers 201")
        made = [key for _, key in ours]
        if len(set(made)) != len(made) or set(made) - set(keys.values()):
            problems.append("an Idempotency-Key recorded twice or unknown")
        cursor.execute(
            """
            SELECT r.parcel_id, array_agg(p.national_id)
            FROM transactions_right r JOIN transactions_party p ON p.id = r.holder_id
            WHERE r.parcel_id = ANY(%s) AND r.kind = 'ownership'
              AND r.valid_to IS NULL AND r.voided_by_id IS NULL
            GROUP BY r.parcel_id
            """,
            [[item.parcel for item in batch]],
        )
        holders = dict(cursor.fetchall())
    wrong = [item.parcel for item in batch if holders.get(item.parcel) != [item.buyer]]
    if wrong:
        problems.append(f"{len(wrong)} parcels without their buyer as sole holder, e.g. {wrong[0]}")
    return problems


# --- the floor --------------------------------------------------------------------------------


def _seed_floor(ctx: Context, work: list[Work], day: dt.date) -> None:
    """Make the scratch schema: shadow journal, rights and parties, and the work queue."""
    with closing(ctx.connect(superuser=True)) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        for shadow, real in (
            ("journal", "transactions_journalentry"),
            ("party", "transactions_party"),
            ("right", "transactions_right"),
        ):
            cursor.execute(f'CREATE TABLE {SCHEMA}."{shadow}" (LIKE {real} INCLUDING ALL)')
        rights = [item.right for item in work]
        parcels = [item.parcel for item in work]
        cursor.execute(
            f"""
            INSERT INTO {SCHEMA}.journal SELECT * FROM (
                SELECT * FROM transactions_journalentry ORDER BY sequence DESC LIMIT %(n)s) j;
            INSERT INTO {SCHEMA}.party SELECT * FROM (
                SELECT * FROM transactions_party ORDER BY id DESC LIMIT %(n)s) p;
            INSERT INTO {SCHEMA}."right" SELECT * FROM (
                SELECT * FROM transactions_right ORDER BY id DESC LIMIT %(n)s) r
              UNION SELECT * FROM transactions_right WHERE parcel_id = ANY(%(parcels)s);
            SELECT setval(pg_get_serial_sequence('{SCHEMA}.party', 'id'),
                          (SELECT max(id) FROM transactions_party));
            SELECT setval(pg_get_serial_sequence('{SCHEMA}.right', 'id'),
                          (SELECT max(id) FROM transactions_right));
            """,
            {"n": SEED_ROWS, "parcels": parcels},
        )
        # The register's deferred foreign keys, checked on the rows the floor writes.
        cursor.execute(
            f"""
            ALTER TABLE {SCHEMA}.journal ADD FOREIGN KEY (recorded_by_id)
              REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED NOT VALID;
            ALTER TABLE {SCHEMA}."right"
              ADD FOREIGN KEY (begun_by_id) REFERENCES {SCHEMA}.journal (sequence)
                DEFERRABLE INITIALLY DEFERRED NOT VALID,
              ADD FOREIGN KEY (ended_by_id) REFERENCES {SCHEMA}.journal (sequence)
                DEFERRABLE INITIALLY DEFERRED NOT VALID,
              ADD FOREIGN KEY (voided_by_id) REFERENCES {SCHEMA}.journal (sequence)
                DEFERRABLE INITIALLY DEFERRED NOT VALID,
              ADD FOREIGN KEY (holder_id) REFERENCES {SCHEMA}.party (id)
                DEFERRABLE INITIALLY DEFERRED NOT VALID,
              ADD FOREIGN KEY (parcel_id) REFERENCES parcels_parcel (id)
                DEFERRABLE INITIALLY DEFERRED NOT VALID;
            CREATE TABLE {SCHEMA}.work (
                n bigint PRIMARY KEY, parcel_id bigint, identifier text, right_id bigint,
                day date);
            CREATE SEQUENCE {SCHEMA}.work_n;
            """
        )
        cursor.execute(
            f"INSERT INTO {SCHEMA}.work SELECT n, parcel, identifier, right_id, %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) "
            "WITH ORDINALITY AS w(parcel, identifier, right_id, n)",
            [day, parcels, [item.identifier for item in work], rights],
        )
        cursor.execute(f"ANALYZE {SCHEMA}.journal, {SCHEMA}.party, {SCHEMA}.right, {SCHEMA}.work")


def _floor(
    ctx: Context,
    pgbench: str,
    clients: int,
    transactions: int,
    journal_lock: int,
    notary: int,
    run_id: int,
) -> Measure:
    """Run about `transactions` transfers of transfer.sql on `clients` pgbench clients.

    pgbench gives each client the same count, so the batch is rounded down to a multiple
    of `clients` (the work queue holds every level's batch in full).
    """
    prefix = ctx.work / f"pgbench-{clients}"
    per_client = transactions // clients
    finished = subprocess.run(
        [
            pgbench,
            "-n",
            "-M",
            "prepared",
            "-f",
            str(SCRIPT),
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-t",
            str(per_client),
            "-D",
            f"journal_lock={journal_lock}",
            "-D",
            f"notary={notary}",
            "-D",
            f"run={run_id}",
            "--log",
            f"--log-prefix={prefix}",
            ctx.superuser_url,
        ],
        cwd=ctx.work,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"pgbench failed: {finished.stderr[-500:]}")
    latencies = sorted(
        int(line.split()[2]) / 1000
        for log in ctx.work.glob(f"{prefix.name}.*")
        for line in Path(log).read_text().splitlines()
    )
    failed = re.search(r"number of failed transactions: (\d+)", finished.stdout)
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", finished.stdout)
    count = len(latencies)
    per_second = float(tps[1]) if tps else None
    return Measure(
        count=count,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        per_second=per_second,
        seconds=count / per_second if per_second else None,
        errors=int(failed[1]) if failed else 0,
    )
