"""The account pages in a real headless Chromium, in Vietnamese and Korean, laptop and phone.

Setting up an authenticator: the secret stays inside its card, wrapped, in groups of
four as authenticator apps print it, and the copy button copies it without the spaces.
Screenshots: var/e2e-artifacts/otp-secret-<language>-<viewport>.png.
"""

import re

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from landinfo.accounts.enrolment import issue_enrolment_code
from tests.e2e.conftest import ARTIFACTS, CSP_WATCH, VIEWPORTS
from tests.factories import PASSWORD, user_with_role

pytestmark = [pytest.mark.slow]

# Where the secret must stay: inside the card, and nothing on the page scrolls sideways.
_LAYOUT = """() => {
  const secret = document.querySelector("#otp-secret");
  const card = secret.closest(".card").getBoundingClientRect();
  const box = secret.getBoundingClientRect();
  return {
    inside: box.left >= card.left - 0.5 && box.right <= card.right + 0.5,
    clipped: secret.scrollWidth > secret.clientWidth + 1,
    page: document.documentElement.scrollWidth <= window.innerWidth,
    groups: [...secret.querySelectorAll(".secret-group")].map((g) => g.textContent),
  };
}"""


@pytest.mark.parametrize("language", ["vi", "ko"])
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_authenticator_secret_is_wrapped_in_groups_of_four_and_copied_whole(
    browser, live_server, monkeypatch, language, viewport
):
    monkeypatch.setitem(settings.LANDINFO, "NOTARY_OTP_REQUIRED", True)
    notary = user_with_role("notary", f"enrolling-{language}-{viewport}")
    _row, code = issue_enrolment_code(user=notary)
    context = browser.new_context(locale=language, **VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_WATCH)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/?next=/accounts/token/")
        page.fill("#id_username", notary.username)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp_token", code)
        with page.expect_navigation():
            page.click("form button[type=submit].button-primary")
        assert page.locator("#otp-secret").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"otp-secret-{language}-{viewport}.png"), full_page=True
        )
        layout = page.evaluate(_LAYOUT)
        secret = TOTPDevice.objects.get(user=notary, confirmed=False).config_url
        secret = re.search(r"secret=([A-Z2-7]+)", secret)[1]
        assert layout["inside"] and not layout["clipped"] and layout["page"], layout
        assert layout["groups"] == re.findall(".{1,4}", secret)
        page.click("#otp-secret-copy")
        assert page.evaluate("navigator.clipboard.readText()") == secret
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()
