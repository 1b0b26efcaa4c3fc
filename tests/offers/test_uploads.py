"""Offer photos are stored as MIAM re-encoded them, under a random name, within a pixel cap,
and the replaced file goes; MEDIA is served by the app (SERVE_MEDIA)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from rest_framework.test import APIClient

from offers.models import Offer
from tests.factories import FarmFactory, make_member
from tests.offers.test_api_partner import offer_payload

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _upload(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 30), 3).save(out, format="GIF")
    return out.getvalue()


@pytest.fixture
def farm_api(geo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    farm = FarmFactory()
    api = APIClient()
    api.force_login(make_member(farm))
    offer = api.post("/api/v1/offers/", offer_payload(farm), format="json").json()
    return api, offer["id"], tmp_path


def test_a_gif_with_html_after_it_named_html_is_stored_as_a_re_encoded_gif(farm_api, client):
    api, offer_id, media_root = farm_api
    response = api.post(
        f"/api/v1/offers/{offer_id}/photo/", {"photo": _upload(_gif() + HTML, "poly.html")}, format="multipart"
    )
    assert response.status_code == 200, response.content
    name = Offer.objects.get(pk=offer_id).photo.name
    assert name.endswith(".gif") and "poly" not in name and ".html" not in name
    stored = (media_root / name).read_bytes()
    assert b"<html" not in stored and b"script" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("GIF", (40, 30))
    # Served by the app, as an image.
    served = client.get(response.json()["photo"].replace("http://testserver", ""))
    assert served.status_code == 200 and served["Content-Type"] == "image/gif"
    assert b"".join(served.streaming_content) == stored


def test_a_144_megapixel_png_is_refused_with_a_french_400_and_nothing_stored(farm_api):
    api, offer_id, media_root = farm_api
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000), 0).save(out, format="PNG")  # a few kB, 144 million pixels
    assert len(out.getvalue()) < 1_000_000
    response = api.post(
        f"/api/v1/offers/{offer_id}/photo/", {"photo": _upload(out.getvalue(), "champ.png")}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["photo"] == ["L'image est trop grande (144.0 mégapixels, maximum 40)."]
    assert not Offer.objects.get(pk=offer_id).photo
    assert not [p for p in Path(media_root).rglob("*") if p.is_file()]


def test_a_jpeg_loses_its_metadata_and_a_replaced_photo_is_deleted(farm_api, django_capture_on_commit_callbacks):
    api, offer_id, media_root = farm_api
    exif = Image.Exif()
    exif[0x010F] = "TelephoneDeCamille"  # Make
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, format="JPEG", exif=exif)
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(
            f"/api/v1/offers/{offer_id}/photo/", {"photo": _upload(out.getvalue(), "IMG_0001.JPG")}, format="multipart"
        )
    assert first.status_code == 200
    first_name = Offer.objects.get(pk=offer_id).photo.name
    assert first_name.endswith(".jpg") and "IMG_0001" not in first_name
    stored = (media_root / first_name).read_bytes()
    assert b"TelephoneDeCamille" not in stored
    png = io.BytesIO()
    Image.new("RGB", (10, 10), "red").save(png, format="PNG")
    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(
            f"/api/v1/offers/{offer_id}/photo/", {"photo": _upload(png.getvalue(), "x.jpg")}, format="multipart"
        )
    assert second.status_code == 200
    second_name = Offer.objects.get(pk=offer_id).photo.name
    assert second_name.endswith(".png")
    assert not (media_root / first_name).exists()
    assert (media_root / second_name).exists()


def test_media_serves_images_only(db, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "offers").mkdir()
    (tmp_path / "offers" / "page.html").write_bytes(HTML)
    (tmp_path / "offers" / "a.gif").write_bytes(_gif())
    assert client.get("/media/offers/page.html").status_code == 404
    assert client.get("/media/offers/a.gif").status_code == 200
    assert client.get("/media/../settings.py").status_code == 404
