"""The public map in a real browser: how long a dense view takes to draw, and how smooth a pan is.

Debian's Chromium, driven by Playwright as the end-to-end tests drive it (no browser is
downloaded), opens `/` against gunicorn at the densest z16 tile of the bench register.

- Drawing a view: from navigation start until the parcel layer's `load` event (Leaflet
  fires it once every visible tile is in; VectorGrid calls a tile done one animation
  frame after drawing it on its canvas), then one more frame so that it is painted. The
  hook is attached by an init script that wraps `window.landinfoMapInit`: map.js is not
  changed. Each repetition is a fresh browser context, so the browser cache is cold.
  The floor is the same tile URLs fetched by the same browser with fetch() in parallel
  from a page of the same origin, no decoding or drawing: the network and the server.
- Panning: mouse drags across the densest area for a few seconds while a
  requestAnimationFrame loop records frame intervals; the floor is the same loop over
  the same view standing still (the browser's own frame cadence).

Console errors, failed loads, HTTP errors and requests to another host count as errors,
like the end-to-end tests' `assert_clean`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.harness import (
    Context,
    Measure,
    Row,
    densest_tiles,
    median,
    tile_centre_lonlat,
)

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package, as in tests/e2e/conftest.py
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# The first zoom with parcels' identifiers and every vertex (parcels/publishing/tiles.py;
# z15 draws them simplified), where a view holds the most of them.
ZOOM = 16
TILE_PATH = "/tiles/parcels/"
# 60 Hz: a frame interval above this (with a little timer jitter) missed a vsync.
VSYNC_MS = 1000 / 60
MISSED_VSYNC_MS = 1.2 * VSYNC_MS
LONG_FRAME_MS = 50  # 20 frames a second: below it a pan no longer looks continuous
# Pan speed of a brisk mouse drag, and the length of one drag across the 1280 px map.
PAN_PX_PER_S = 480
DRAG_PX = 600

# Wraps window.landinfoMapInit (which django-leaflet calls once the map exists) so that
# the parcel layer's first `load` is heard even when it comes before any page.evaluate.
# A MessageChannel task after the next animation frame runs once that frame is painted.
# Long tasks (> 50 ms on the main thread) are kept to show where the time went.
DRAWN_HOOK = """
(() => {
  const longTasks = (window.__longTasks = []);
  new PerformanceObserver((list) => {
    for (const task of list.getEntries()) longTasks.push([task.startTime, task.duration]);
  }).observe({ type: "longtask", buffered: true });
  let init;
  Object.defineProperty(window, "landinfoMapInit", {
    configurable: true,
    get() { return init; },
    set(original) {
      init = function () {
        const bench = (window.__bench = { initAt: performance.now(), loadAt: null, drawnAt: null });
        const result = original.apply(this, arguments);
        window.landinfo.state.tiles.once("load", () => {
          bench.loadAt = performance.now();
          requestAnimationFrame(() => {
            const channel = new MessageChannel();
            channel.port1.onmessage = () => { bench.drawnAt = performance.now(); };
            channel.port2.postMessage(null);
          });
        });
        return result;
      };
    },
  });
})();
"""

# The drawn view's tiles, as Resource Timing saw them (ms from navigation start).
TILE_ENTRIES = f"""
() => performance.getEntriesByType("resource")
  .filter((entry) => entry.name.includes("{TILE_PATH}"))
  .map((entry) => ({{url: entry.name, start: entry.startTime, end: entry.responseEnd,
                    bytes: entry.encodedBodySize}}))
"""

# The floor: every tile of the view at once, bodies read, nothing decoded or drawn.
FETCH_ALL = """
async (urls) => {
  const started = performance.now();
  const sizes = await Promise.all(urls.map(async (url) => {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(url + ": HTTP " + response.status);
    return (await response.arrayBuffer()).byteLength;
  }));
  return { ms: performance.now() - started, bytes: sizes.reduce((a, b) => a + b, 0) };
}
"""

FRAMES_START = """
() => {
  const frames = (window.__frames = []);
  window.__recording = true;
  let last = null;
  const tick = (now) => {
    if (last !== null) frames.push(now - last);
    last = now;
    if (window.__recording) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""

# Where the view's centre is, in z16 pixels from the antimeridian: how far a pan went.
CENTRE_X = f"landinfoMap.project(landinfoMap.getCenter(), {ZOOM}).x"

FRAMES_STOP = "() => { window.__recording = false; return window.__frames; }"


@dataclass
class Watch:
    """What a page did that the end-to-end tests would refuse: errors and foreign requests."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_failed)
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _on_request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            self.problems.append(f"request to another host: {request.url}")

    def _on_failed(self, request: Any) -> None:
        # A pan drops tiles that left the view before they arrived: that abort is no failure.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} ({request.failure})")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


def _until(page: Any, expression: str, timeout: float = 60.0) -> None:
    """Poll `expression` through page.evaluate until it is true.

    Playwright's wait_for_function runs its predicate with eval() in the page, which the
    site's Content-Security-Policy refuses (no 'unsafe-eval'); the timings themselves
    are stamped by the page, so the polling interval does not enter them.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression} still false after {timeout} s")
        time.sleep(0.02)


@contextmanager
def _page(browser: Any, watch: Watch) -> Iterator[Any]:
    """Yield a page of a fresh browser context (cold cache) watched by `watch`."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        watch.attach(page)
        yield page
    finally:
        context.close()


def run(ctx: Context) -> list[Row]:
    """Time drawing the densest z16 view and the frames of a pan over it, beside their floors."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup with "
            "LANDINFO_WITH_BROWSER=1, as `make test` does); Playwright downloads no browser here."
        )
    from playwright.sync_api import sync_playwright

    z, x, y, parcels = densest_tiles(ctx, ZOOM, 1)[0]
    lon, lat = tile_centre_lonlat(z, x, y)
    where = f"z{z}/{x}/{y} ({parcels:,} parcels in the tile)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        ctx.notes.append(
            f"Map: Debian's Chromium {browser.version}, headless, --disable-gpu (software "
            "rendering), driven by Playwright."
        )
        try:
            return [
                *_draw_rows(ctx, browser, lon, lat, where),
                _pan_row(ctx, browser, lon, lat, where),
            ]
        finally:
            browser.close()


# --- drawing a view ------------------------------------------------------------------------


def _view_url(ctx: Context, lon: float, lat: float) -> str:
    # map.js readUrl(): the hash is #zoom/lat/lon.
    return f"{ctx.base_url}/#{ZOOM}/{lat:.6f}/{lon:.6f}"


def _draw_once(browser: Any, url: str, watch: Watch) -> dict[str, Any]:
    """Open `url` in a fresh context; return the page's timings and the tiles it drew."""
    with _page(browser, watch) as page:
        page.add_init_script(DRAWN_HOOK)
        page.goto(url)
        _until(page, "window.__bench && window.__bench.drawnAt !== null")
        timings = page.evaluate("window.__bench")
        timings["tiles"] = page.evaluate(TILE_ENTRIES)
        timings["longTasks"] = page.evaluate("window.__longTasks")
        return timings


def _fetch_once(browser: Any, ctx: Context, urls: list[str], watch: Watch) -> dict[str, float]:
    """Fetch `urls` in parallel from a small page of the origin in a fresh context."""
    with _page(browser, watch) as page:
        # A small page of the origin (the certificate check form): no map, no tiles, and
        # base.html's data: icon spares the favicon request a bare file would make.
        page.goto(ctx.base_url + "/verify/")
        result: dict[str, float] = page.evaluate(FETCH_ALL, urls)
        return result


def _one_at_a_time(latencies_s: list[float], seconds: float, errors: int) -> Measure:
    """Return the measure of views opened one after another: their rate means nothing."""
    return replace(
        Measure.of_latencies(latencies_s, seconds=seconds, errors=errors), per_second=None
    )


def _draw_rows(ctx: Context, browser: Any, lon: float, lat: float, where: str) -> list[Row]:
    """Open the z16 view at (lon, lat) in fresh contexts, each beside a bare fetch of its tiles."""
    url = _view_url(ctx, lon, lat)
    ours_watch, floor_watch = Watch(), Watch()
    # Once unmeasured: the server's first tiles pay for cold PostgreSQL pages, and the
    # floor, measured after, would not.
    warm = _draw_once(browser, url, Watch())
    tile_urls = sorted({entry["url"] for entry in warm["tiles"]})
    if not tile_urls:
        raise RuntimeError(f"the map at {url} requested no parcel tile")
    drawn: list[dict[str, Any]] = []
    fetched: list[dict[str, float]] = []
    started = time.perf_counter()
    for _ in range(ctx.scaled(10, 2)):  # alternated, so that load on the machine hits both
        drawn.append(_draw_once(browser, url, ours_watch))
        fetched.append(_fetch_once(browser, ctx, tile_urls, floor_watch))
    seconds = time.perf_counter() - started
    ours = _one_at_a_time(
        [run["drawnAt"] / 1000 for run in drawn], seconds, len(ours_watch.problems)
    )
    floor = _one_at_a_time(
        [run["ms"] / 1000 for run in fetched], seconds, len(floor_watch.problems)
    )
    mismatched = [run for run in drawn if {e["url"] for e in run["tiles"]} != set(tile_urls)]

    def busy(run: dict[str, Any]) -> float:
        """Return the ms of long tasks between the first tile asked and the painted frame."""
        first = min(entry["start"] for entry in run["tiles"])
        return sum(
            max(0.0, min(start + length, run["drawnAt"]) - max(start, first))
            for start, length in run["longTasks"]
        )

    note = (
        f"{where}, 1280×800, cold browser cache, server warm; {len(tile_urls)} tiles, "
        f"{median([run['bytes'] for run in fetched]) / 1024:,.0f} KiB. Medians from "
        f"navigation: map ready {median([run['initAt'] for run in drawn]):,.0f} ms, first "
        f"tile asked {median([min(e['start'] for e in run['tiles']) for run in drawn]):,.0f} "
        f"ms, last tile in {median([max(e['end'] for e in run['tiles']) for run in drawn]):,.0f}"
        f" ms, layer `load` {median([run['loadAt'] for run in drawn]):,.0f} ms, painted "
        f"{median([run['drawnAt'] for run in drawn]):,.0f} ms; from the first tile asked to "
        f"painted the main thread ran {median([busy(run) for run in drawn]):,.0f} ms of long "
        "tasks (decoding and drawing). The floor has no page, script or decoding: the ratio is "
        "what the page, Leaflet and VectorGrid add."
    )
    if mismatched:
        note += f" {len(mismatched)} runs drew another set of tiles than the first."
    problems = ours_watch.problems + floor_watch.problems
    if problems:
        note += " Problems: " + "; ".join(problems[:3])
    # The same runs from the first tile request on: without the page and its scripts,
    # beside the same floor, this is what fetching through VectorGrid and drawing cost.
    tiles_phase = _one_at_a_time(
        [(run["drawnAt"] - min(e["start"] for e in run["tiles"])) / 1000 for run in drawn],
        seconds,
        len(ours_watch.problems),
    )
    floor_name = "the same tiles by fetch() in parallel, not drawn"
    return [
        Row(
            section="map",
            what=f"z{ZOOM} view of the densest area: navigation to painted, cold browser cache",
            ours=ours,
            floor_name=floor_name,
            floor=floor,
            ratio_of="p95_ms",
            note=note,
        ),
        Row(
            section="map",
            what=f"z{ZOOM} view of the densest area: first tile asked to painted",
            ours=tiles_phase,
            floor_name=floor_name,
            floor=floor,
            ratio_of="p95_ms",
            note="The same runs as above, less the page load: tiles fetched by VectorGrid "
            "(each decoded and drawn on the main thread as it arrives, while the next ones wait) "
            "against the bare parallel fetch.",
        ),
    ]


# --- panning --------------------------------------------------------------------------------


def _frames(values: list[float], seconds: float, errors: int) -> Measure:
    """Return the measure of frame intervals (ms) recorded over `seconds`."""
    return Measure.of_latencies([value / 1000 for value in values], seconds=seconds, errors=errors)


def _drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag the map from `start` to `end` at PAN_PX_PER_S, its position following the clock.

    Positions follow wall time, not a count of steps: when the page is busy, the next
    move lands further on, as a hand's would.
    """
    length = ((end[0] - start[0]) ** 2 + (end[1] - start[1]) ** 2) ** 0.5
    duration = length / PAN_PX_PER_S
    page.mouse.move(*start)
    page.mouse.down()
    began = time.perf_counter()
    while (share := (time.perf_counter() - began) / duration) < 1:
        page.mouse.move(
            start[0] + (end[0] - start[0]) * share, start[1] + (end[1] - start[1]) * share
        )
        time.sleep(0.008)
    page.mouse.move(*end)
    page.mouse.up()


def _pan_row(ctx: Context, browser: Any, lon: float, lat: float, where: str) -> Row:
    """Record frame intervals standing still, then while dragging the map east over (lon, lat)."""
    pan_seconds = ctx.scaled(5, 1)
    drags = max(1, round(pan_seconds * PAN_PX_PER_S / DRAG_PX))
    # Start west of the densest tile by half the pan, so that the pan crosses it.
    half_px = drags * DRAG_PX / 2
    start_lon = lon - half_px * 360 / (256 * 2**ZOOM)
    watch = Watch()
    with _page(browser, watch) as page:
        page.goto(_view_url(ctx, start_lon, lat))
        _until(page, "window.landinfo !== undefined && window.landinfo.isIdle()")
        page.evaluate("performance.setResourceTimingBufferSize(100000)")  # every tile counted
        before = page.evaluate(CENTRE_X)
        box = page.locator("#map").bounding_box()
        centre_x, centre_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

        page.evaluate(FRAMES_START)
        time.sleep(pan_seconds)
        still = page.evaluate(FRAMES_STOP)

        tiles_before = len(page.evaluate(TILE_ENTRIES))
        page.evaluate(FRAMES_START)
        began = time.perf_counter()
        for index in range(drags):
            # Right to left (the view moves east), zig-zagging north and south.
            rise = 80 if index % 2 else -80
            _drag(
                page,
                (centre_x + DRAG_PX / 2, centre_y - rise),
                (centre_x - DRAG_PX / 2, centre_y + rise),
            )
        panned = page.evaluate(FRAMES_STOP)
        seconds = time.perf_counter() - began
        tiles_during = len(page.evaluate(TILE_ENTRIES)) - tiles_before
        _until(page, "window.landinfo.isIdle()")  # the last tiles load: no errors
        travelled = page.evaluate(CENTRE_X) - before
    errors = len(watch.problems)
    ours = _frames(panned, seconds, errors)
    floor = _frames(still, pan_seconds, 0)
    missed = sum(value > MISSED_VSYNC_MS for value in panned) / len(panned) if panned else 0
    long = sum(value > LONG_FRAME_MS for value in panned) / len(panned) if panned else 0
    note = (
        f"{drags} mouse drags of {DRAG_PX} px at {PAN_PX_PER_S} px/s across {where} "
        f"(the view moved {travelled:,.0f} px east, {tiles_during} tiles arrived meanwhile), "
        f"headless software rendering (--disable-gpu); {missed:.0%} of frames missed a "
        f"60 Hz vsync (> {MISSED_VSYNC_MS:.0f} ms), {long:.0%} took over {LONG_FRAME_MS} ms; "
        f"longest {max(panned, default=0):,.0f} ms."
    )
    if watch.problems:
        note += " Problems: " + "; ".join(watch.problems[:3])
    return Row(
        section="map",
        what=f"frame interval while panning at z{ZOOM}",
        ours=ours,
        floor_name="the same view standing still (rAF cadence)",
        floor=floor,
        ratio_of="p95_ms",
        note=note,
    )
