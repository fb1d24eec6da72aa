"""What a deed says about a party, as the register keeps it: text about a person, identity numbers.

One home for both rules, used by every entry point: the deed API's serializers and the
notary forms call them to answer with a field error, and the services call them again
as the last step before a party is written, so a path that forgot them still cannot
store what they refuse.

- Text about a person (a name, an address, a correction's reason) is stored as it reads
  (`landinfo.profiles.text.normalize_text`: NFC, an invisible or blank-looking character
  between words one space as any space is, a soft hyphen or variation selector removed,
  an accent on no letter dropped, trimmed). What is left empty, or holds characters
  that are not text (private-use, unassigned or surrogate code points), is refused: a
  name nobody can read can neither be checked on a deed nor masked for the public.
- An identity number is stored as the profile's canonical digits
  (`JurisdictionProfile.normalize_national_id`), so "900101-1234568" and
  "9001011234568" are one number, and one party.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext, pgettext_lazy

from landinfo.formats import register_number
from landinfo.profiles import InvalidNationalId, get_profile
from landinfo.profiles.text import normalize_text, quote_input

# Code points that are not text: private use (Co), unassigned (Cn), lone surrogates (Cs).
_NOT_TEXT = frozenset({"Co", "Cn", "Cs"})
# The fields whose text a deed, a form or a decision states, by the English name the
# callers give `what`: a refusal names the field in the request's language.
FIELDS = {
    "The name": pgettext_lazy("deed field", "The name"),
    "The address": pgettext_lazy("deed field", "The address"),
    "The reason": pgettext_lazy("deed field", "The reason"),
    "The text": pgettext_lazy("deed field", "The text"),
    "The attached assets": pgettext_lazy("deed field", "The attached assets"),
    "The certificate's serial": pgettext_lazy("deed field", "The certificate's serial"),
    "The certificate's number": pgettext_lazy("deed field", "The certificate's number"),
}


class UnreadableText(ValueError):
    """Raised when text about a party is empty or not readable once normalised; says why."""


def person_text(text: str, *, what: str, required: bool = True, max_length: int = 300) -> str:
    """Return `text` normalised for the register; raise UnreadableText when it cannot be kept.

    `what` names the field in messages ("The name", "The address": a name of FIELDS is
    said in the active language, any other `what` as given). A required text
    must keep at least one letter or digit (a name at least one letter); an optional one
    may come out empty, which means "not given".
    """
    cleaned = normalize_text(text)
    field = {"what": str(FIELDS.get(what, what))}
    if any(unicodedata.category(char) in _NOT_TEXT for char in cleaned):
        raise UnreadableText(
            gettext(
                "%(what)s holds characters that are not text (private-use or unassigned "
                "code points); type it again."
            )
            % field
        )
    if not cleaned:
        if required:
            raise UnreadableText(
                gettext("%(what)s is empty once invisible characters and spaces are removed.")
                % field
                if text.strip()
                else gettext("%(what)s is empty.") % field
            )
        return ""
    if not any(char.isalnum() for char in cleaned):
        raise UnreadableText(gettext("%(what)s has no letter or digit: it cannot be read.") % field)
    if len(cleaned) > max_length:
        raise UnreadableText(
            gettext("%(what)s is longer than %(max)s characters.")
            % {**field, "max": register_number(max_length)}
        )
    return cleaned


def party_name(text: str) -> str:
    """Return a party's name normalised; raise UnreadableText when it has no letter."""
    name = person_text(text, what="The name")
    if not any(char.isalpha() for char in name):
        raise UnreadableText(gettext("The name has no letter: it cannot be read."))
    return name


def national_id(text: str, *, kind: str) -> str:
    """Return the identity number in `text` as the profile's canonical digits ("" if none).

    Raise InvalidNationalId (from the profile) with the reason when it is not one.
    """
    if not normalize_text(text):
        return ""
    return get_profile().normalize_national_id(text, kind=kind)


class InvalidHolderKind(ValueError):
    """Raised when a deed's party cannot be a holder of the kind it names; the message says why."""


def holder_kind(code: str, *, kind: str, birth_year: int | None = None) -> tuple[str, str]:
    """Return (the party's kind, its holder kind code) as the register keeps a deed's party.

    `code` is the profile's holder kind (landinfo.profiles.base.HolderKind), "" when the
    deed names none; `kind` the register's own kind ("person", "organisation", "state"),
    "" when the holder kind says it. Refused, with the reason: a kind the profile does not
    know, a holder kind of another party kind, the State where the profile's law does not
    let it hold a right (Vietnam: Land Law 2024 art. 4 lists the land users; the State is
    the owner's representative, not one of them), and a year of birth for a holder that is
    no natural person: refusing it, rather than dropping it, tells the notary the kind is
    probably wrong, and nothing typed is silently lost.
    """
    profile = get_profile()
    if code:
        try:
            holder = profile.holder_kind(code)
        except KeyError:
            raise InvalidHolderKind(
                gettext("%(code)s is not a kind of holder of this register (%(known)s).")
                % {
                    "code": quote_input(code),
                    "known": ", ".join(k.code for k in profile.holder_kinds),
                }
            ) from None
        if kind and kind != holder.party_kind:
            raise InvalidHolderKind(
                gettext("A holder of the kind %(holder)s is registered as %(kind)s, not %(given)s.")
                % {"holder": code, "kind": holder.party_kind, "given": kind}
            )
        kind, takes_birth_year = holder.party_kind, holder.birth_year
    else:
        takes_birth_year = kind == "person"
    if kind not in PARTY_KINDS:
        raise InvalidHolderKind(
            gettext("Say what kind of party this is: %(kinds)s.")
            % {"kinds": ", ".join(k.code for k in profile.holder_kinds)}
        )
    if kind == "state" and not profile.state_may_hold:
        raise InvalidHolderKind(
            gettext(
                "The State is not a land user: it allocates, leases and recognises land and "
                "holds no certificate. Name the organisation that uses the land."
            )
        )
    if birth_year is not None and not takes_birth_year:
        raise InvalidHolderKind(
            gettext(
                "An organisation or the State has no year of birth; leave it empty, or "
                "choose the kind of holder the deed names."
            )
        )
    return kind, code


# The register's own kinds of party (Party.Kind), which a profile's holder kinds map onto.
PARTY_KINDS = ("person", "organisation", "state")


__all__ = [
    "InvalidHolderKind",
    "InvalidNationalId",
    "UnreadableText",
    "holder_kind",
    "national_id",
    "party_name",
    "person_text",
]


# One spelling per mailbox: an unquoted ASCII local part (a quoted "a"@b.co is a@b.co) and
# the domain in ASCII (an internationalised one in punycode).
_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# A domain of the internet (no "localhost", no bracketed IP address).
_DOMAIN = re.compile(r"(?:[a-z0-9-]+\.)+[a-z0-9-]{2,}")


class InvalidEmail(ValueError):
    """Raised when text is not an e-mail address in the one spelling the register keeps."""


def email_address(text: str) -> str:
    """Return `text` as the register stores an e-mail address (folded); InvalidEmail if not.

    Invisible characters are text's, not an address's (normalize_text drops or joins
    them), so "a@b.co" with a zero-width space after it is a@b.co, one subscriber.
    """
    folded = normalize_text(str(text or "")).lower()
    local, _at, domain = folded.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
        address = f"{local}@{domain}"
        if len(address) > 254 or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
            raise ValidationError("not one spelling")
        EmailValidator()(address)
    except (ValidationError, UnicodeError):
        raise InvalidEmail(gettext("Enter a valid e-mail address.")) from None
    return address
