"""`pgettext_noop`: mark a message with a context for translation, translated where shown;
`gettext` and `gettext_noop` for the modules that load without Django (the profiles).

Django has gettext_noop but no contextual variant. A layer's title is a module-level
constant (read before any request has a language), and "Parcels" as a GIS layer is not
"Parcels" of a deed, so the titles and descriptions of the public layers are marked
with the context "GIS layer" here and read with `pgettext` when a page or document is
made. `makemessages` (landinfo/management/commands/makemessages.py) extracts the calls.
"""


def gettext_noop(message: str) -> str:
    """Return `message` untranslated; makemessages extracts it."""
    return message


def gettext(message: str) -> str:
    """Return `message` in the active language, or as it is before Django is set up.

    For modules that load without Django (the jurisdiction profiles: settings.py reads
    them first); Django is imported at the first message, never at import.
    """
    from django.conf import settings

    if not settings.configured:
        return message
    from django.utils.translation import gettext as translate

    return translate(message)


def pgettext_noop(context: str, message: str) -> str:
    """Return `message` untranslated; makemessages extracts it under `context`."""
    del context  # read by xgettext from the source, not at run time
    return message
