"""What `import_parcels` exits with, as its --help says, under every profile.

0 when something was imported (or every feature is registered unchanged), 1 when
nothing was: a whole-file cause is said in one message, other refusals in the summary.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from django.core.management import CommandError, call_command
from pyproj import Transformer

from landinfo.profiles import JurisdictionProfile
from parcels.models import AdministrativeUnit, Parcel
from tests.factories import AdministrativeUnitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.every_profile]


@pytest.fixture
def unit(profile) -> AdministrativeUnit:
    return AdministrativeUnitFactory()


def write(
    path: Path, profile: JurisdictionProfile, identifiers: list[str], land_uses: list[str]
) -> Path:
    lat, lon = profile.map_center
    x, y = Transformer.from_crs(4326, profile.storage_srid, always_xy=True).transform(lon, lat)
    squares = [shapely.box(x + 50 * n, y, x + 50 * n + 30, y + 30) for n in range(len(identifiers))]
    pyogrio.raw.write(
        str(path),
        geometry=np.array(shapely.to_wkb(squares), dtype=object),
        field_data=[np.array(identifiers, dtype=object), np.array(land_uses, dtype=object)],
        fields=["identifier", "land_use"],
        crs=f"EPSG:{profile.storage_srid}",
        geometry_type="Polygon",
    )
    return path


def identifiers(profile: JurisdictionProfile, unit: AdministrativeUnit, count: int) -> list[str]:
    text = "tờ 1 thửa {}" if profile.key == "vn" else "{}"
    return [
        profile.normalize_identifier(text.format(n + 1), unit_code=unit.code) for n in range(count)
    ]


def exit_status(path: Path, *args: str) -> tuple[int, str, str]:
    """Return the exit status the command line would get, its output and its message."""
    out = StringIO()
    try:
        call_command("import_parcels", str(path), *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return error.returncode, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


def test_a_file_whose_every_feature_is_rejected_exits_1(tmp_path, profile, unit):
    good = identifiers(profile, unit, 2)
    code = profile.land_uses[0].code
    # Two features, two different reasons: nothing to import, and no cause of the file's.
    path = write(tmp_path / "thua.gpkg", profile, [good[0], "?"], ["XYZ", code])

    status, out, message = exit_status(path, "--report", str(tmp_path / "r.csv"))

    assert status == 1
    assert "imported 0" in out and "rejected 2" in out
    assert message.startswith("Nothing was imported: 2 of 2 features were rejected")
    assert Parcel.objects.count() == 0


def test_a_wrong_field_mapping_is_said_once_for_the_whole_file_and_exits_1(tmp_path, profile, unit):
    path = write(tmp_path / "thua.gpkg", profile, identifiers(profile, unit, 30), ["??"] * 30)
    report = tmp_path / "r.csv"

    status, _, message = exit_status(path, "--report", str(report))

    assert status == 1
    assert "Every one of the 30 features has the same problem, so it is the file's" in message
    assert "name the land-use field with --land-use-field" in message
    assert message.count("unknown land use:") == 1  # one example, not 30 rows
    assert len(report.read_text(encoding="utf-8").splitlines()) == 31  # the report lists all


def test_a_file_already_registered_unchanged_exits_0(tmp_path, profile, unit):
    code = profile.land_uses[0].code
    path = write(tmp_path / "thua.gpkg", profile, identifiers(profile, unit, 2), [code, code])
    assert exit_status(path)[0] == 0

    status, out, _ = exit_status(path)

    assert status == 0 and "imported 0 · unchanged 2 · rejected 0" in out


def test_a_report_that_cannot_be_written_is_refused_with_a_message_and_imports_nothing(
    tmp_path, profile, unit
):
    path = write(tmp_path / "thua.gpkg", profile, identifiers(profile, unit, 1), ["??"])
    blocked = tmp_path / "file"
    blocked.write_text("")

    status, _, message = exit_status(path, "--report", str(blocked / "r.csv"))

    assert status == 1
    assert "The report cannot be written" in message and "--report" in message
    assert Parcel.objects.count() == 0


@pytest.mark.parametrize(
    "args", [["--map-scale", "1:7"], ["--batch-size", "0"], ["--valid-from", "yesterday"]]
)
def test_a_command_line_that_cannot_be_read_exits_2(tmp_path, args, capsys):
    from parcels.management.commands.import_parcels import Command

    # Parsing fails before the command runs: nothing is opened, no connection is closed.
    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["manage.py", "import_parcels", str(tmp_path / "x.gpkg"), *args])

    assert exit_.value.code == 2
    assert f"argument {args[0]}" in capsys.readouterr().err
