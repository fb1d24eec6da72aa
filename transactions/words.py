"""The words a person reads for the register's codes of deeds, in the active language.

One home for the names of deeds and of the kinds of transfer: the history's summaries
(transactions.selectors), the certificate and the verify page print the same words.
Lazy, so each is read in the language active where it is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import pgettext_lazy

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
# nhượng" (Land Law 2024, art. 3(13)), "매매" (부동산등기법 등기원인).
TRANSFER_TYPES = {
    "sale": pgettext_lazy("transfer type", "sale"),
    "gift": pgettext_lazy("transfer type", "gift"),
    "inheritance": pgettext_lazy("transfer type", "inheritance"),
}


def word(table: Mapping[str, Any], value: str) -> str:
    """Return the label of `value` in `table`; a value the table does not know yet, as stored."""
    return str(table.get(value, value))
