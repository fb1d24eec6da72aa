"""A one-million-vertex "parcel": refused in bounded time and memory.

The import runs as `manage.py import_parcels` in a child process against the test
database, so its peak memory (ru_maxrss from wait4) and its time are its own. The bounds
are wide (a tight timing assertion would fail on a busy CI machine, not on a regression);
what fails without the vertex limit is the reason in the report.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from django.conf import settings
from django.db import connection
from pyproj import Transformer
from shapely.geometry import Polygon

from landinfo.profiles import get_profile
from parcels.models import Parcel

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.skipif(get_profile().key != "vn", reason="the file is Vietnamese cadastre"),
]

VERTICES = 1_000_000
TIME_LIMIT_S = 120
MEMORY_LIMIT_KIB = 1536 * 1024  # the command itself takes about 250 MiB


def test_a_million_vertex_polygon_is_refused_in_bounded_time_and_memory(tmp_path: Path):
    x, y = Transformer.from_crs(4326, 3405, always_xy=True).transform(105.83, 21.03)
    angles = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    ring = np.column_stack((x + 30 * np.cos(angles), y + 30 * np.sin(angles)))
    path = tmp_path / "dense.gpkg"
    pyogrio.raw.write(
        str(path),
        geometry=np.array([shapely.to_wkb(Polygon(ring))], dtype=object),
        field_data=[np.array(["00004-1-1"], dtype=object), np.array(["ODT"], dtype=object)],
        fields=["maThua", "loaiDat"],
        crs="EPSG:3405",
        geometry_type="Polygon",
    )
    report = tmp_path / "report.csv"
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DATABASE_URL": (
            f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "LANDINFO_IMPORT_REPORT_DIR": str(tmp_path / "reports"),
    }
    started = time.monotonic()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "import_parcels",
            str(path),
            "--report",
            str(report),
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = child.communicate(timeout=TIME_LIMIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail(f"the import ran for more than {TIME_LIMIT_S} s")
    elapsed = time.monotonic() - started
    # The largest peak of any child this process has waited for: an upper bound of this one's.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # The only feature is refused (its commune, made in the test's transaction, is not
    # seen by the child either), so nothing was imported: exit status 1 (--help).
    assert child.returncode == 1, (out + err).decode()
    assert b"nothing was imported" in err.lower(), err.decode()
    text = report.read_text(encoding="utf-8")
    assert f"too many vertices: the boundary has {VERTICES + 1} vertices" in text
    assert Parcel.objects.count() == 0
    assert elapsed < TIME_LIMIT_S
    assert peak_kib < MEMORY_LIMIT_KIB, f"peak memory {peak_kib // 1024} MiB"
