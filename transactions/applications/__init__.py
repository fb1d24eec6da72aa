"""Registration as a land office runs it: applications decided in order of receipt.

A deed filed by a notary (the API, the forms) is received as an application
(`receipt.file_application`): its deed is checked against the register without being
recorded, it is given the next receipt number, and every subscriber of its parcels is
alerted (transactions.alerts) in the same transaction. A registrar who did not file it
decides it (`decisions.decide`): registering records the deed in the journal, naming the
application, and is refused while an earlier application on one of its parcels is
undecided. Each step is an event of a chain of its own (`log`), append-only and checked
by `verify_ledger` beside the journal.

LANDINFO["REGISTRATION_MODE"] = "direct" keeps the older behaviour instead: a deed goes
straight into the journal (transactions.deeds.submit).
"""
