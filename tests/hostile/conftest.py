"""What every hostile-input test checks: nothing written, nothing left, nothing fetched.

`listener` is a TCP server on 127.0.0.1:18100–18109 that the hostile files point at
(`/vsicurl/`, VRT sources, DTD entities, GeoJSON crs links, GML schemas); it counts
the connections it accepts. `sandbox` moves every place a temporary file could land
(Python's and GDAL's temp dir, the report folder, MEDIA_ROOT, Django's upload dir) into
the test's own folder and records the register's row counts, so `sandbox.assert_clean()`
can say exactly what a refused input left behind.
"""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
import pytest

from parcels.models import Parcel
from transactions.models import JournalEntry

LISTENER_PORTS = range(18100, 18110)


@dataclass
class Listener:
    """A local TCP server that accepts and counts connections, and answers nothing."""

    port: int
    connections: int = 0
    _server: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                peer, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            peer.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """Return a counting listener on the first free port of LISTENER_PORTS."""
    for port in LISTENER_PORTS:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            server.bind(("127.0.0.1", port))
        except OSError:
            server.close()
            continue
        break
    else:
        pytest.fail(f"no free port in {LISTENER_PORTS}")
    server.listen(16)
    server.settimeout(0.05)
    found = Listener(port=port, _server=server)
    thread = threading.Thread(target=found.serve, daemon=True)
    thread.start()
    yield found
    found._stop.set()
    thread.join(timeout=2)
    server.close()


@dataclass
class Sandbox:
    """The folders a refused input must leave as they were, and the register's counts."""

    inputs: Path  # where the test writes its hostile files
    temp: Path  # Python's and GDAL's temporary folder, and Django's upload folder
    reports: Path  # LANDINFO["IMPORT_REPORT_DIR"]
    media: Path  # MEDIA_ROOT
    parcels: int = 0
    entries: int = 0
    input_names: set[str] = field(default_factory=set)

    def seal(self) -> None:
        """Record the inputs written and the register's counts: the state to keep."""
        self.input_names = {path.name for path in self.inputs.iterdir()}
        self.parcels = Parcel.objects.count()
        self.entries = JournalEntry.objects.count()

    def assert_clean(self, *, reports: int = 0) -> None:
        """Assert no row written and no file left but `reports` import reports."""
        assert Parcel.objects.count() == self.parcels, "parcels were written"
        assert JournalEntry.objects.count() == self.entries, "journal entries were written"
        assert _files(self.temp) == [], "temporary files were left"
        assert _files(self.media) == [], "files were left in MEDIA_ROOT"
        assert len(_files(self.reports)) == reports, _files(self.reports)
        left = {path.name for path in self.inputs.iterdir()} - self.input_names
        assert left == set(), f"files were left beside the input: {left}"
        escaped = {path.name for path in self.inputs.parent.iterdir()} - {
            self.inputs.name,
            self.temp.name,
            self.reports.name,
            self.media.name,
        }
        assert escaped == set(), f"files were written outside the input folder: {escaped}"


def _files(folder: Path) -> list[str]:
    return sorted(str(path) for path in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def sandbox(settings, tmp_path: Path, monkeypatch) -> Iterator[Sandbox]:
    box = Sandbox(
        inputs=tmp_path / "in",
        temp=tmp_path / "tmp",
        reports=tmp_path / "reports",
        media=tmp_path / "media",
    )
    for folder in (box.inputs, box.temp):
        folder.mkdir()
    settings.LANDINFO = {**settings.LANDINFO, "IMPORT_REPORT_DIR": box.reports}
    settings.MEDIA_ROOT = box.media
    settings.FILE_UPLOAD_TEMP_DIR = str(box.temp)
    monkeypatch.setattr(tempfile, "tempdir", str(box.temp))
    previous = pyogrio.get_gdal_config_option("CPL_TMPDIR")
    pyogrio.set_gdal_config_options({"CPL_TMPDIR": str(box.temp)})
    yield box
    pyogrio.set_gdal_config_options({"CPL_TMPDIR": previous})
