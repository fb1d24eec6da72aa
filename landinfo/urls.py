from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.i18n import JavaScriptCatalog

from landinfo.accounts import views as accounts
from landinfo.schema import SchemaView
from parcels.publishing.ogc import views as ogc
from transactions.certificates import views as certificate_views


class _AnyText:
    """Any text, slashes and line breaks included: Django's `path` (".+") stops at a
    line break, and a link pasted after /verify/ may end with one."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_AnyText, "anytext")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Signing in, for notaries, registrars, planners and auditors (the public never needs to).
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/otp/", accounts.otp_view, name="otp"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/token/", accounts.api_token, name="api-token"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password-change"),
    # Registrars issue the one-time codes that let an account enrol an authenticator.
    path("accounts/enrolment-codes/", accounts.enrolment_codes, name="enrolment-codes"),
    # Outside the parcels namespace: a QR code printed today must resolve for decades.
    path("verify/", certificate_views.verify, name="verify-form"),
    path("verify/<str:code>", certificate_views.verify, name="verify"),
    # The same link copied with what followed it in a text (a slash, a second link
    # pasted into the path): the view finds the code in it (certificates.pasted_code).
    path("verify/<anytext:code>", certificate_views.verify, name="verify-pasted"),
    path("planner/", include("parcels.publishing.planner_urls")),
    # The landing page without the slash too: QGIS 3.22 cannot follow a redirect to it.
    path("ogc", ogc.landing_view, name="ogc-landing"),
    path("ogc/", include("parcels.publishing.ogc.urls")),
    # The parcels' paths first: the sheet's /api/parcels/<id> must not take theirs.
    path("", include("parcels.urls")),
    path("", include("transactions.urls")),
    # Their own namespaces at the root ("applications:…", "alerts:…"): included from
    # transactions.urls they would be "transactions:alerts:…", and the alerts' links
    # (transactions.alerts.receipts) reverse "alerts:objection".
    path("", include("transactions.applications.urls")),
    path("", include("transactions.alerts.urls")),
]

# JSON on the machine paths (/api/, /ogc, /exports/, /tiles/); Django's pages for others.
handler400 = "landinfo.errors.bad_request"
handler404 = "landinfo.errors.not_found"
handler500 = "landinfo.errors.server_error"
