"""The words a person reads for the register's codes of deeds, in the active language.

One home for the names of deeds and of the kinds of transfer: the history's summaries
(transactions.selectors), the certificate and the verify page print the same words.
Lazy, so each is read in the language active where it is printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext, pgettext_lazy

ENTRY_KINDS = {
    "first_registration": pgettext_lazy("deed", "first registration"),
    "transfer": pgettext_lazy("deed", "transfer"),
    "mortgage": pgettext_lazy("deed", "mortgage"),
    "discharge": pgettext_lazy("deed", "mortgage discharge"),
    "subdivision": pgettext_lazy("deed", "subdivision"),
    "merge": pgettext_lazy("deed", "merge"),
    "correction": pgettext_lazy("deed", "correction"),
}
# A transfer is named by its kind, as the land office names the contract: "Chuyển
# nhượng" (Luật Đất đai 2024, art. 27), "매매" (the 등기원인, 부동산등기법 제48조).
TRANSFER_TYPES = {
    "sale": pgettext_lazy("transfer type", "sale"),
    "gift": pgettext_lazy("transfer type", "gift"),
    "inheritance": pgettext_lazy("transfer type", "inheritance"),
}

# A transfer as the office names the deed: by its kind alone in Vietnamese ("Chuyển
# nhượng", "Tặng cho", "Thừa kế": Luật Đất đai 2024, art. 27), by its purpose and cause
# in Korean ("소유권이전" with 등기원인 "매매": 부동산등기법 제48조).
TRANSFER_DEEDS = {
    "sale": pgettext_lazy("deed", "transfer by sale"),
    "gift": pgettext_lazy("deed", "transfer by gift"),
    "inheritance": pgettext_lazy("deed", "transfer by inheritance"),
}


def deed_label(kind: str, transfer_type: str | None = None) -> str:
    """Return the name of a deed as a person reads it, a transfer named with its kind."""
    if transfer_type in TRANSFER_DEEDS:
        return str(TRANSFER_DEEDS[transfer_type])
    return word(ENTRY_KINDS, kind)


def co_owned(shares: Iterable[str]) -> bool:
    """Return whether the ownership `shares` ("n/d") are those of co-owners.

    A share is printed for co-ownership only, as the offices print it (sử dụng chung:
    Luật Đất đai 2024, art. 135(2); 공유 지분: 민법 제262조): a sole holder's "1/1", or
    a mortgage's, says nothing a person needs.
    """
    shares = list(shares)
    return len(shares) > 1 or any(share != "1/1" for share in shares)


def choice_label(choices: Iterable[Any], code: str) -> str:
    """Return the name of `code` among a profile's coded choices (origins, forms of use,
    holder kinds: each with a `code` and an English msgid `label`) in the active language;
    a code of no list names itself."""
    for choice in choices:
        if choice.code == code:
            return gettext(choice.label)
    return code


def word(table: Mapping[str, Any], value: str) -> str:
    """Return the label of `value` in `table`; a value the table does not know yet, as stored."""
    return str(table.get(value, value))
