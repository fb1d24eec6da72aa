"""What can be wrong: with the whole file (an error), or with one feature (a problem).

A cause that is the whole file's (its CRS, its encoding, a field mapping) raises
ParcelFileError, and nothing is imported; a feature's problem is collected in the batch's
`Problems`, written to the report, and the import goes on without that feature.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


class ParcelFileError(Exception):
    """Raised when a file, layer, CRS or field mapping cannot be imported at all.

    The message names what is wrong and the option that fixes it.
    """


class ImportAborted(Exception):
    """Raised when the database refused the write; nothing was imported."""


class Problem(enum.Enum):
    """Why a feature was not imported; the value heads its reason in the report."""

    MISSING_GEOMETRY = "missing geometry"
    TOO_MANY_VERTICES = "too many vertices"
    UNREADABLE_GEOMETRY = "unreadable geometry"
    NOT_POLYGONAL = "not polygonal"
    INVALID_GEOMETRY = "invalid geometry"
    OUTSIDE_AREA = "outside the country"
    OUTSIDE_UNIT = "outside its administrative unit"
    MISSING_IDENTIFIER = "missing identifier"
    UNREADABLE_IDENTIFIER = "unreadable identifier"
    DUPLICATE_IDENTIFIER = "duplicate identifier"
    WRONG_ENCODING = "wrong encoding"
    BAD_AREA = "bad area"
    BAD_MAP_SCALE = "bad map scale"
    UNKNOWN_LAND_USE = "unknown land use"
    BAD_ADDRESS = "bad address"
    UNKNOWN_UNIT = "unknown administrative unit"
    CONFLICT = "conflict"
    OVERLAP = "overlap"
    # A note, not a refusal: the parcel is imported and the report lists it.
    AREA_DIFFERS = "registered area differs from the boundary"

    @property
    def rejects(self) -> bool:
        """Return whether a feature with this problem is left out of the import."""
        return self is not Problem.AREA_DIFFERS


@dataclass(frozen=True, slots=True)
class FeatureProblem:
    """A problem of one feature of a batch."""

    row: int  # within the batch
    field: str
    problem: Problem
    detail: str


class Problems:
    """The problems of one batch, as they are found."""

    def __init__(self, count: int, found: list[FeatureProblem]) -> None:
        self.found = found
        self.rejected = np.zeros(count, dtype=bool)
        for item in found:
            self.rejected[item.row] = True
        self.garbled: dict[str, npt.NDArray[np.bool_]] = {}  # field → values not decodable
        self.written: dict[int, str] = {}  # identifiers as written, where they were refused

    def add(
        self, row: int | np.integer[Any], field_name: str, problem: Problem, detail: str
    ) -> None:
        self.found.append(FeatureProblem(int(row), field_name, problem, detail))
        if problem.rejects:
            self.rejected[row] = True
        if problem is Problem.WRONG_ENCODING:
            self.garbled.setdefault(field_name, np.zeros(len(self.rejected), dtype=bool))
            self.garbled[field_name][row] = True

    def garbled_in(self, *field_names: str) -> npt.NDArray[np.bool_]:
        """Return where the text of any of `field_names` is garbled: nothing else is said."""
        mask = np.zeros(len(self.rejected), dtype=bool)
        for name in field_names:
            if name in self.garbled:
                mask |= self.garbled[name]
        return mask
