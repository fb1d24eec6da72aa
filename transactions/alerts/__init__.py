"""Alerts of applications: who is told, what they are told, and the outbox that sends it.

Anyone may subscribe an e-mail address to up to 10 parcels (double opt-in); holders and
lenders with an address on file are subscribed without asking and may opt out. At
receipt of an application, every subscriber of its parcels gets one message (parcel,
kind, receipt number and time, the office that certified the contract; no personal
data) with a one-time link "I did not agree to this" that puts the application on hold.
Messages are written to the outbox (`OutboxMessage`) in the receipt's transaction and
sent by the worker, so none is lost while the mail server is down and none is queued
twice.
"""
