"""One batch of a layer checked: its rows for the staging table and for the report.

Geometry (parcels.importing.geometry), text (encodings), attributes (attributes) and the
administrative unit each parcel lies in (placement) are checked a whole batch at a time;
the checks that need the whole file or the register run on the staging table
(parcels.importing.staging).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import shapely

from landinfo.profiles import JurisdictionProfile
from parcels.importing import attributes, placement
from parcels.importing.crs import Frame
from parcels.importing.encodings import TextDecoding, encoding_problem, encoding_suspects
from parcels.importing.fields import FieldMapping, used_fields
from parcels.importing.geometry import Geometries, check_geometries, hex_wkb
from parcels.importing.problems import Problem, Problems
from parcels.importing.staging import Status


class Batches:
    """Check the batches of one layer against one mapping; return staging and problem rows."""

    def __init__(
        self,
        *,
        profile: JurisdictionProfile,
        mapping: FieldMapping,
        frame: Frame,
        text: TextDecoding,
        columns: dict[str, str],
        integer_fields: frozenset[str],
        geometry_column: str,
        fid_column: str,
        map_scale: int | None,
    ) -> None:
        self.profile = profile
        self.mapping = mapping
        self.frame = frame
        self.text = text
        self.columns = columns  # field name → Arrow column name
        self.integer_fields = integer_fields
        self.geometry_column = geometry_column
        self.fid_column = fid_column
        self.with_z = 0
        self.map_scale = map_scale  # --map-scale; else the field's, else the profile's
        self.units = placement.UnitAreas(profile.unit_tolerance_m)
        self.sample = placement.Sample()
        self.misplaced = 0  # features outside the country or their unit

    def check(self, batch: pa.RecordBatch, first_seq: int) -> tuple[pa.Table, pa.Table]:
        """Return the batch's rows for the staging table and for the problem table."""
        mapping, profile = self.mapping, self.profile
        geometries = check_geometries(batch.column(self.geometry_column), self.frame)
        self.with_z += geometries.with_z
        problems = Problems(batch.num_rows, geometries.problems)
        texts = {
            name: self._decoded(batch.column(self.columns[name]), name, problems)
            for name in dict.fromkeys(used_fields(mapping))
        }
        identifiers, units = attributes.identifiers(
            texts, mapping, profile, self.integer_fields, problems
        )
        self._place(geometries, units.to_numpy(zero_copy_only=False), problems)
        land_uses = attributes.land_uses(texts[mapping.land_use], mapping, profile, problems)
        addresses = attributes.addresses(texts, mapping, problems)
        scales = attributes.map_scales(texts, mapping, self.map_scale, profile, problems)
        areas = attributes.registered_areas(texts, geometries.areas, mapping, problems)
        attributes.compare_areas(areas, geometries.areas, scales, mapping, profile, problems)

        fids = batch.column(self.fid_column)
        staged = np.flatnonzero(identifiers.is_valid().to_numpy(zero_copy_only=False))
        accepted = ~problems.rejected[staged]
        boundaries = geometries.boundaries[staged]
        boundaries[~accepted] = None
        staged_areas = areas[staged]
        staging = pa.table(
            {
                "seq": pa.array(first_seq + staged, pa.int64()),
                "fid": fids.take(staged),
                "identifier": identifiers.take(staged),
                "unit_code": units.take(staged),
                "land_use": land_uses.take(staged),
                "registered_area": pa.array(staged_areas, mask=np.isnan(staged_areas)),
                "address": addresses.take(staged),
                # Kept only when given: a parcel without one follows the profile's usual scale.
                "map_scale": pa.array(scales[staged], pa.int32(), mask=scales[staged] == 0),
                "boundary": hex_wkb(boundaries),
                "status": pa.array(
                    np.where(accepted, Status.ACCEPTED.value, Status.REJECTED.value),
                    pa.string(),
                ),
            }
        )
        return staging, _problem_rows(problems, first_seq, fids, identifiers)

    def _place(
        self,
        geometries: Geometries,
        unit_codes: npt.NDArray[np.object_],
        problems: Problems,
    ) -> None:
        """Refuse the boundaries outside the unit they are imported into; keep a sample.

        Where the unit has a boundary in the register; a unit not in it is reported by
        the register's checks, and one without a boundary checks nothing.
        """
        self.sample.add(geometries.source_x, geometries.source_y, unit_codes[geometries.sampled])
        self.misplaced += sum(item.problem is Problem.OUTSIDE_AREA for item in geometries.problems)
        # Element-wise tests of object arrays: "is not None" would test the array itself.
        rows = np.flatnonzero((unit_codes != None) & (geometries.boundaries != None))  # noqa: E711
        if not len(rows):
            return
        checked, inside = self.units.check(unit_codes[rows], geometries.boundaries[rows])
        noun = self.profile.unit_noun
        tolerance = self.profile.unit_tolerance_m
        outside = rows[checked & ~inside]
        middles = shapely.centroid(geometries.boundaries[outside])
        instead = placement.units_at(
            shapely.get_x(middles),
            shapely.get_y(middles),
            unit_codes[outside],
            self.profile.storage_srid,
        )
        for row, middle, unit in zip(outside, middles, instead, strict=True):
            code = unit_codes[row]
            away = shapely.distance(self.units.boundary(code), middle)
            where = (
                f"its middle lies {away:.0f} m outside it, "
                + (
                    f"in {placement.unit_label(noun, unit)}"
                    if unit is not None
                    else f"in no other {noun} of the register"
                )
                if away > 0
                else f"it crosses that unit's boundary by more than {tolerance:g} m"
            )
            problems.add(
                row,
                "geometry",
                Problem.OUTSIDE_UNIT,
                f"the parcel is not in {noun} {code}, whose parcel it is: {where}; is "
                f"{self.frame.source_name} the file's CRS (--srs), and {code} its {noun}?",
            )
            geometries.boundaries[row] = None
            self.misplaced += 1

    def _decoded(self, column: pa.Array, field_name: str, problems: Problems) -> pa.Array:
        """Return the column's values decoded; report the text in a wrong encoding."""
        decoded, errors = self.text.decode(column)
        for row, detail in errors.items():
            problems.add(row, field_name, Problem.WRONG_ENCODING, detail)
        for row in encoding_suspects(decoded):
            suspicion = encoding_problem(decoded[row].as_py())
            if suspicion is not None:
                problems.add(row, field_name, Problem.WRONG_ENCODING, suspicion)
        return decoded


def _problem_rows(
    problems: Problems, first_seq: int, fids: pa.Array, identifiers: pa.Array
) -> pa.Table:
    """Return the batch's rows for the problem table, by feature."""
    found = sorted(problems.found, key=lambda item: item.row)
    positions = np.array([item.row for item in found], dtype=np.intp)
    shown = identifiers.take(positions).to_pylist()
    return pa.table(
        {
            "seq": pa.array(first_seq + positions, pa.int64()),
            "fid": fids.take(positions),
            "identifier": pa.array(
                [
                    identifier or problems.written.get(item.row, "")
                    for identifier, item in zip(shown, found, strict=True)
                ],
                pa.string(),
            ),
            "field": pa.array([item.field for item in found], pa.string()),
            "kind": pa.array([item.problem.value for item in found], pa.string()),
            "rejects": pa.array([item.problem.rejects for item in found], pa.bool_()),
            "reason": pa.array(
                [f"{item.problem.value}: {item.detail}" for item in found], pa.string()
            ),
        }
    )
