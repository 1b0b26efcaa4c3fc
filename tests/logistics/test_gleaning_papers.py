"""A gleaning day's papers on its page: the day's sheet (PDF) and the stored agreement and
insurance documents, for the organiser and the territory's officers only; anyone else gets a
403, a visitor is sent to log in."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from logistics.inputs import gleaning_data, signup_data
from logistics.services import gleaning
from tests.factories import StructureFactory, TerritoryFactory, UserFactory, make_member, make_officer
from tests.logistics.test_gleaning import day_input, gleaning_offer

pytestmark = pytest.mark.django_db

INSURANCE = b"%PDF-1.4 attestation MAIF 2026"


@pytest.fixture
def day(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    offer = gleaning_offer()  # a farm in Cluny, in the territory of the Clunisois
    organiser = make_member(offer.organization)
    made = gleaning.gleaning_create(by=organiser, data=gleaning_data(day_input(offer, place="Verger du Bourg")))
    gleaning.gleaning_post(by=organiser, day=made)
    gleaning.gleaning_record_papers(
        by=organiser,
        day=made,
        agreement_reference="CONV-2026-14",
        insurance_document=SimpleUploadedFile("assurance.pdf", INSURANCE, "application/pdf"),
    )
    gleaning.gleaning_confirm(by=organiser, day=made)
    gleaning.gleaning_signup(
        slot=made.slots.first(), by=None, data=signup_data({"name": "Camille Martin", "volunteers": 2, "consent": True})
    )
    made.organiser = organiser
    return made


def _urls(day) -> list[str]:
    return [f"/logistique/glanage/{day.pk}/feuille.pdf", f"/logistique/glanage/{day.pk}/documents/assurance.pdf"]


def test_the_organiser_downloads_the_days_sheet_and_the_insurance_from_the_page(client, day):
    client.force_login(day.organiser)
    page = client.get(f"/logistique/glanage/{day.pk}/").content.decode()
    for url in _urls(day):
        assert f'href="{url}"' in page
    assert "documents/convention.pdf" not in page  # a reference, no document stored

    sheet = client.get(_urls(day)[0])
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.content)).pages)
    assert "Verger du Bourg" in text and "Camille Martin" in text and "CONV-2026-14" in text
    insurance = client.get(_urls(day)[1])
    assert insurance.status_code == 200 and b"".join(insurance.streaming_content) == INSURANCE
    assert insurance["Content-Type"] == "application/pdf" and "attachment" in insurance["Content-Disposition"]
    assert client.get(f"/logistique/glanage/{day.pk}/documents/convention.pdf").status_code == 404


def test_an_officer_of_the_territory_downloads_them_too(client, day):
    client.force_login(make_officer(TerritoryFactory()))  # the Clunisois
    assert 'id="papers"' in client.get(f"/logistique/glanage/{day.pk}/").content.decode()
    for url in _urls(day):
        assert client.get(url).status_code == 200, url


def test_an_officer_of_another_territory_is_refused(client, day):
    client.force_login(make_officer(TerritoryFactory(epci_codes=["200071595"])))
    for url in _urls(day):
        assert client.get(url).status_code == 403, url
    assert 'id="papers"' not in client.get(f"/logistique/glanage/{day.pk}/").content.decode()


def test_a_signed_up_structure_and_another_person_are_refused(client, day):
    structure = StructureFactory()
    member = make_member(structure)
    gleaning.gleaning_signup(
        slot=day.slots.first(),
        by=member,
        data=signup_data({"name": "Les Restos", "volunteers": 1, "structure": structure.pk}),
    )
    for person in (member, UserFactory()):
        client.force_login(person)
        for url in _urls(day):
            assert client.get(url).status_code == 403, url
        assert 'id="papers"' not in client.get(f"/logistique/glanage/{day.pk}/").content.decode()


def test_a_visitor_is_sent_to_log_in(client, day):
    for url in _urls(day):
        answer = client.get(url)
        assert answer.status_code == 302 and "next=" in answer["Location"], url
    assert 'id="papers"' not in client.get(f"/logistique/glanage/{day.pk}/").content.decode()
