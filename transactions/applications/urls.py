"""The applications' pages and API: receipt, status, the registrar's queue and decision."""

from django.urls import path

from transactions.applications import pages

app_name = "applications"
urlpatterns: list = []

# --- pages (wt/pages): the receipt, the public status, the registrar's queue and file -------
urlpatterns += [
    path("applications/", pages.queue, name="queue"),
    path("applications/status", pages.status, name="status-form"),
    path("applications/<int:receipt>/", pages.detail, name="detail"),
    path("applications/<int:receipt>/receipt", pages.receipt, name="receipt"),
    path("applications/<int:receipt>/receipt.pdf", pages.receipt_pdf, name="receipt-pdf"),
    path("applications/<int:receipt>/status", pages.status, name="status"),
    path("applications/<int:receipt>/document", pages.document, name="document"),
]
