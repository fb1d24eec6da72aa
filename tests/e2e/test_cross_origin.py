"""A page of another site, in Chromium, reads the register's features and tiles, and cannot write.

The page is served by Python's http.server on a port of its own (another origin than the
live server), and its script fetches from the register as a MapLibre or OpenLayers map
would; what the browser let it read is taken from the page.
"""

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import wait_for
from tests.factories import ParcelFactory
from tests.parcels.publishing.test_tiles import COL, IN_TILE, ROW, square

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site's map</title></head>
<body><pre id="out">running</pre>
<script>
(async () => {
  const query = new URLSearchParams(location.search);
  const register = query.get("register");
  const results = {};
  async function attempt(name, request) {
    try { results[name] = await request(); }
    catch (error) { results[name] = { blocked: String(error) }; }
  }
  await attempt("items", async () => {
    const response = await fetch(register + "/ogc/collections/parcels/items?limit=5");
    const body = await response.json();
    return { status: response.status, features: body.features.length,
             crs: response.headers.get("Content-Crs") };
  });
  await attempt("tile", async () => {
    const response = await fetch(register + query.get("tile"));
    const bytes = await response.arrayBuffer();
    return { status: response.status, bytes: bytes.byteLength,
             type: response.headers.get("Content-Type"), etag: response.headers.get("ETag") };
  });
  await attempt("filtered", async () => {
    const response = await fetch(register + "/ogc/collections/parcels/items", {
      method: "POST", headers: { "Content-Type": "application/query-cql-json" },
      body: JSON.stringify({ op: "=", args: [{ property: "identifier" }, query.get("one")] }),
    });
    const body = await response.json();
    return { status: response.status, matched: body.numberMatched };
  });
  await attempt("write", async () => {
    const response = await fetch(register + "/api/transactions/",
                                 { method: "POST", credentials: "include" });
    return { status: response.status };
  });
  window.__results = results;
  document.getElementById("out").textContent = JSON.stringify(results, null, 2);
})();
</script></body></html>
"""


@pytest.fixture
def other_site(tmp_path) -> Iterator[str]:
    """Serve PAGE from another origin (127.0.0.1, a free port); yield its URL."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_page_of_another_site_reads_features_and_tiles_but_cannot_post_a_deed(
    browser, live_server, other_site, transactional_db, tmp_path
):
    parcels = [ParcelFactory(boundary=square(COL + i, ROW)) for i in range(3)]
    z, x, y = IN_TILE[16]
    register = live_server.url.replace("127.0.0.1", "localhost")  # another host, another site
    assert register.split(":")[:2] != other_site.split(":")[:2]
    context = browser.new_context()
    try:
        page = context.new_page()
        tile = f"/ogc/tiles/WebMercatorQuad/{z}/{y}/{x}"
        page.goto(f"{other_site}?register={register}&tile={tile}&one={parcels[1].identifier}")
        wait_for(page, "window.__results !== undefined")
        results = page.evaluate("window.__results")
        page.screenshot(path=str(tmp_path / "cors-other-site.png"))
    finally:
        context.close()
    assert results["items"] == {
        "status": 200,
        "features": 3,
        "crs": "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>",
    }
    tile = results["tile"]
    assert tile["status"] == 200 and tile["bytes"] > 0
    assert tile["type"] == "application/vnd.mapbox-vector-tile"
    assert tile["etag"].startswith('"')  # exposed: the page can revalidate
    # A CQL2 JSON filter posted from another site is a read the browser lets through.
    assert results["filtered"] == {"status": 200, "matched": 1}, results["filtered"]
    # The browser refuses to hand the page the answer of a write: no CORS on that path.
    assert "blocked" in results["write"], results["write"]
