"""Search as you type on the map, in a real headless Chromium, under either profile.

A person types as people do (a lot number with its place, a street name cut mid-word, a
place that does not exist) and reads the suggestions: which part of the parcel matched,
how it was found, and, without seeing the screen, how many there are. The time from the
last keystroke to the suggestions is printed (and written next to the screenshots),
never asserted.
"""

import json
import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from tests.e2e.conftest import ARTIFACTS, Session, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.every_profile]

OPTIONS = "#search-results .search-option"

# A place no register has, with a lot number, as each country writes it.
NO_SUCH_PLACE = {"vn": "Phường Không Có 4/108", "kr": "없는동 362-1"}


@dataclass(frozen=True)
class Lot:
    id: int
    display: str  # "tờ 4 thửa 108", "362-1"
    label: str  # the lot number with its place, as people write it
    lot_address: str  # as the sheet prints it


@pytest.fixture
def register(transactional_db) -> None:
    """Write a small synthetic district (the same parcels in every run)."""
    call_command("generate_parcels", count=300, seed=7, verbosity=0)


def a_lot(session: Session, profile) -> Lot:
    """Return a parcel of the register and its label: "tờ 4 thửa 108, Phường Mẫu 2", "예시1동 362-1"."""
    from parcels.models import Parcel

    parcel = Parcel.objects.select_related("admin_unit").order_by("pk")[150]
    display = profile.display_stored(parcel.identifier)
    unit = parcel.admin_unit.name
    label = f"{display}, {unit}" if profile.key == "vn" else f"{unit} {display}"
    sheet = session.page.request.get(f"{session.base_url}/api/parcels/{parcel.pk}").json()
    return Lot(parcel.pk, display, label, sheet["lot_address"])


def a_word_being_typed() -> str:
    """Return the start of a street's word that the register completes ("truo", "효령")."""
    from parcels.models import AdministrativeUnit, Parcel
    from parcels.search import engine
    from parcels.search.text import folded_words

    places = {
        word
        for name in AdministrativeUnit.objects.values_list("name", flat=True)
        for word in folded_words(name)
    }
    addresses = Parcel.objects.order_by("pk").values_list("address", flat=True)[:50]
    # As the index reads them ("효령로303길" is 효령로 303 길); long ones first, as streets' are.
    words = sorted(
        {
            word
            for address in addresses
            for word in folded_words(address)
            if word.isalpha() and word not in places
        },
        key=lambda word: (-len(word), word),
    )
    for word in words:
        if len(word) < 3:
            break
        cut = word[: max(2, len(word) - 2)]
        results = engine.search(cut, limit=8).results
        if results and all(result["quality"] == "prefix" for result in results):
            return cut
    raise AssertionError("no street word of the register is completed from its start")


def type_and_wait(session: Session, text: str) -> None:
    """Type `text` key by key and wait until the suggestions answer it."""
    box = session.page.locator("#search-input")
    box.fill("")
    answered = session.page.evaluate("window.landinfo.state.suggestTimings.length")
    box.press_sequentially(text, delay=20)
    wait_for(
        session.page,
        "([text, before]) => window.landinfo.state.suggestTimings.length > before"
        " && window.landinfo.state.suggestTimings.at(-1).query === text.trim()",
        [text, answered],
    )


def record_timings(session: Session, label: str) -> None:
    measured = session.page.evaluate("window.landinfo.state.suggestTimings")
    line = f"{label} [{session.name}]: last keystroke → suggestions {json.dumps(measured)}"
    print(line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "timings.txt").open("a", encoding="utf-8") as log:
        log.write(line + "\n")


def option_ids(session: Session) -> list[int]:
    return session.page.eval_on_selector_all(
        OPTIONS, "options => options.map(o => Number(o.dataset.parcelId))"
    )


def test_a_lot_number_with_its_place_is_suggested_first_with_its_lot_address(
    open_map, register, profile
):
    session = open_map("/")
    page = session.page
    lot = a_lot(session, profile)
    type_and_wait(session, lot.label)
    record_timings(session, f"suggest {lot.label!r}")

    first = page.locator(OPTIONS).first
    assert option_ids(session)[0] == lot.id
    assert first.get_attribute("data-match") == "identifier"
    assert first.locator(".option-matched").inner_text() == lot.lot_address
    marks = first.locator(".option-matched mark").all_inner_texts()
    for number in re.findall(r"\d+", lot.display):  # the lot number typed, marked where it matched
        assert any(number in mark for mark in marks), marks
    assert page.get_attribute("#search-input", "aria-expanded") == "true"
    session.screenshot("search-lot-with-place")
    session.assert_clean()


def test_a_street_word_cut_short_suggests_its_completions_marked_as_such(
    open_map, register, profile
):
    session = open_map("/")
    page = session.page
    cut = a_word_being_typed()
    type_and_wait(session, cut)
    record_timings(session, f"suggest {cut!r}")

    options = page.locator(OPTIONS)
    assert options.count() > 0
    note = page.evaluate("gettext('completing the word')")
    for index in range(options.count()):
        option = options.nth(index)
        assert option.get_attribute("data-quality") == "prefix"
        assert option.locator(".option-quality").inner_text() == note
        marked = option.locator(".option-matched mark").all_inner_texts()
        assert any(len(mark) >= len(cut) for mark in marked), marked  # the typed start
    session.screenshot("search-completing")
    session.assert_clean()


def test_a_place_the_register_lacks_is_said_so(open_map, register, profile):
    session = open_map("/")
    page = session.page
    type_and_wait(session, NO_SUCH_PLACE[profile.key])

    assert page.locator(OPTIONS).count() == 0
    said = page.locator("#search-results .search-empty").inner_text()
    expected = page.evaluate(
        "gettext('The register has no administrative unit of that name; check its "
        "spelling, or leave the place out.')"
    )
    assert said == expected
    assert page.inner_text("#search-status").strip() == expected  # read out too
    session.screenshot("search-no-such-place")
    session.assert_clean()


def test_arrow_keys_and_enter_open_the_active_suggestion_and_its_count_is_read_out(
    open_map, register, profile
):
    session = open_map("/")
    page = session.page
    # Every change of the live region, to check it speaks once an answer is in, not per key.
    page.evaluate(
        """() => {
            window.__statusChanges = 0;
            new MutationObserver(() => window.__statusChanges++).observe(
                document.getElementById("search-status"),
                {childList: true, characterData: true, subtree: true});
        }"""
    )
    cut = a_word_being_typed()
    type_and_wait(session, cut)
    status = page.locator("#search-status")
    assert status.get_attribute("aria-live") == "polite"
    ids = option_ids(session)
    assert len(ids) >= 2
    count_said = page.evaluate(
        "n => interpolate(ngettext('%(count)s suggestion', '%(count)s suggestions', n),"
        " {count: n}, true)",
        len(ids),
    )
    assert status.inner_text().strip() == count_said
    answers = page.evaluate("window.landinfo.state.suggestTimings.length")
    assert 0 < page.evaluate("window.__statusChanges") <= answers

    box = page.locator("#search-input")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-controls") == "search-results"
    assert page.get_attribute("#search-results", "role") == "listbox"
    box.press("ArrowDown")
    box.press("ArrowDown")
    second = page.locator(OPTIONS).nth(1)
    assert second.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == second.get_attribute("id")
    box.press("Escape")
    assert page.is_hidden("#search-results")
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None

    box.press("ArrowDown")  # opens the same suggestions again, on the first
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_selector(f'#sheet[data-state="ready"][data-parcel-id="{ids[1]}"]')
    assert page.is_hidden("#search-results")
    session.assert_clean()


def test_the_page_reads_words_as_the_index_does(open_map, register, profile):
    """The marks are placed by the page's reading of words: it must be the index's."""
    from parcels.models import AdministrativeUnit, Parcel
    from parcels.search.text import folded_words

    texts = [
        *Parcel.objects.values_list("address", flat=True),
        *AdministrativeUnit.objects.values_list("name", flat=True),
        "Tờ bản đồ SỐ 12, thửa ĐẤT số 345",
        "to\u0300 4 thu\u031ba 108",  # typed with combining accents
        "예시1동362-1번지",
        "ＡＢＣ１２ ① Ðông",  # full-width, a circled digit, an eth
    ]
    session = open_map("/")
    read = session.page.evaluate(
        "texts => texts.map(text => window.landinfo.readWords(text).map(word => word.text))",
        texts,
    )
    assert read == [folded_words(text) for text in texts]
