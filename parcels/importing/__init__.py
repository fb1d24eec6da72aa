"""Import parcels from any file GDAL reads, checking every feature and repairing none.

`import_parcels(path, options=ImportOptions(...))` is the whole of it; the command
`manage.py import_parcels` is its command-line face. Each step has its module:

- `safe_files`: what GDAL may open at all (local files of the parcel formats, zips
  that cannot escape or explode), refused before GDAL reads a byte;
- `run`: the run itself: the layer, one transaction, the steps below in order, and the
  `ImportResult`;
- `options`: what the caller chooses (`ImportOptions`);
- `fields`: which field gives which attribute (`FieldMapping`), guessed from the names
  cadastral files use, and how a map scale is written;
- `encodings`: how the text reaches Python (--encoding, the .cpg, the DBF's code page)
  and text read in the wrong encoding;
- `crs`: the layer's CRS, or --srs, and the transformations to the storage CRS;
- `batches`: one Arrow batch checked, into rows for the staging and problem tables;
- `geometry`: the boundaries' checks (vertices, type, CRS, country, validity) and areas;
- `placement`: whether features lie in their country and unit, and which CRS would put
  a misplaced file in place;
- `attributes`: identifiers, land uses, addresses, areas and map scales from the columns;
- `problems`: what can be wrong, with the whole file (`ParcelFileError`) or a feature
  (`Problem`);
- `staging`: the staging table, its checks against the whole file and the register
  (duplicates, units, conflicts, overlaps) and the insert, in SQL;
- `report`: the counts, the first problems and the CSV report.

What differs between countries (the canonical spelling of identifiers, the fields they
are split into, the word for a unit) is the profile's (`JurisdictionProfile`).
"""

from parcels.importing.fields import FieldMapping, parse_map_scale
from parcels.importing.options import DEFAULT_BATCH_SIZE, ImportOptions
from parcels.importing.problems import ImportAborted, ParcelFileError, Problem
from parcels.importing.report import ReportedProblem
from parcels.importing.run import ImportResult, Progress, import_parcels

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FieldMapping",
    "ImportAborted",
    "ImportOptions",
    "ImportResult",
    "ParcelFileError",
    "Problem",
    "Progress",
    "ReportedProblem",
    "import_parcels",
    "parse_map_scale",
]
