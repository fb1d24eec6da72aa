"""The admin shows parties unmasked only with an audit row, and never edits the register."""

import datetime as dt
from fractions import Fraction

import pytest
from django.contrib.auth.models import User

from tests.factories import ParcelFactory, PartyFactory
from tests.transactions.factories import register
from transactions.models import PersonalDataAccess, Right

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("admin-test", password="x")
    client.force_login(user)
    return user


def test_party_page_and_list_leave_an_audit_row_per_party_shown(client, staff):
    parties = [
        PartyFactory(name=f"Phạm Văn Số {n}", national_id=f"00109900000{n}") for n in range(3)
    ]
    response = client.get(f"/admin/transactions/party/{parties[0].pk}/change/")
    assert response.status_code == 200 and "001099000000" in response.text
    (access,) = PersonalDataAccess.objects.all()
    assert (access.user, access.party, access.purpose) == (staff, parties[0], "admin: party")
    assert "national_id" in access.fields
    response = client.get("/admin/transactions/party/")
    assert response.status_code == 200
    listed = PersonalDataAccess.objects.filter(purpose="admin: party list")
    assert set(listed.values_list("party_id", flat=True)) == {party.pk for party in parties}


def test_right_pages_name_the_holder_by_id_only(client, staff):
    holder = PartyFactory(name="Đỗ Thị Riêng Tư", national_id="001099777777")
    (right,) = register(ParcelFactory(), [(holder, Fraction(1))], on=dt.date(2001, 1, 1))
    for url in ("/admin/transactions/right/", f"/admin/transactions/right/{right.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Riêng Tư" not in response.text and "001099777777" not in response.text
    assert not PersonalDataAccess.objects.exists()
    assert Right.objects.get(pk=right.pk).holder == holder


def test_the_admin_cannot_retire_a_parcel_or_change_its_identity(admin_client):
    from tests.factories import ParcelFactory

    parcel = ParcelFactory()
    url = f"/admin/parcels/parcel/{parcel.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    for name in ("identifier", "valid_from", "valid_to", "created_by", "retired_by"):
        assert name not in form.fields, name  # shown, not editable
    before = (parcel.identifier, parcel.valid_from, parcel.valid_to)
    admin_client.post(url, {"valid_to": "2026-12-01", "identifier": "x"})
    parcel.refresh_from_db()
    assert (parcel.identifier, parcel.valid_from, parcel.valid_to) == before


def test_the_admin_adds_a_current_parcel_made_by_no_deed(admin_client):
    page = admin_client.get("/admin/parcels/parcel/add/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "identifier" in form.fields and "valid_from" in form.fields
    for name in ("valid_to", "created_by", "retired_by"):
        assert name not in form.fields, name
