"""Refusals of the register: each says what is wrong in words a notary can act on.

Every refusal carries the HTTP status the API answers with (as pygeoapi's errors do):
422 when the deed itself is wrong (shares that do not add up, a boundary with a gap),
409 when it conflicts with the register as it now stands (someone else got there
first, the parcel was retired), 404 when what it names does not exist.
"""


class DeedRefused(Exception):
    """The deed cannot be registered as written; nothing was recorded."""

    status = 422
    code = "deed_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnreadableInput(DeedRefused):
    """Text or an identity number in the deed cannot be read as the register keeps them.

    400, as for any malformed request: the deed API and the forms refuse the same input
    before it reaches a service (transactions.people); this is the services' own check.
    """

    status = 400
    code = "invalid"


class NotFound(DeedRefused):
    """The deed names a parcel, party, right or entry the register does not have."""

    status = 404
    code = "not_found"


class DeedConflict(DeedRefused):
    """The deed conflicts with the register as it now stands."""

    status = 409
    code = "conflict"


class StaleDeed(DeedConflict):
    """The parcel changed since the notary loaded it: reload and check before recording."""

    code = "stale"


class ParcelRetired(DeedConflict):
    """The parcel was subdivided or merged: deeds go to the parcels that replaced it."""

    code = "parcel_retired"


class TransferRefused(DeedConflict):
    """The transferors do not hold what the deed transfers."""

    code = "transfer_refused"


class CorrectionRefused(DeedConflict):
    """The entry cannot be corrected as asked, e.g. a later deed changed its rights."""

    code = "correction_refused"


class IdempotencyKeyReused(DeedRefused):
    """The Idempotency-Key was used before for a different request."""

    code = "idempotency_key_reused"


class OutOfOrder(DeedConflict):
    """An earlier application on one of the deed's parcels is not decided yet."""

    code = "out_of_order"


class ApplicationClosed(DeedConflict):
    """The application was decided or withdrawn: nothing more can happen to it."""

    code = "application_closed"


class SameOfficer(DeedRefused):
    """Four eyes: the account that filed an application cannot decide it."""

    status = 403
    code = "four_eyes"


class OnHold(DeedConflict):
    """The application is on hold (an objection, a registrar's doubt): released first."""

    code = "on_hold"


class ObjectionWindow(DeedConflict):
    """The holders' time to object to the application has not run out yet."""

    code = "objection_window"


class AlertsPending(DeedConflict):
    """The alerts of the application's receipt have not reached the mail server yet."""

    code = "alerts_pending"
