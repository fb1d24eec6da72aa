"""Search-as-you-type in a real browser: from the last keystroke to the suggestions drawn.

Debian's Chromium, driven by Playwright as bench/map.py drives it, opens the map page
(`/`) on gunicorn and types each sample (bench.searches: lot numbers with their unit,
full addresses, streets being typed, single street words) into the search box at a
brisk typist's pace, one key every TYPING_MS. The page is measured through the DOM
only, so that map.js is not changed: an init script stamps every `input` event of the
box and every change of the suggestion list (`#search-results`) with `performance.now()`,
the latter one animation frame later, when it is painted. The latency is from the last
keystroke to the first list drawn after it. It includes map.js's debounce
(`SEARCH_DELAY_MS`, 120 ms when this was written), which is meant to be waited: the
issue's target, 150 ms on the 1M register, leaves 30 ms for the request and drawing.

The floor is the same query fetched by the same page with fetch() (the answer read as
JSON), no debounce and no drawing: the network and the server.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from bench import searches
from bench.harness import Context, Measure, Row
from bench.map import CHROMIUM, CHROMIUM_ARGS, Watch, _page, _until

TYPING_MS = 40  # between keys: faster than the debounce, so only the last key asks
SEARCH_LIMIT = 8  # map.js's SEARCH_LIMIT: the floor asks for what the page asks
KINDS = ("lot", "address", "prefix", "word")

STAMPS = """
(() => {
  window.__inputs = [];
  window.__drawn = [];
  document.addEventListener("input", (event) => {
    if (event.target && event.target.id === "search-input") window.__inputs.push(performance.now());
  }, true);
  new MutationObserver((mutations) => {
    if (!mutations.some((m) => m.target.closest && m.target.closest("#search-results"))) return;
    const list = document.getElementById("search-results");
    if (!list || !list.querySelector(".search-option, .search-empty")) return;
    requestAnimationFrame(() => window.__drawn.push(performance.now()));
  }).observe(document, { childList: true, subtree: true });
})();
"""

FETCH_ONE = """
async (url) => {
  const started = performance.now();
  const response = await fetch(url);
  await response.json();
  return { ms: performance.now() - started, status: response.status };
}
"""


def run(ctx: Context) -> list[Row]:
    """Type each sample into the map's search box; time the suggestions beside a bare fetch."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (see bench/map.py).")
    from playwright.sync_api import sync_playwright

    searches.django_on(ctx)
    per_kind = ctx.scaled(10, 2)
    queries = [sample.query for kind in KINDS for sample in searches.samples(ctx, kind, per_kind)]
    watch = Watch()
    ours: list[float] = []
    floor: list[float] = []
    errors = floor_errors = 0
    started = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            with _page(browser, watch) as page:
                page.add_init_script(STAMPS)
                page.goto(ctx.base_url + "/")
                page.wait_for_selector("#search-input")
                for query in [queries[0], *queries]:  # the first once more, unmeasured
                    latency = _typed(page, query)
                    answer = page.evaluate(
                        FETCH_ONE,
                        "/api/parcels/search?" + urlencode({"q": query, "limit": SEARCH_LIMIT}),
                    )
                    if latency is None:
                        errors += 1
                    else:
                        ours.append(latency / 1000)
                    if answer["status"] != 200:
                        floor_errors += 1
                    floor.append(answer["ms"] / 1000)
        finally:
            browser.close()
    seconds = time.perf_counter() - started
    # The first query warmed the page (code, connections): not counted.
    ours, floor = ours[1:], floor[1:]
    errors += len(watch.problems)
    return [
        Row(
            section="suggest",
            what=f"suggestions drawn after the last keystroke, {len(queries)} queries",
            ours=_one_at_a_time(ours, seconds, errors),
            floor_name="fetch() of the same search from the page (no debounce, no drawing)",
            floor=_one_at_a_time(floor, seconds, floor_errors),
            ratio_of="p95_ms",
            target="≤ 150 ms",
            note=f"typed {TYPING_MS} ms a key in Debian's Chromium (headless); kinds "
            f"{', '.join(KINDS)}; includes map.js's debounce"
            + (f"; {'; '.join(watch.problems[:3])}" if watch.problems else ""),
        )
    ]


def _typed(page: Any, query: str) -> float | None:
    """Type `query` into the emptied box; return ms from its last keystroke to the list drawn."""
    box = page.locator("#search-input")
    box.fill("")
    page.keyboard.press("Escape")
    time.sleep(0.3)  # the emptied box's own answer, if any, is over
    page.evaluate("window.__inputs = []; window.__drawn = [];")
    box.press_sequentially(query, delay=TYPING_MS)
    try:
        _until(
            page,
            "window.__inputs.length > 0 && window.__drawn.some("
            "(t) => t > window.__inputs[window.__inputs.length - 1])",
            timeout=30,
        )
    except TimeoutError:
        return None
    last, drawn = page.evaluate("[window.__inputs[window.__inputs.length - 1], window.__drawn]")
    return float(min(t for t in drawn if t > last) - last)


def _one_at_a_time(latencies_s: list[float], seconds: float, errors: int) -> Measure:
    measure = Measure.of_latencies(latencies_s, seconds=seconds, errors=errors)
    return Measure(
        count=measure.count,
        p50_ms=measure.p50_ms,
        p95_ms=measure.p95_ms,
        p99_ms=measure.p99_ms,
        errors=errors,
    )
