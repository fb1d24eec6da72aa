"""The verify page's script checks a certificate against the transparency log in Chromium.

A certificate is issued on a synthetic district, the log signs a checkpoint and a
witness of this test cosigns it; the page's script (tlog-verify.js) must then pass every
check on its own: the code's signature, the entry's hash, the checkpoint's signatures,
the witness quorum, the inclusion proof and the device's memory of the log. Then each
way a register could lie, one per test: a checkpoint nobody witnessed, an entry
rewritten after the checkpoint, a forked log, a tampered proof. And the script's
RFC 9162 functions against transactions/journal/merkle.py on random trees.
Screenshots in $LANDINFO_SHOTS (default var/e2e-artifacts): tlog-verify-<language>-<viewport>.png,
the fold of a genuine certificate, and tlog-verify-two-histories-*.png, a forked log.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection

from tests.e2e.conftest import CSP_WATCH, VIEWPORTS, District, csp_violations, wait_for
from transactions.certificates.issue import issue_certificate
from transactions.journal import checkpoints, merkle, notes, tree
from transactions.journal.head import journal_head

pytestmark = [pytest.mark.slow]

WITNESS = "witness.test/w1"
CHECKS = ["key", "identity", "entry", "checkpoint", "witnesses", "inclusion", "history"]
MEMORY = "landinfo.tlog.site"
SHOTS = Path(os.environ.get("LANDINFO_SHOTS", "var/e2e-artifacts"))
_DATA = re.compile(r'(<script id="tlog-data" type="application/json">)(.*?)(</script>)', re.S)


@pytest.fixture(autouse=True)
def key(tmp_path, settings) -> Ed25519PrivateKey:
    """Sign with a key of this test only."""
    path = tmp_path / "keys" / "ledger-ed25519.pem"
    settings.LANDINFO = {**settings.LANDINFO, "SIGNING_KEY_FILE": path, "VERIFY_KEY_FILES": []}
    call_command("generate_signing_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return checkpoints.signing_key()


@pytest.fixture
def witness(settings, key) -> Ed25519PrivateKey:
    """Return the key of the one witness the register names (quorum 1)."""
    private = Ed25519PrivateKey.generate()
    vkey = notes.cosigner(WITNESS, private).vkey
    settings.LANDINFO = {**settings.LANDINFO, "WITNESSES": [f"http://127.0.0.1:9/ {vkey}"]}
    return private


def cosigned_by(private: Ed25519PrivateKey) -> checkpoints.Cosign:
    """Return a `cosign` that gets the witness's line, as the register's collector would."""

    def cosign(note: str, size: int) -> list[str]:
        text, _ = notes.split_note(note)
        return [notes.cosign(text, WITNESS, private, int(time.time()))]

    return cosign


@pytest.fixture
def code(district: District, witness) -> str:
    """Return the code of a certificate of the district's target parcel at the journal's head."""
    certificate = issue_certificate(
        district.target.id, user=AnonymousUser(), language="vi", verify_url=str
    )
    assert certificate is not None
    return certificate.code


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """Return a Vietnamese desktop page that records CSP violations and script failures."""
    context = browser.new_context(locale="vi-VN", **VIEWPORTS["desktop"])
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_WATCH)
    opened = context.new_page()
    opened.base_url = live_server.url
    opened.problems = []
    opened.on("console", lambda m: m.type == "error" and opened.problems.append(m.text))
    opened.on("pageerror", lambda error: opened.problems.append(str(error)))
    try:
        yield opened
    finally:
        context.close()


def checked(page, code: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """Open the verify page of `code`; return the script's outcome and {check: (ok, text)}."""
    page.goto(f"{page.base_url}/verify/{code}")
    wait_for(page, "document.getElementById('tlog-fold')?.dataset.outcome !== undefined")
    outcome = page.get_attribute("#tlog-fold", "data-outcome")
    lines = page.eval_on_selector_all(
        ".tlog-checks li", "items => items.map(i => [i.dataset.check, i.dataset.ok, i.textContent])"
    )
    # A journal that disagrees with the code is answered 409, which Chromium logs.
    problems = [p for p in page.problems if "status of 409" not in p]
    assert problems == [] and csp_violations(page) == []
    return outcome, {check: (ok, text) for check, ok, text in lines}


def remembered(page) -> dict | None:
    """Return what the device remembers of the site's log, or None."""
    return page.evaluate(f"JSON.parse(localStorage.getItem('{MEMORY}'))")


def identity(witness: Ed25519PrivateKey | None = None) -> dict:
    """Return the log's name and keys as the device remembers them after a first visit."""
    return {
        "origin": checkpoints.origin(),
        "vkey": checkpoints.log_signer().verifier.vkey,
        "witnesses": [notes.cosigner(WITNESS, witness).vkey] if witness else [],
    }


def memory(size: int, root: str, witness: Ed25519PrivateKey | None = None, **changed) -> dict:
    return {"size": size, "root": root, **identity(witness), "quorum": 1, **changed}


def seed(page, value: dict) -> None:
    """Make the device remember `value` of the site's log, as if it had visited before."""
    page.evaluate(
        "([key, value]) => localStorage.setItem(key, JSON.stringify(value))", [MEMORY, value]
    )


def journal_size() -> int:
    with connection.cursor() as cursor:
        return journal_head(cursor).sequence


def root_at(size: int) -> str:
    with connection.cursor() as cursor:
        return base64.b64encode(tree.root(cursor, size)).decode()


def test_every_check_passes_and_a_grown_log_is_proved_consistent(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    outcome, lines = checked(page, code)
    assert outcome == "ok", lines
    assert list(lines) == CHECKS
    assert {ok for ok, _ in lines.values()} == {"true"}
    size = journal_size()
    assert remembered(page) == memory(size, root_at(size), witness)
    assert float(page.get_attribute("#tlog-fold", "data-elapsed-ms")) > 0
    assert not page.evaluate("document.getElementById('tlog-fold').open")  # the verdict first

    _, lines = checked(page, code)  # the same checkpoint again
    assert lines["history"][0] == "true"
    # A device that saw the log three entries smaller: the script fetches the
    # consistency proof and checks it against the root it remembered.
    seed(page, memory(size - 3, root_at(size - 3), witness))
    outcome, lines = checked(page, code)
    assert outcome == "ok", lines
    assert f"{size - 3}" in lines["history"][1] and f"{size}" in lines["history"][1]
    assert remembered(page)["size"] == size


def test_a_checkpoint_no_witness_cosigned_is_never_confirmed(page, code, settings):
    checkpoints.sign_checkpoint()  # the register alone
    # An honest register does not publish it: the entry is pending, nothing is confirmed.
    outcome, lines = checked(page, code)
    assert outcome == "pending"
    assert lines["key"][0] == "true" and lines["pending"][0] == "pending"
    # A register that publishes it anyway (quorum 0) is not trusted by the browser.
    settings.LANDINFO = {**settings.LANDINFO, "WITNESS_QUORUM": 0}
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["witnesses"][0] == "false"
    assert remembered(page) is None


def test_a_quorum_the_page_claims_but_the_checkpoint_lacks_is_refused(page, code, settings):
    """The page's data say one cosignature is needed; the checkpoint carries none."""
    checkpoints.sign_checkpoint()
    settings.LANDINFO = {**settings.LANDINFO, "WITNESS_QUORUM": 0}
    with_data(page, lambda data: data | {"quorum": 1})
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["witnesses"][0] == "false" and "0" in lines["witnesses"][1]


def rewrite_the_head() -> int:
    """Rewrite the last entry's hash as only the tables' owner could; return its number."""
    size = journal_size()
    table = "transactions_journalentry"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_update_delete")
        cursor.execute(f"UPDATE {table} SET entry_hash = %s WHERE sequence = %s", ["ab" * 32, size])
        cursor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update_delete")
    return size


def test_an_entry_rewritten_after_the_checkpoint_is_reported_by_the_register(page, code, witness):
    """The server checks its proof against the witnessed root first, and says it no longer holds."""
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    rewrite_the_head()
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["log"][0] == "false" and "no longer matches" in lines["log"][1].replace(
        "không còn khớp", "no longer matches"
    )
    assert "history" not in lines  # a refused checkpoint is not remembered


def test_a_rewritten_entry_a_register_hides_fails_in_the_browser(page, code, witness):
    """A register that sends its rewritten journal's proof as if it held is caught on the device."""
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    honest = json.loads(_DATA.search(page_html(page, code)).group(2))
    size = rewrite_the_head()
    with connection.cursor() as cursor:
        forged = tree.inclusion(cursor, size, size)
    with_data(
        page,
        lambda data: (
            honest
            | {
                "entry_hash": "ab" * 32,
                "inclusion_proof": [base64.b64encode(node).decode() for node in forged.proof],
            }
        ),
    )
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["key"][0] == "true"
    assert lines["entry"][0] == "false" and re.search(rf"\b{size}\b", lines["entry"][1])
    assert lines["inclusion"][0] == "false"
    assert "history" not in lines


@pytest.mark.parametrize("fork", ["same size, other root", "smaller size, other root"])
def test_a_log_showing_this_device_two_histories_is_told_so(page, code, witness, fork):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    outcome, _ = checked(page, code)
    assert outcome == "ok"
    size = journal_size()
    other = base64.b64encode(random.randbytes(32)).decode()
    seen = memory(size if fork.startswith("same") else size - 5, other, witness)
    seed(page, seen)
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["history"][0] == "false"
    assert "hai lịch sử khác nhau" in lines["history"][1]
    assert remembered(page) == seen  # the first history is kept, not overwritten
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"tlog-verify-two-histories-{fork[:4]}.png"), full_page=True)


@pytest.mark.parametrize("changed", ["origin", "vkey"])
def test_a_log_renamed_or_rekeyed_since_this_device_looked_is_refused(page, code, witness, changed):
    """A page that names another log, or another key, escapes neither the memory nor the check."""
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    size = journal_size()
    other = "landinfo.example/evil" if changed == "origin" else "evil+00000000+AQ=="
    seed(page, memory(size, root_at(size), witness, **{changed: other}))
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["identity"][0] == "false"
    assert "history" not in lines


def test_only_the_witnesses_this_device_saw_first_count(page, code, witness):
    """A register that swaps in a witness of its own making does not get the quorum."""
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    size = journal_size()
    seed(page, memory(size, root_at(size), witness, witnesses=["someone.else/w1+00000000+BA=="]))
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["witnesses"][0] == "false"


def test_pending_is_not_believed_when_this_device_saw_a_covering_checkpoint(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    with_data(page, lambda data: data | {"status": "pending"})
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["pending"][0] == "false"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda data: {}, id="no data"),
        pytest.param(lambda data: data | {"status": "unavailable", "log_vkey": ""}, id="no key"),
    ],
)
def test_a_log_this_device_checked_cannot_vanish(page, code, witness, change):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    with_data(page, change)
    outcome, lines = checked(page, code)
    assert outcome == "failed" and lines["log"][0] == "false"


def test_the_log_is_this_devices_before_pending_is_believed(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    seed(page, memory(1, root_at(1), witness, vkey="evil+00000000+AQ=="))
    with_data(page, lambda data: data | {"status": "pending"})
    outcome, lines = checked(page, code)
    assert outcome == "failed" and lines["identity"][0] == "false"
    assert "pending" not in lines


def test_the_quorum_is_never_lower_than_this_device_was_first_told(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    size = journal_size()
    seed(page, memory(size, root_at(size), witness, quorum=2))
    outcome, lines = checked(page, code)
    assert outcome == "failed" and lines["witnesses"][0] == "false"


def test_a_consistency_proof_that_never_comes_ends_the_check(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    checked(page, code)
    size = journal_size()
    seed(page, memory(size - 2, root_at(size - 2), witness, quorum=1))
    page.route(re.compile(r".*/api/ledger/proof/consistency\?.*"), lambda route: None)
    outcome, lines = checked(page, code)
    assert outcome == "failed" and lines["history"][0] == "false"


def test_a_consistency_proof_that_does_not_verify_is_two_histories(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    size = journal_size()
    page.add_init_script(
        f"localStorage.setItem('{MEMORY}', "
        + json.dumps(json.dumps(memory(size - 5, root_at(size - 5), witness)))
        + ")"
    )

    def tampered(route) -> None:
        answer = route.fetch().json()
        answer["consistency_proof"][0] = base64.b64encode(random.randbytes(32)).decode()
        route.fulfill(json=answer)

    page.route(re.compile(r".*/api/ledger/proof/consistency\?.*"), tampered)
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["history"][0] == "false" and "hai lịch sử" in lines["history"][1]


def page_html(page, code: str) -> str:
    """Return the verify page of `code` as the server answers it now."""
    return page.request.get(f"{page.base_url}/verify/{code}").text()


def with_data(page, change: Callable[[dict], dict]) -> None:
    """Serve the verify page with its json_script data changed by `change`."""

    def serve(route) -> None:
        response = route.fetch()
        html = response.text()
        found = _DATA.search(html)
        assert found is not None
        data = json.dumps(change(json.loads(found.group(2))))
        route.fulfill(response=response, body=html.replace(found.group(2), data))

    page.route(re.compile(r".*/verify/[A-Za-z0-9_-]+$"), serve)


def test_a_tampered_inclusion_proof_fails(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)

    def tamper(data: dict) -> dict:
        proof = list(data["inclusion_proof"])
        proof[0] = base64.b64encode(random.randbytes(32)).decode()
        return data | {"inclusion_proof": proof}

    with_data(page, tamper)
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert [check for check, (ok, _) in lines.items() if ok == "false"] == ["inclusion"]
    assert page.evaluate("document.getElementById('tlog-fold').open")  # opened on the ✗


def test_data_the_script_cannot_read_fail_and_never_pass(page, code, witness):
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    with_data(page, lambda data: data | {"entry_hash": None, "inclusion_proof": "AAAA"})
    outcome, lines = checked(page, code)
    assert outcome == "failed"
    assert lines["entry"][0] == "false" and lines["inclusion"][0] == "false"
    assert "history" not in lines


_SCRIPT_CHECKS = """
async (cases) => {
  const t = window.landinfoTlog;
  const dec = (xs) => xs.map(t.b64decode);
  const out = [];
  for (const c of cases) {
    if (c.kind === "inclusion") {
      let root = null;
      try { root = t.b64encode(await t.rootFromInclusion(c.index, c.size, t.b64decode(c.leaf), dec(c.proof))); }
      catch (e) { root = null; }
      out.push(root);
    } else {
      out.push(await t.verifyConsistency(c.old, c.size, t.b64decode(c.old_root), t.b64decode(c.root), dec(c.proof)));
    }
  }
  return out;
}
"""


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _cases(rng: random.Random) -> tuple[list[dict], list[object]]:
    """Return random inclusion and consistency cases, honest and tampered, with merkle.py's answers."""
    cases: list[dict] = []
    expected: list[object] = []
    for _ in range(40):
        size = rng.randint(1, 300)
        perfect = merkle.in_memory([merkle.leaf_hash(rng.randbytes(32)) for _ in range(size)])
        root = merkle.root(size, perfect)
        index, old = rng.randrange(size), rng.randint(0, size)
        proof = merkle.inclusion_proof(index, size, perfect)
        consistency = merkle.consistency_proof(old, size, perfect)
        bad = [*proof]
        if bad:
            bad[rng.randrange(len(bad))] = rng.randbytes(32)
        for path in (proof, bad, proof[:-1]):
            try:
                want: object = _b64(
                    merkle.root_from_inclusion(index, size, perfect(0, index), path)
                )
            except merkle.ProofError:
                want = None
            cases.append(
                {
                    "kind": "inclusion",
                    "index": index,
                    "size": size,
                    "leaf": _b64(perfect(0, index)),
                    "proof": [_b64(p) for p in path],
                }
            )
            expected.append(want)
        old_root = merkle.root(old, perfect)
        for path, old_hash in ((consistency, old_root), (consistency, rng.randbytes(32))):
            try:
                merkle.verify_consistency(old, size, old_hash, root, path)
                ok = True
            except merkle.ProofError:
                ok = False
            cases.append(
                {
                    "kind": "consistency",
                    "old": old,
                    "size": size,
                    "old_root": _b64(old_hash),
                    "root": _b64(root),
                    "proof": [_b64(p) for p in path],
                }
            )
            expected.append(ok)
    return cases, expected


def test_the_scripts_rfc9162_functions_agree_with_merkle_py(page):
    page.goto(page.base_url + "/verify/")
    page.add_script_tag(url="/static/transactions/tlog-verify.js")
    wait_for(page, "window.landinfoTlog !== undefined")
    seed = random.randrange(2**32)
    cases, expected = _cases(random.Random(seed))
    assert True in expected and False in expected and None in expected
    assert page.evaluate(_SCRIPT_CHECKS, cases) == expected, f"seed {seed}"


_ROOT = base64.b64encode(bytes(range(32))).decode()
CHECKPOINT_TEXTS = [
    f"example.com/log\n5\n{_ROOT}\n",
    f"example.com/log\n0\n{_ROOT}\nan extension line\n",
    f"example.com/log\n05\n{_ROOT}\n",  # a leading zero
    f"example.com/log\n-5\n{_ROOT}\n",
    f"example.com/log\n5\n{_ROOT[:-2]}9=\n",  # stray bits in the last digit
    f"example.com/log\n5\n{base64.b64encode(bytes(31)).decode()}\n",
    f"example.com/log\n5\n{_ROOT.rstrip('=')}\n",  # padding left out
    f"example.com/log\n5\n{_ROOT}",  # no final newline
    f"example.com/log\n\n5\n{_ROOT}\n",
    "example.com/log\n5\n",
    f"example.com/log\n5\n{_ROOT}\n\tx\n",
]


def test_the_script_reads_checkpoints_as_notes_py_does(page):
    page.goto(page.base_url + "/verify/")
    page.add_script_tag(url="/static/transactions/tlog-verify.js")
    wait_for(page, "window.landinfoTlog !== undefined")
    expected = []
    for text in CHECKPOINT_TEXTS:
        try:
            checkpoint = notes.parse_checkpoint(text)
            expected.append([checkpoint.size, base64.b64encode(checkpoint.root).decode()])
        except notes.MalformedNote:
            expected.append(None)
    assert (
        page.evaluate(
            """texts => texts.map(text => {
          try { const c = landinfoTlog.parseCheckpoint(text); return [c.size, landinfoTlog.b64encode(c.root)]; }
          catch (e) { return null; }
        })""",
            CHECKPOINT_TEXTS,
        )
        == expected
    )
    assert expected.count(None) == len(CHECKPOINT_TEXTS) - 2


@pytest.mark.parametrize("language", ["vi", "ko"])
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_screenshot_of_the_fold_open(browser, live_server, code, witness, language, viewport):
    """Save the verify page with its fold open, for a person to look at."""
    checkpoints.sign_checkpoint(cosign=cosigned_by(witness), quorum=1)
    context = browser.new_context(
        locale={"vi": "vi-VN", "ko": "ko-KR"}[language], **VIEWPORTS[viewport]
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/verify/{code}")
        wait_for(page, "document.getElementById('tlog-fold')?.dataset.outcome === 'ok'")
        page.click("#tlog-fold summary")
        assert page.get_attribute("html", "lang") == language
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"tlog-verify-{language}-{viewport}.png"), full_page=True)
    finally:
        context.close()
