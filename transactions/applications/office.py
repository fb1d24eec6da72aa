"""How this office runs registration: its mode, its processing time, a contract's fields.

One home for what the settings and the profile say about applications, so the deed
pages, the API, the queue and the status page read them alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation
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


def objections_until(application: Application) -> dt.datetime:
    """Return when the application may be registered: its receipt + LANDINFO_OBJECTION_MINUTES."""
    minutes = int(settings.LANDINFO["OBJECTION_MINUTES"])
    return application.received_at + dt.timedelta(minutes=minutes)


def in_objection_window(application: Application) -> bool:
    """Return whether holders may still object before the application can be registered."""
    return application.is_open and now() < objections_until(application)


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


@dataclass(frozen=True, slots=True)
class DocumentType:
    """A document the office asks for with an application, named as its law names it."""

    name: str  # the body's `documents[].type`
    native: str  # in the profile's language, as the office's list of documents says it
    english: str

    @property
    def label(self) -> str:
        """Return the name in the request's language: the profile's own, or English."""
        return self.english if translation.get_language() == "en" else self.native


def _documents(*rows: tuple[str, str, str]) -> tuple[DocumentType, ...]:
    return tuple(DocumentType(*row) for row in rows)


# What each office asks to be filed with each kind of application. The signed contract
# (the deed form's upload, `document_sha256`) counts as "contract". Vietnam: the dossier
# of a registration of changes (Decree 101/2024/NĐ-CP) and of security interests (Decree
# 99/2022/NĐ-CP); Korea: 부동산등기법 and 부동산등기규칙 제46조 (첨부정보).
_VN_CHANGE = (
    (
        "application_form",
        "Đơn đăng ký biến động đất đai",
        "Application for registration of changes",
    ),
    ("certificate", "Giấy chứng nhận đã cấp (bản gốc)", "The certificate issued (original)"),
)
_KR_COMMON = (
    ("application_form", "등기신청서", "Application for registration"),
    ("prior_registration", "등기필정보", "Registration completion information"),
    ("seal_certificate", "인감증명서", "Certificate of seal impression"),
)
DOCUMENTS: dict[str, dict[str, tuple[DocumentType, ...]]] = {
    "vn": {
        "transfer": _documents(
            *_VN_CHANGE,
            ("contract", "Hợp đồng đã công chứng/chứng thực", "Notarised contract"),
            ("income_tax", "Tờ khai thuế thu nhập cá nhân", "Personal income tax return"),
            ("registration_fee", "Tờ khai lệ phí trước bạ", "Registration fee return"),
        ),
        "mortgage": _documents(
            (
                "application_form",
                "Phiếu yêu cầu đăng ký thế chấp",
                "Request to register a mortgage",
            ),
            ("contract", "Hợp đồng thế chấp", "Mortgage contract"),
            _VN_CHANGE[1],
        ),
        "discharge": _documents(
            ("application_form", "Phiếu yêu cầu xóa đăng ký thế chấp", "Request to discharge"),
            _VN_CHANGE[1],
        ),
        "first_registration": _documents(
            (
                "application_form",
                "Đơn đăng ký đất đai, tài sản gắn liền với đất",
                "Application for first registration",
            ),
            ("title_papers", "Giấy tờ về quyền sử dụng đất", "Papers of the land-use right"),
        ),
        "subdivision": _documents(
            (
                "application_form",
                "Đơn đề nghị tách thửa, hợp thửa",
                "Application to divide or merge",
            ),
            ("survey", "Mảnh trích đo địa chính", "Cadastral survey extract"),
            _VN_CHANGE[1],
        ),
        "merge": _documents(
            (
                "application_form",
                "Đơn đề nghị tách thửa, hợp thửa",
                "Application to divide or merge",
            ),
            ("survey", "Mảnh trích đo địa chính", "Cadastral survey extract"),
            _VN_CHANGE[1],
        ),
        "correction": _documents(
            ("evidence", "Giấy tờ chứng minh sai sót", "Evidence of the error")
        ),
    },
    "kr": {
        "transfer": _documents(
            *_KR_COMMON,
            (
                "contract",
                "등기원인증서 (매매계약서 등)",
                "Deed of the cause (contract of sale, ...)",
            ),
            ("resident_record", "주민등록표초본", "Resident registration extract"),
            ("acquisition_tax", "취득세 영수필확인서", "Acquisition tax receipt"),
            ("transaction_report", "부동산거래계약신고필증", "Real estate transaction report"),
        ),
        "mortgage": _documents(
            *_KR_COMMON, ("contract", "근저당권설정계약서", "Mortgage contract")
        ),
        "discharge": _documents(
            _KR_COMMON[0], _KR_COMMON[1], ("contract", "해지증서", "Deed of discharge")
        ),
        "first_registration": _documents(
            _KR_COMMON[0], ("title_papers", "토지대장 등본", "Land ledger extract")
        ),
        "subdivision": _documents(
            _KR_COMMON[0],
            ("survey", "토지대장 등본 (분할 후)", "Land ledger extract after the split"),
        ),
        "merge": _documents(
            _KR_COMMON[0],
            ("survey", "토지대장 등본 (합병 후)", "Land ledger extract after the merge"),
        ),
        "correction": _documents(
            _KR_COMMON[0], ("evidence", "경정 사유를 증명하는 정보", "Evidence of the error")
        ),
    },
}


def documents_asked(kind: str) -> tuple[DocumentType, ...]:
    """Return the documents this profile's office asks for with an application of `kind`."""
    return DOCUMENTS.get(get_profile().key, DOCUMENTS["vn"]).get(kind, ())


def document_types() -> dict[str, DocumentType]:
    """Return every document type of this profile, by name (what `documents[].type` may be)."""
    found: dict[str, DocumentType] = {}
    for documents in DOCUMENTS.get(get_profile().key, DOCUMENTS["vn"]).values():
        for document in documents:
            found.setdefault(document.name, document)
    return found


def checklist(
    kind: str, documents: list[dict[str, str]], document_sha256: str
) -> list[tuple[str, str]]:
    """Return (document, its SHA-256 or "") for each document asked for `kind`, in order."""
    filed = {document["type"]: document["sha256"] for document in documents}
    if document_sha256:
        filed.setdefault("contract", document_sha256)
    return [(document.label, filed.get(document.name, "")) for document in documents_asked(kind)]
