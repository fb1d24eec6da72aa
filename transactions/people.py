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

from landinfo.profiles import InvalidNationalId, get_profile
from landinfo.profiles.text import normalize_text

# Code points that are not text: private use (Co), unassigned (Cn), lone surrogates (Cs).
_NOT_TEXT = frozenset({"Co", "Cn", "Cs"})


class UnreadableText(ValueError):
    """Raised when text about a party is empty or not readable once normalised; says why."""


def person_text(text: str, *, what: str, required: bool = True, max_length: int = 300) -> str:
    """Return `text` normalised for the register; raise UnreadableText when it cannot be kept.

    `what` names the field in messages ("The name", "The address"). A required text
    must keep at least one letter or digit (a name at least one letter); an optional one
    may come out empty, which means "not given".
    """
    cleaned = normalize_text(text)
    if any(unicodedata.category(char) in _NOT_TEXT for char in cleaned):
        raise UnreadableText(
            f"{what} holds characters that are not text (private-use or unassigned code "
            "points); type it again."
        )
    if not cleaned:
        if required:
            raise UnreadableText(
                f"{what} is empty once invisible characters and spaces are removed."
                if text.strip()
                else f"{what} is empty."
            )
        return ""
    if not any(char.isalnum() for char in cleaned):
        raise UnreadableText(f"{what} has no letter or digit: it cannot be read.")
    if len(cleaned) > max_length:
        raise UnreadableText(f"{what} is longer than {max_length} characters.")
    return cleaned


def party_name(text: str) -> str:
    """Return a party's name normalised; raise UnreadableText when it has no letter."""
    name = person_text(text, what="The name")
    if not any(char.isalpha() for char in name):
        raise UnreadableText("The name has no letter: it cannot be read.")
    return name


def national_id(text: str, *, kind: str) -> str:
    """Return the identity number in `text` as the profile's canonical digits ("" if none).

    Raise InvalidNationalId (from the profile) with the reason when it is not one.
    """
    if not normalize_text(text):
        return ""
    return get_profile().normalize_national_id(text, kind=kind)


__all__ = ["InvalidNationalId", "UnreadableText", "national_id", "party_name", "person_text"]


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
        raise InvalidEmail("Enter a valid e-mail address.") from None
    return address
