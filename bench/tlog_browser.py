"""The verify page's own check of a certificate, in Chromium, against a 1M-entry log's proof.

tlog-verify.js's `check` (what the verify page runs on load: the code's Ed25519
signature, the entry's hash, the checkpoint's log signature and one witness's
cosignature, the RFC 9162 inclusion proof, the device's memory of the log) is timed in
one page, RUNS times, on a certificate at entry 500,001 of a checkpoint of 1,000,000
entries: an inclusion proof of 20 hashes, as the 1M register gives. The inputs are made
here with the register's own code (the certificate code, C2SP notes, merkle.py) and
need no database: the proof's hashes are random and the checkpoint's root is the root
they make, so every check passes.

The floor is the same page computing what the check cannot do without: 40 SHA-256 of
65 bytes (a proof's node hashes, twice over) and one Ed25519 verify, timed alternately
with the check so that both see the same machine. The issue's target: ≤ 50 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Context, Measure, Row
from bench.map import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

SIZE = 1_000_000
ENTRY = 500_001  # in the left, perfect half of 2**19 leaves: a proof of 20 hashes
PROOF_HASHES = 20
RUNS = 50
SCRIPT = ROOT / "transactions" / "static" / "transactions" / "tlog-verify.js"
WITNESS = "witness.bench/w1"
# A page of localhost (a secure context, as WebCrypto needs), answered by Playwright.
PAGE = "http://localhost/tlog-bench/"

TIMED = """
async ([code, data, runs]) => {
  const t = window.landinfoTlog;
  const message = new Uint8Array(65);
  const floor = async () => {
    for (let i = 0; i < 40; i++) await t.sha256(message);
    return t.ed25519Verify(data.floor_key, data.floor_signature, data.floor_message);
  };
  const noFetch = () => Promise.reject(new Error("the bench remembers one checkpoint"));
  data.floor_key = t.b64decode(data.floor_key);
  data.floor_signature = t.b64decode(data.floor_signature);
  data.floor_message = t.b64decode(data.floor_message);
  const ours = [], base = [], outcomes = [];
  for (let i = 0; i <= runs; i++) {  // the first of each unmeasured: code compiled, key cached
    let started = performance.now();
    const result = await t.check(code, data, noFetch);
    const took = performance.now() - started;
    started = performance.now();
    const verified = await floor();
    const floorTook = performance.now() - started;
    if (i === 0) continue;
    ours.push(took);
    base.push(floorTook);
    outcomes.push(result.outcome === "ok" && verified ? "ok" : JSON.stringify(result.lines));
  }
  return { ours, base, outcomes };
}
"""


def _inputs() -> tuple[str, dict[str, Any]]:
    """Return a certificate code and the verify page's data for it, as the register makes them."""
    import base64

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landinfo.settings")
    django.setup()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from transactions.certificates.issue import CodeFields, encode_code
    from transactions.journal import checkpoints, merkle, notes

    rng = random.Random(1)
    key, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    entry_hash = rng.randbytes(32)
    proof = [rng.randbytes(32) for _ in range(PROOF_HASHES)]
    root = merkle.root_from_inclusion(ENTRY - 1, SIZE, merkle.leaf_hash(entry_hash), proof)
    signer = notes.Signer("bench.example/tlog", key)
    text = notes.checkpoint_text(signer.name, SIZE, root)
    note = notes.sign_note(text, [signer]) + notes.cosign(text, WITNESS, witness, 1_700_000_000)
    fields = CodeFields(
        key_prefix=bytes.fromhex(checkpoints.key_id(key.public_key()))[:4],
        full=False,
        parcel_id=1,
        sequence=ENTRY,
        issued_at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        head_prefix=entry_hash[:8],
        record_digest=bytes(16),
        data_digest=bytes(8),
        language="vi",
    )
    floor_message = b"x" * 200
    b64 = lambda value: base64.b64encode(value).decode()  # noqa: E731
    return encode_code(fields, key), {
        "status": "proved",
        "entry": ENTRY,
        "entry_hash": entry_hash.hex(),
        "tree_size": SIZE,
        "inclusion_proof": [b64(node) for node in proof],
        "checkpoint": note,
        "log_vkey": signer.verifier.vkey,
        "witness_vkeys": [notes.cosigner(WITNESS, witness).vkey],
        "quorum": 1,
        "floor_key": b64(notes.raw_public(key.public_key())),
        "floor_signature": b64(key.sign(floor_message)),
        "floor_message": b64(floor_message),
    }


def run(ctx: Context) -> list[Row]:
    """Time the page's check of a 1M-entry certificate proof beside the bare cryptography."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (see bench/map.py).")
    from playwright.sync_api import sync_playwright

    code, data = _inputs()
    runs = RUNS  # as many in a smoke run: a second in all
    script = Path(SCRIPT).read_text(encoding="utf-8")
    html = '<!doctype html><meta charset="utf-8"><script src="tlog-verify.js"></script>'
    started = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.route(
                PAGE + "**",
                lambda route: route.fulfill(
                    body=script if route.request.url.endswith(".js") else html,
                    content_type="text/javascript"
                    if route.request.url.endswith(".js")
                    else "text/html",
                ),
            )
            page.goto(PAGE)
            answer = page.evaluate(TIMED, [code, data, runs])
        finally:
            browser.close()
    seconds = time.perf_counter() - started
    failed = [outcome for outcome in answer["outcomes"] if outcome != "ok"] + problems
    return [
        Row(
            section="tlog_browser",
            what=f"verify page's check of a certificate, {SIZE:,}-entry log ({PROOF_HASHES}-hash proof)",
            ours=Measure.of_latencies(
                [ms / 1000 for ms in answer["ours"]], seconds=seconds, errors=len(failed)
            ),
            floor_name="40 SHA-256 and one Ed25519 verify in the same page (WebCrypto)",
            floor=Measure.of_latencies([ms / 1000 for ms in answer["base"]], seconds=seconds),
            ratio_of="p95_ms",
            target="≤ 50 ms",
            note=f"{runs} runs in one headless Chromium page, alternating with the floor; "
            "the check does 3 Ed25519 verifies (code, log, witness) and about 30 SHA-256"
            + (f"; {failed[0][:200]}" if failed else ""),
        )
    ]
