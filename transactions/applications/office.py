"""How this office runs registration: its mode, its processing time, a contract's fields.

One home for what the settings and the profile say about applications, so the deed
pages, the API, the queue and the status page read them alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from landinfo.dates import register_day
from landinfo.profiles import get_profile
from transactions.models import Application


def reviewed() -> bool:
    """Return whether a notary's deed is filed as an application (else recorded at once)."""
    return bool(settings.LANDINFO["REGISTRATION_MODE"] == "reviewed")


def registration_days() -> int:
    """Return the days an office has to decide: the office's setting, else the profile's."""
    return int(settings.LANDINFO["REGISTRATION_DAYS"] or get_profile().registration_days)


def due_at(application: Application) -> dt.datetime:
    """Return when the application's processing time runs out."""
    return application.received_at + dt.timedelta(days=registration_days())


def now() -> dt.datetime:
    """Return the moment overdue is reckoned from (one place, for the tests' clock)."""
    return timezone.now()


def overdue(application: Application) -> bool:
    """Return whether an undecided application is past the office's processing time."""
    return application.is_open and now() >= due_at(application)


@dataclass(frozen=True, slots=True)
class ContractField:
    """One particular of the notarised contract, as the profile's law names it."""

    name: str  # the key in the body's `contract` object (transactions.applications.particulars)
    label: Promise
    help_text: Promise | str = ""


# What each profile's law asks of the contract a deed carries out. Vietnam: the notary's
# certification (Luật Công chứng 2024: số công chứng, quyển số, ngày công chứng, the
# notary office). Korea: the cause of the registration and its date (부동산등기법 제48조:
# 등기원인과 그 연월일) and the office that files it (the 법무사 or 변호사).
CONTRACT_FIELDS: dict[str, tuple[ContractField, ...]] = {
    "vn": (
        ContractField("number", _("Notarisation number"), _("As written on the contract.")),
        ContractField("book", _("Book number")),
        ContractField("date", _("Date of notarisation")),
        ContractField(
            "office",
            _("Notary office"),
            _("The notary office, or the commune that certified the contract."),
        ),
    ),
    "kr": (
        ContractField("cause", _("Cause of registration"), _("e.g. sale, gift, mortgage.")),
        ContractField("date", _("Date of the cause")),
        ContractField("office", _("Filing office"), _("The office that files the application.")),
    ),
}


def contract_fields() -> tuple[ContractField, ...]:
    """Return the contract's particulars this profile's forms ask for, in their order."""
    return CONTRACT_FIELDS.get(get_profile().key, CONTRACT_FIELDS["vn"])


def contract_rows(contract: dict[str, object]) -> list[tuple[str, object]]:
    """Return the particulars of a filed contract as (label, value), the profile's first."""
    labels = {field.name: str(field.label) for field in contract_fields()}
    generic = {
        "number": _("Contract number"),
        "book": _("Book number"),
        "date": _("Contract date"),
        "office": _("Office"),
        "cause": _("Cause"),
    }
    return [
        (
            labels.get(name) or str(generic.get(name, name)),
            register_day(value) if isinstance(value := contract[name], dt.date) else value,
        )
        for name in dict.fromkeys([*labels, *generic])
        if contract.get(name)
    ]
