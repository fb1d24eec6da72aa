"""`manage.py export_layer LAYER FORMAT --output PATH`: the shell face of parcels/publishing/exports.py."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parcels.publishing import exports
from parcels.publishing.layers import LAYERS, InvalidLayerRequest, get_layer

# Command-line options and the export parameters they carry (as in the URL).
_OPTIONS = {
    "srs": "srs",
    "bbox": "bbox",
    "bbox_crs": "bbox-crs",
    "admin_unit": "admin_unit",
    "land_use": "land_use",
    "zoning": "zoning",
    "as_of": "as_of",
    "start": "start",
    "end": "end",
}


class Command(BaseCommand):
    help = (
        "Export a public layer to a file, of any size, as /exports/<layer>.<format> "
        "would (GDAL straight from PostGIS; memory flat in the number of features). "
        "Prints the features, bytes and seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("layer", choices=list(LAYERS))
        parser.add_argument("format", choices=list(exports.FORMATS))
        parser.add_argument(
            "--output",
            required=True,
            help="The file to write; in a folder (an existing one, or a path ending in /) "
            "the download name is used, e.g. parcels-2024-01-01.gpkg. "
            "A Shapefile is written zipped.",
        )
        parser.add_argument(
            "--srs", help="EPSG code of the output CRS (default: the profile's storage CRS)."
        )
        parser.add_argument("--bbox", help="minx,miny,maxx,maxy in --bbox-crs.")
        parser.add_argument("--bbox-crs", help="EPSG code of --bbox (default WGS84 lon/lat).")
        parser.add_argument("--admin-unit", help="Code of an administrative unit.")
        parser.add_argument("--land-use", help="Land-use code.")
        parser.add_argument("--zoning", help="Zoning zone code.")
        parser.add_argument("--as-of", help="The register as it stood that day (YYYY-MM-DD).")
        parser.add_argument("--start", help="First day of the changes layer's period.")
        parser.add_argument("--end", help="Last day of the changes layer's period.")

    def handle(self, *args: Any, **options: Any) -> None:
        layer, fmt = get_layer(options["layer"]), exports.FORMATS[options["format"]]
        given = {
            parameter: options[option]
            for option, parameter in _OPTIONS.items()
            if options.get(option) is not None
        }
        output = Path(options["output"])
        into_folder = options["output"].endswith("/") or output.is_dir()
        started = time.monotonic()
        try:
            params = exports.export_params(given, fmt)
            filename = params.filename(layer, fmt)
            target = output / filename if into_folder else output
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written beside the target, so the final rename stays on one file system.
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as work:
                result = exports.write_export(
                    layer,
                    fmt,
                    Path(work),
                    query=params.query(layer),
                    srid=params.srid,
                    filename=filename,
                )
                result.path.replace(target)
        except InvalidLayerRequest as refusal:
            raise CommandError(str(refusal)) from None
        except exports.ExportFailed as failure:
            raise CommandError(str(failure)) from None
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{target}: {result.features} features, {result.bytes} bytes, {seconds:.1f} s "
            f"({layer.name}, {fmt.title}, EPSG:{params.srid})"
        )
