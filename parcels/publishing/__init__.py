"""Publishing: the register's public, non-personal data as GIS layers, files, tiles and an API.

What leaves the register for maps and GIS tools, read-only and without a party in it:

- `layers.py`: the registry of public layers (SQL, columns, filters, lifespans) and
  `query()`, the one SELECT every reader below uses. Parcels owns it; another app adds
  what it knows of parcels (`add_columns`, `register_layer`) from its AppConfig.ready(),
  as `transactions/layers.py` does for rights and the changes layer;
- `exports.py`: a layer written by GDAL (GeoPackage, Shapefile, GeoJSON, FlatGeobuf,
  CSV, KML); `export_views.py` serves `/exports/<layer>.<format>`;
- `jobs.py`: large exports run in the background (`manage.py export_worker`);
- `planner.py`, `planner_urls.py`: the planner's pages that choose and follow exports;
- `ogc/`: OGC API – Features at `/ogc/`: `core.py` (documents, paging, items),
  `openapi.py` (the API definition), `views.py` (Django views), `urls.py`;
- `tiles.py`: Mapbox vector tiles of parcels, zoning and administrative units.
"""
