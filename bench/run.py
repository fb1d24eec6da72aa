"""Run every benchmark in one go and write RESULTS.md.

    .venv/bin/python bench/run.py --parcels 1000000          # make bench
    .venv/bin/python bench/run.py --parcels 10000 --smoke    # make bench-smoke (CI)

1. Makes (or reuses) a bench database on the project's PostgreSQL cluster, holding
   exactly `--parcels` parcels written by `generate_parcels` (seed 1), vacuumed and
   analysed. It is reused only when a previous run finished writing the same count.
2. Starts the application as production would: gunicorn, DEBUG off, on 127.0.0.1.
3. Runs each section (bench/<section>.py: `run(ctx) -> list[Row]`), each measuring
   LandInfo beside its floor on the same data, one after another so that they do not
   compete for the two cores.
4. Writes bench/RESULTS.md (a smoke run: var/bench/RESULTS-smoke.md) and exits non-zero
   when a section failed or an operation errored; a smoke run never judges timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
import psycopg2
from environ import Env

from bench.harness import BENCH, ROOT, Context, Measure, Row, libpq, with_database
from landinfo import gunicorn_conf

SECTIONS = (
    "lookups",
    "tiles",
    "transfers",
    "exports",
    "flood",
    "map",
    "suggest",
    "searchcost",
    "alerts",
    "tlog",
    "tlog_browser",
)
# Marks a bench database whose generation finished: COMMENT ON DATABASE. "names=country":
# generated districts with the country's street and commune names (issue 16); a database
# marked otherwise is generated again.
_MARK = "landinfo-bench parcels={parcels} seed=1 names=country"
# gunicorn as `make demo` and docker/ run it (landinfo/gunicorn_conf.py); these two
# override its processes and threads for an experiment.
GUNICORN_WORKERS = int(os.environ.get("LANDINFO_BENCH_WORKERS", gunicorn_conf.workers))
GUNICORN_THREADS = int(os.environ.get("LANDINFO_BENCH_THREADS", gunicorn_conf.threads))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--smoke", action="store_true", help="check the harness; do not judge")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run these sections only")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="make (or check) the bench database and stop: a 10M register takes hours",
    )
    options = parser.parse_args()
    output = options.output or (
        ROOT / "var" / "bench" / "RESULTS-smoke.md" if options.smoke else BENCH / "RESULTS.md"
    )
    started = time.perf_counter()
    ctx = _context(options.parcels, options.smoke, options.port)
    _prepare_database(ctx)
    if options.prepare_only:
        print(*ctx.notes, sep="\n")
        return 0
    rows: list[Row] = []
    failed: list[str] = []
    with _gunicorn(ctx, options.port):
        for name in options.only or SECTIONS:
            print(f"== {name}", flush=True)
            section_started = time.perf_counter()
            try:
                module = importlib.import_module(f"bench.{name}")
                section_rows = module.run(ctx)
            except Exception as error:
                traceback.print_exc()
                failed.append(name)
                section_rows = [
                    Row(
                        section=name,
                        what="(section failed)",
                        ours=Measure(errors=1),
                        note=str(error)[:300],
                    )
                ]
            for row in section_rows:
                row.judge(smoke=ctx.smoke)
                print(f"   {row.what}: ratio {row.ratio}, meets {row.meets}", flush=True)
            rows += section_rows
            print(f"   ({time.perf_counter() - section_started:.0f} s)", flush=True)
    errored = [f"{row.section}: {row.what}" for row in rows if _errors(row)]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(_results(ctx, rows, seconds=time.perf_counter() - started), encoding="utf-8")
    print(f"wrote {output}")
    if failed or errored:
        print(f"FAILED: sections {failed}; rows with errors {errored}", file=sys.stderr)
        return 1
    return 0


def _errors(row: Row) -> bool:
    return bool(row.ours.errors or (row.floor is not None and row.floor.errors))


# --- the bench database -----------------------------------------------------------------------


def _context(parcels: int, smoke: bool, port: int) -> Context:
    env = Env()
    env.read_env(str(ROOT / ".env"))
    app_url = env.str("DATABASE_URL")
    superuser_url = env.str("LANDINFO_SUPERUSER_DATABASE_URL", default="")
    if not superuser_url:
        sys.exit("bench needs LANDINFO_SUPERUSER_DATABASE_URL (scripts/setup writes it).")
    name = f"landinfo_bench_{parcels}"
    work = ROOT / "var" / "bench" / f"work-{port}"  # runs on other ports keep theirs
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    database_url = with_database(app_url, name)
    return Context(
        parcels=parcels,
        smoke=smoke,
        database_url=libpq(database_url),
        superuser_url=libpq(with_database(superuser_url, name)),
        base_url=f"http://127.0.0.1:{port}",
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "False",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            # Production serves behind nginx, where the worker shares no threads per client
            # address (every request comes from the proxy): the bench's clients share one
            # address, and measure the server as deployed.
            "LANDINFO_THREADS_PER_CLIENT": "0",
            # The transfer rows measure recording a deed (journal, chain, projection)
            # beside its pgbench floor: the direct mode. Filing an application and its
            # decision are two such transactions and a checked, rolled-back one.
            "LANDINFO_REGISTRATION_MODE": "direct",
            # The clients are one address asking as fast as they can, which the public rate
            # limits exist to refuse. The limits stay on, so their counting is measured, at
            # rates no run reaches.
            **{
                f"LANDINFO_RATE_{name}": "1000000000/m"
                for name in ("LOOKUP", "OGC", "VERIFY", "CERTIFICATE", "EXPORT")
            },
        },
        work=work,
    )


def _prepare_database(ctx: Context) -> None:
    """Make the bench database hold exactly ctx.parcels generated parcels, or reuse it."""
    name = urlsplit(ctx.database_url).path.lstrip("/")
    admin = psycopg2.connect(with_database(ctx.superuser_url, "postgres"))
    admin.autocommit = True
    mark = _MARK.format(parcels=ctx.parcels)
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        found = cursor.fetchone()
        if found and found[0] == mark:
            print(f"reusing {name} ({ctx.parcels:,} parcels)", flush=True)
        else:
            if found:
                cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            owner = urlsplit(ctx.database_url).username
            cursor.execute(f'CREATE DATABASE "{name}" OWNER "{owner}" TEMPLATE template1')
    ctx.manage("migrate", "-v0")
    if not (found and found[0] == mark):
        print(f"generating {ctx.parcels:,} parcels into {name}", flush=True)
        started = time.perf_counter()
        ctx.manage("generate_parcels", "--count", str(ctx.parcels), "-v0")
        seconds = time.perf_counter() - started
        ctx.notes.append(
            f"`generate_parcels --count {ctx.parcels}` took {seconds:.0f} s in this run."
        )
        started = time.perf_counter()
        with closing(ctx.connect(superuser=True)) as connection, connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        ctx.notes.append(f"`VACUUM ANALYZE` took {time.perf_counter() - started:.0f} s.")
        with admin.cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{mark}'")
    admin.close()


# --- the application -------------------------------------------------------------------------


class _gunicorn:
    """Run the application under gunicorn for the length of a `with` block."""

    def __init__(self, ctx: Context, port: int) -> None:
        self.ctx, self.port = ctx, port
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _gunicorn:
        self.ctx.manage("collectstatic", "--noinput", "-v0")
        if _port_open(self.port):
            sys.exit(f"port {self.port} is taken: stop what runs there or pass --port.")
        log = open(self.ctx.work / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-c",
                "python:landinfo.gunicorn_conf",
                "landinfo.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--threads",
                str(GUNICORN_THREADS),
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=self.ctx.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._wait_until_warm()
        except BaseException:
            self.__exit__()  # never leave a gunicorn on the port
            raise
        self.ctx.notes.append(
            f"Application: gunicorn {GUNICORN_WORKERS} workers × {GUNICORN_THREADS} threads "
            "(gthread), DEBUG off, on 127.0.0.1."
        )
        return self

    def _wait_until_warm(self) -> None:
        assert self.process is not None
        # A tile of the whole world: cheap, and the path the sections measure first.
        warm = self.ctx.base_url + "/tiles/parcels/0/0/0.mvt"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self._get(warm)
                break
            except OSError:
                if self.process.poll() is not None:
                    sys.exit(f"gunicorn exited at start: see {self.ctx.work}/gunicorn.log")
                time.sleep(0.5)
        else:
            sys.exit(f"gunicorn did not answer within 60 s: see {self.ctx.work}/gunicorn.log")
        # Each worker loads the URLconf and opens its database connection on its first
        # request; enough requests at once reach every worker before anything is timed.
        slots = GUNICORN_WORKERS * GUNICORN_THREADS
        with ThreadPoolExecutor(slots) as pool:
            list(pool.map(self._get, [warm] * 4 * slots))

    @staticmethod
    def _get(url: str) -> None:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# --- RESULTS.md -----------------------------------------------------------------------------------


def _version(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not installed"


def _machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return [
        f"- Machine: {os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.platform()}",
        f"- Python {platform.python_version()}; "
        f"Django {django.get_version()}; "
        f"{_version(['ogrinfo', '--version'])}; {_version(['psql', '--version'])}",
    ]


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _side(measure: Measure | None) -> str:
    if measure is None:
        return "—"
    parts = []
    if measure.p50_ms is not None:
        parts.append(
            f"{_number(measure.p50_ms)} / {_number(measure.p95_ms)} / {_number(measure.p99_ms)} ms"
        )
    if measure.per_second is not None:
        parts.append(f"{_number(measure.per_second, 0)}/s")
    if measure.seconds is not None and measure.p50_ms is None:
        parts.append(f"{_number(measure.seconds)} s")
    if measure.peak_mib is not None:
        parts.append(f"peak {_number(measure.peak_mib, 0)} MiB")
    if measure.errors:
        parts.append(f"**{measure.errors} errors**")
    return "; ".join(parts) or "—"


def _results(ctx: Context, rows: list[Row], *, seconds: float) -> str:
    title = (
        "Benchmark smoke run (harness check, timings not judged)"
        if ctx.smoke
        else "Benchmark results"
    )
    lines = [
        f"# {title}",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
        f"command: `bench/run.py --parcels {ctx.parcels}{' --smoke' if ctx.smoke else ''}` "
        f"(`make bench{'-smoke' if ctx.smoke else ''}`), {seconds / 60:.0f} min in all.",
        f"- Register: {ctx.parcels:,} parcels from `generate_parcels` (seed 1).",
        *_machine(),
        *(f"- {note}" for note in ctx.notes),
        "",
        "Latencies are p50 / p95 / p99. The ratio is LandInfo ÷ floor of the quantity in its"
        " column; for a time lower is better, for a rate higher is better.",
    ]
    for section in dict.fromkeys(row.section for row in rows):
        lines += [
            "",
            f"## {section}",
            "",
            "| what | LandInfo | floor | floor figures | ratio | target | met | note |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in (row for row in rows if row.section == section):
            ratio = f"{row.ratio:.2f} ({row.ratio_of})" if row.ratio is not None else "—"
            met = {True: "yes", False: "**no**", None: "—"}[row.meets]
            lines.append(
                f"| {row.what} | {_side(row.ours)} | {row.floor_name or '—'} | {_side(row.floor)} "
                f"| {ratio} | {row.target or '—'} | {met} | {row.note} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
