"""What the caller of an import chooses: the layer, the fields, the CRS, the checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BATCH_SIZE = 65_536  # features read at a time


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """What the caller chose; None means "guess" or "use the file's own"."""

    layer: str | None = None
    # One field holding the whole identifier, or the fields of its parts in the order of
    # the canonical form (Vietnam: commune, sheet, parcel; or sheet, parcel + unit_code).
    id_fields: tuple[str, ...] = ()
    unit_code: str | None = None  # the commune / legal dong for short spellings
    srs: str | None = None
    override_srs: bool = False
    land_use_field: str | None = None
    address_field: str | None = None
    area_field: str | None = None
    map_scale_field: str | None = None
    map_scale: int | None = None  # of the file's cadastral map; None: its field, else the profile's
    encoding: str | None = None
    valid_from: dt.date | None = None  # None: today
    create_units: bool = False
    strict: bool = False
    dry_run: bool = False
    report_path: Path | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
