"""A gleaning day's papers on its page and through the API: the day's sheet (PDF) and the
stored agreement and insurance documents, for the organiser and the territory's officers only;
anyone else gets a 403 (the API's error body), a visitor is sent to log in (the API: a 401)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader
from rest_framework.test import APIClient

from actors import services as actor_services
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


def _signed_up_structure_member(day):
    """A member of a structure whose volunteers signed up to the day's first slot."""
    structure = StructureFactory()
    member = make_member(structure)
    gleaning.gleaning_signup(
        slot=day.slots.first(),
        by=member,
        data=signup_data({"name": "Les Restos", "volunteers": 1, "structure": structure.pk}),
    )
    return member


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
    member = _signed_up_structure_member(day)
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


# --- The same papers through the API: the same people, the same files, the API's error body.

AGREEMENT = b"%PDF-1.4 convention de glanage 2026"


def _api(principal=None) -> APIClient:
    api = APIClient()
    if principal is not None:
        api.force_authenticate(principal)
    return api


def _api_urls(day) -> dict[str, str]:
    base = f"/api/v1/gleanings/{day.pk}"
    return {"sheet": f"{base}/sheet/", "insurance": f"{base}/insurance-document/"}


def test_the_organiser_gets_the_sheet_and_each_paper_through_the_api(day):
    api = _api(day.organiser)
    sheet = api.get(_api_urls(day)["sheet"])
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    assert sheet["Content-Disposition"] == f'inline; filename="glanage-{day.date:%Y-%m-%d}-{day.pk}.pdf"'
    assert sheet["Cache-Control"] == "private, no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.content)).pages)
    assert "Verger du Bourg" in text and "Camille Martin" in text and "CONV-2026-14" in text

    insurance = api.get(_api_urls(day)["insurance"])
    assert insurance.status_code == 200 and b"".join(insurance.streaming_content) == INSURANCE
    assert insurance["Content-Type"] == "application/pdf"
    assert insurance["Content-Disposition"] == f'attachment; filename="glanage-{day.pk}-assurance.pdf"'

    missing = api.get(f"/api/v1/gleanings/{day.pk}/agreement-document/")  # a reference, no document
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "not_found",
        "message": "Aucune convention de glanage déposée pour cette journée.",
        "fields": {},
    }
    gleaning.gleaning_record_papers(
        by=day.organiser,
        day=day,
        agreement_document=SimpleUploadedFile("convention.pdf", AGREEMENT, "application/pdf"),
    )
    agreement = api.get(f"/api/v1/gleanings/{day.pk}/agreement-document/")
    assert agreement.status_code == 200 and b"".join(agreement.streaming_content) == AGREEMENT
    assert agreement["Content-Disposition"] == f'attachment; filename="glanage-{day.pk}-convention.pdf"'


def test_an_officer_of_the_territory_and_its_api_key_get_them_through_the_api(day):
    territory = TerritoryFactory()  # the Clunisois
    officer = make_officer(territory)
    _key, raw = actor_services.apikey_create(by=officer, name="Lecture", territory=territory)
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    for api in (_api(officer), key):
        for url in _api_urls(day).values():
            answer = api.get(url)
            assert answer.status_code == 200, url
            assert (answer.content if "sheet" in url else b"".join(answer.streaming_content)).startswith(b"%PDF")


def test_anyone_else_gets_the_apis_403_and_a_visitor_its_401(day):
    member = _signed_up_structure_member(day)
    other_officer = make_officer(TerritoryFactory(epci_codes=["200071595"]))
    refused = {
        "code": "permission_denied",
        "message": "Seuls l'organisateur et les chargé·es de mission du territoire y ont accès.",
        "fields": {},
    }
    for person in (member, UserFactory(), other_officer):
        for url in _api_urls(day).values():
            answer = _api(person).get(url)
            assert answer.status_code == 403, url
            assert answer.json() == refused
    for url in _api_urls(day).values():
        answer = _api().get(url)
        assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated", url


def test_a_client_asking_for_a_pdf_gets_it_and_its_errors_in_json(day):
    """``Accept: application/pdf``, as a partner app asks for a file: the PDF, not DRF's 406
    (no renderer writes PDF, the view does); a refusal still comes as the API's JSON body."""
    sheet = _api(day.organiser).get(_api_urls(day)["sheet"], HTTP_ACCEPT="application/pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    insurance = _api(day.organiser).get(_api_urls(day)["insurance"], HTTP_ACCEPT="application/pdf, */*;q=0.1")
    assert insurance.status_code == 200 and b"".join(insurance.streaming_content) == INSURANCE
    refused = _api(UserFactory()).get(_api_urls(day)["sheet"], HTTP_ACCEPT="application/pdf")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
    assert refused.json()["code"] == "permission_denied"


def test_a_day_one_does_not_see_is_a_404_through_the_api(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    offer = gleaning_offer()
    organiser = make_member(offer.organization)
    draft = gleaning.gleaning_create(by=organiser, data=gleaning_data(day_input(offer)))
    for url in _api_urls(draft).values():
        answer = _api(UserFactory()).get(url)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", url
    assert _api(organiser).get(_api_urls(draft)["sheet"]).status_code == 200


def test_an_officer_of_the_places_territory_gets_a_drafts_papers_as_on_the_page(settings, tmp_path, client):
    """The place lies in another territory than the farm: its officers see the day's papers on
    the page before it is announced, and through the API as well (the list does not show them
    the draft)."""
    settings.MEDIA_ROOT = tmp_path
    offer = gleaning_offer()  # a farm in Cluny (the Clunisois)
    organiser = make_member(offer.organization)
    draft = gleaning.gleaning_create(by=organiser, data=gleaning_data(day_input(offer, commune="25462")))
    place_officer = make_officer(TerritoryFactory(epci_codes=["242500338"]))  # the Grand Pontarlier
    assert draft.commune.territories.filter(pk=place_officer.territory_roles.get().territory_id).exists()
    client.force_login(place_officer)
    assert client.get(f"/logistique/glanage/{draft.pk}/feuille.pdf").status_code == 200
    answer = _api(place_officer).get(_api_urls(draft)["sheet"])
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert _api(place_officer).get(f"/api/v1/gleanings/{draft.pk}/").status_code == 404  # the draft itself


def test_the_schema_documents_the_papers_as_pdf_files_with_their_403_and_404(geo):
    spec = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for name in ("sheet", "agreement-document", "insurance-document"):
        operation = spec["paths"][f"/api/v1/gleanings/{{id}}/{name}/"]["get"]
        assert operation["responses"]["200"]["content"] == {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}}
        }, name
        for status in ("401", "403", "404"):
            assert "application/json" in operation["responses"][status]["content"], (name, status)
