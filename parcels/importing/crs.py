"""The CRS a layer's coordinates are in, and the transformations out of it.

The layer's own CRS, or --srs when it has none; --srs against a CRS the file names is
refused without --override-srs, so that a wrong guess never moves a whole file.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from landinfo.profiles import JurisdictionProfile
from parcels.importing.problems import ParcelFileError

WGS84 = 4326


@dataclass(frozen=True, slots=True)
class Frame:
    """Where coordinates come from and go to."""

    source: CRS
    source_name: str  # for messages: naming a CRS looks it up in PROJ's database
    storage_srid: int
    to_storage: Transformer
    to_wgs84: Transformer
    profile: JurisdictionProfile


def frame(source: CRS, profile: JurisdictionProfile) -> Frame:
    """Return the frame of a layer in `source` imported into `profile`'s register."""
    return Frame(
        source=source,
        source_name=crs_name(source),
        storage_srid=profile.storage_srid,
        to_storage=Transformer.from_crs(
            source, CRS.from_epsg(profile.storage_srid), always_xy=True
        ),
        to_wgs84=Transformer.from_crs(source, CRS.from_epsg(WGS84), always_xy=True),
        profile=profile,
    )


def crs_name(crs: CRS) -> str:
    """Return how messages name `crs`: its authority code and its name."""
    authority = crs.to_authority()
    code = f"{authority[0]}:{authority[1]}" if authority else "a CRS without an EPSG code"
    return f"{code} ({crs.name})"


def source_crs(declared: str | None, srs: str | None, override: bool) -> CRS:
    """Return the CRS of the layer's coordinates: its own, or --srs when it has none."""
    given: CRS | None = None
    if srs is not None:
        try:
            given = CRS.from_user_input(srs)
        except CRSError as error:
            raise ParcelFileError(f"--srs {srs!r} is not a CRS PROJ knows: {error}") from error
    own: CRS | None = None
    if declared:
        try:
            own = CRS.from_user_input(declared)
        except CRSError as error:
            if given is None:
                raise ParcelFileError(
                    f"The layer's CRS cannot be read ({error}); give it with --srs EPSG:xxxx "
                    f"and --override-srs."
                ) from error
    if own is None and given is None:
        raise ParcelFileError(
            "The layer has no CRS (a Shapefile without .prj?); give it with --srs EPSG:xxxx, "
            "e.g. EPSG:3405 for VN-2000 / UTM 48N or EPSG:4326 for longitude/latitude."
        )
    if own is not None and given is not None and not own.equals(given, ignore_axis_order=True):
        if not override:
            raise ParcelFileError(
                f"The layer says its CRS is {crs_name(own)} but --srs says {crs_name(given)}; "
                f"add --override-srs to read the coordinates as --srs says."
            )
        return given
    if given is not None:
        return given
    assert own is not None  # one of the two, as checked above
    return own
