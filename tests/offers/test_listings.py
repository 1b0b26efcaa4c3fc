"""Offer and need services: the rules, the statuses, and nothing written on bad input."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from actors.models import ApiKey
from actors.permissions import ApiKeyPrincipal
from miam.errors import DomainError, NotAllowed
from offers.inputs import category_resolve, need_data, offer_data
from offers.models import Match, Need, Offer, Status
from offers.services import listings as services
from offers.services import runs
from tests.factories import (
    FarmFactory,
    NeedFactory,
    OfferFactory,
    OrganizationFactory,
    StructureFactory,
    TerritoryFactory,
    category,
    commune,
    make_member,
    make_officer,
)

TODAY = timezone.localdate()
IN_A_WEEK = TODAY + dt.timedelta(days=7)


@pytest.fixture
def changed(monkeypatch):
    """Records the organizations whose open listings changed (the matching hook)."""
    calls: list[int] = []
    monkeypatch.setattr(runs, "matching_listing_changed", lambda *, organization_id: calls.append(organization_id))
    return calls


@pytest.fixture
def farm(geo):
    return FarmFactory()


@pytest.fixture
def farmer(farm):
    return make_member(farm)


@pytest.fixture
def structure(geo):
    return StructureFactory()


@pytest.fixture
def volunteer(structure):
    return make_member(structure)


def offer_args(farm, farmer, *, publish=True, **overrides):
    """The arguments of ``offer_create``: who, for whom, and the offer's input as a door parses it."""
    values = {
        "category": "potatoes",
        "product_name": "Pommes de terre Charlotte",
        "quantity": Decimal("200"),
        "unit": "kg",
        "window_start": TODAY,
        "window_end": IN_A_WEEK,
        "pricing": "donation",
    }
    values.update(overrides)
    return {"by": farmer, "organization": farm, "data": offer_data(values), "publish": publish}


def need_args(structure, volunteer, *, publish=True, **overrides):
    """The arguments of ``need_create`` (see ``offer_args``)."""
    values = {
        "categories": ["vegetables"],
        "title": "Légumes pour le colis du vendredi",
        "quantity": Decimal("80"),
        "unit": "kg",
        "window_start": TODAY,
        "window_end": IN_A_WEEK,
    }
    values.update(overrides)
    return {"by": volunteer, "organization": structure, "data": need_data(values), "publish": publish}


def changes(**values):
    """An update's input, as a door parses it."""
    return offer_data(values, partial=True)


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, format="PNG")
    return buffer.getvalue()


# --- Offers: creation ------------------------------------------------------------------------


def test_a_farmer_publishes_a_donation_with_the_categorys_storage_and_pick_up(
    farm, farmer, changed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_create(**offer_args(farm, farmer, category="leafy-vegetables"))
    assert offer.status == Status.PUBLISHED
    assert offer.storage == "chilled"  # from the category
    assert offer.logistics == ["pickup"]
    assert offer.created_by == farmer
    assert offer.quantity_available == Decimal("200")
    assert changed == [farm.pk]


def test_a_draft_is_not_signalled_to_matching(farm, farmer, changed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_create(**offer_args(farm, farmer, publish=False))
    assert offer.status == Status.DRAFT
    assert changed == []


def test_a_use_by_date_before_the_windows_end_shortens_the_window(farm, farmer):
    use_by = TODAY + dt.timedelta(days=3)
    offer = services.offer_create(**offer_args(farm, farmer, use_by=use_by, lot_number="L-2026-14"))
    assert offer.effective_end == use_by
    assert offer.window_end == IN_A_WEEK


def test_a_solidarity_price_shows_its_discount(farm, farmer):
    offer = services.offer_create(
        **offer_args(farm, farmer, pricing="solidarity", price_per_unit="0.60", usual_price_per_unit="1.20")
    )
    assert offer.discount_percent == 50


def test_a_farm_that_delivers_takes_its_profiles_radius_unless_given(farm, farmer):
    offer = services.offer_create(**offer_args(farm, farmer, logistics=["delivery", "pickup"]))
    assert offer.delivery_radius_km == Decimal("20")  # FarmProfileFactory
    offer = services.offer_create(**offer_args(farm, farmer, logistics=["delivery"], delivery_radius_km=35))
    assert offer.delivery_radius_km == Decimal("35")


def test_a_crate_offer_states_its_weight(farm, farmer):
    offer = services.offer_create(**offer_args(farm, farmer, unit="crate", quantity=12, crate_kg="6.5"))
    assert offer.crate_kg == Decimal("6.5")


def test_a_stricter_storage_than_the_categorys_is_accepted(farm, farmer):
    offer = services.offer_create(**offer_args(farm, farmer, storage="frozen"))
    assert offer.storage == "frozen"


def test_a_processor_may_post_offers_too(geo):
    processor = OrganizationFactory(kind="processor")
    offer = services.offer_create(**offer_args(processor, make_member(processor), category="juices", unit="l"))
    assert offer.organization == processor


def test_an_officer_posts_for_a_farm_of_the_territory(farm):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    offer = services.offer_create(**offer_args(farm, officer))
    assert offer.organization == farm


def test_a_valid_photo_is_kept(farm, farmer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("patates.png", png_bytes(), content_type="image/png")
    offer = services.offer_create(**offer_args(farm, farmer, photo=photo))
    assert offer.photo.name.endswith(".png")


BAD_OFFERS = [
    ("zero quantity", {"quantity": 0}, "quantity", "quantity_not_positive"),
    ("negative quantity", {"quantity": -3}, "quantity", "quantity_not_positive"),
    ("window ends before it starts", {"window_end": TODAY - dt.timedelta(days=1)}, "window_end", "window_reversed"),
    (
        "window already past",
        {"window_start": TODAY - dt.timedelta(days=9), "window_end": TODAY - dt.timedelta(days=2)},
        "window_end",
        "window_past",
    ),
    ("unknown category", {"category": "unicorn-steaks"}, "category", "unknown_category"),
    ("a price on a donation", {"price_per_unit": "1.50"}, "price_per_unit", "price_on_donation"),
    ("a sale without a price", {"pricing": "market"}, "price_per_unit", "price_required"),
    (
        "a solidarity price without the usual price",
        {"pricing": "solidarity", "price_per_unit": "1.00"},
        "usual_price_per_unit",
        "usual_price_required",
    ),
    (
        "a solidarity price above the usual one",
        {"pricing": "solidarity", "price_per_unit": "2.00", "usual_price_per_unit": "1.50"},
        "price_per_unit",
        "solidarity_price_not_below_usual",
    ),
    ("a storage warmer than the category's", {"category": "milk", "storage": "ambient"}, "storage", "storage_too_warm"),
    ("an unknown label", {"labels": ["AB", "BIDON"]}, "labels", "unknown_label"),
    ("a minimum above the quantity", {"min_quantity": 500}, "min_quantity", "min_quantity_too_large"),
    ("a crate without its weight", {"unit": "crate"}, "crate_kg", "crate_kg_required"),
    (
        "a use-by date before the window starts",
        {"window_start": IN_A_WEEK, "window_end": IN_A_WEEK, "use_by": TODAY},
        "use_by",
        "use_by_too_early",
    ),
    ("an unknown logistics mode", {"logistics": ["teleport"]}, "logistics", "invalid"),
    ("an unknown unit", {"unit": "barrel"}, "unit", "invalid_choice"),
    ("a quantity too big to store", {"quantity": "1e12"}, "quantity", "too_large"),
    ("an empty product name", {"product_name": "  "}, "product_name", "required"),
]


@pytest.mark.parametrize(("case", "overrides", "field", "code"), BAD_OFFERS, ids=[c[0] for c in BAD_OFFERS])
def test_a_bad_offer_is_refused_with_a_field_error_and_nothing_written(farm, farmer, case, overrides, field, code):
    with pytest.raises(DomainError) as raised:
        services.offer_create(**offer_args(farm, farmer, **overrides))
    assert field in raised.value.fields, raised.value.fields
    assert raised.value.code == code
    assert raised.value.status_code == 400
    assert not Offer.objects.exists()


def test_a_delivery_without_a_radius_is_refused(geo):
    farm = FarmFactory(profile__delivery_radius_km=0)
    with pytest.raises(DomainError) as raised:
        services.offer_create(**offer_args(farm, make_member(farm), logistics=["delivery"]))
    assert raised.value.code == "delivery_radius_required"
    assert not Offer.objects.exists()


def test_every_field_error_is_reported_at_once(farm, farmer):
    with pytest.raises(DomainError) as raised:
        services.offer_create(**offer_args(farm, farmer, quantity=0, category="nope", price_per_unit=3))
    assert {"quantity", "category", "price_per_unit"} <= set(raised.value.fields)


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"%PDF-1.4 not an image at all", "photo.jpg"), (b"GIF89a" + b"\x00" * 40, "broken.gif")],
    ids=["pdf named jpg", "truncated gif"],
)
def test_a_photo_that_is_not_an_image_is_refused(farm, farmer, content, name):
    photo = SimpleUploadedFile(name, content, content_type="image/jpeg")
    with pytest.raises(DomainError) as raised:
        services.offer_create(**offer_args(farm, farmer, photo=photo))
    assert raised.value.fields["photo"]
    assert not Offer.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(farm, farmer, settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 100
    photo = SimpleUploadedFile("big.png", png_bytes((200, 200)), content_type="image/png")
    with pytest.raises(DomainError) as raised:
        services.offer_create(**offer_args(farm, farmer, photo=photo))
    assert raised.value.code == "image_too_large"
    assert not Offer.objects.exists()


def test_a_food_aid_structure_cannot_post_an_offer(structure, volunteer):
    with pytest.raises(DomainError) as raised:
        services.offer_create(**offer_args(structure, volunteer))
    assert raised.value.code == "wrong_kind"
    assert "organization" in raised.value.fields
    assert not Offer.objects.exists()


def test_nobody_posts_for_an_organization_they_do_not_belong_to(farm, geo):
    stranger = make_member(FarmFactory())
    with pytest.raises(NotAllowed):
        services.offer_create(**offer_args(farm, stranger))
    assert not Offer.objects.exists()


def test_a_read_only_api_key_cannot_post(farm):
    key = ApiKey.objects.create(name="lecture", prefix="ro000001", key_hash="x" * 64, organization=farm)
    with pytest.raises(NotAllowed) as raised:
        services.offer_create(**offer_args(farm, ApiKeyPrincipal(api_key=key)))
    assert raised.value.code == "read_only_key"


def test_an_officer_cannot_post_for_a_farm_outside_the_territory(geo):
    officer = make_officer(TerritoryFactory())
    far_farm = FarmFactory(commune=commune("25462"))  # Pontarlier
    with pytest.raises(NotAllowed):
        services.offer_create(**offer_args(far_farm, officer))


# --- Offers: life cycle ----------------------------------------------------------------------


def test_an_update_is_validated_as_a_whole(farm, farmer):
    offer = services.offer_create(**offer_args(farm, farmer))
    with pytest.raises(DomainError) as raised:
        services.offer_update(offer=offer, by=farmer, data=changes(window_end=TODAY - dt.timedelta(days=1)))
    assert raised.value.code == "window_reversed"
    offer.refresh_from_db()
    assert offer.window_end == IN_A_WEEK


def test_switching_a_sale_to_a_donation_drops_its_prices(farm, farmer):
    offer = services.offer_create(**offer_args(farm, farmer, pricing="market", price_per_unit="1.10"))
    offer = services.offer_update(offer=offer, by=farmer, data=changes(pricing="donation"))
    assert offer.price_per_unit is None


def test_the_quantity_cannot_drop_below_what_is_reserved(farm, farmer):
    offer = OfferFactory(organization=farm, quantity=100, quantity_reserved=60, status=Status.PARTLY_MATCHED)
    with pytest.raises(DomainError) as raised:
        services.offer_update(offer=offer, by=farmer, data=changes(quantity=50))
    assert raised.value.code == "below_reserved"
    offer = services.offer_update(offer=offer, by=farmer, data=changes(quantity=60))
    assert offer.status == Status.FULLY_MATCHED


def test_unknown_fields_cannot_be_updated(farm, farmer):
    offer = OfferFactory(organization=farm)
    with pytest.raises(DomainError) as raised:
        services.offer_update(offer=offer, by=farmer, data=changes(quantity_reserved=5, status="published"))
    assert set(raised.value.fields) == {"quantity_reserved", "status"}


def test_withdraw_then_publish_again(farm, farmer, changed, django_capture_on_commit_callbacks):
    offer = OfferFactory(organization=farm)
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_withdraw(offer=offer, by=farmer)
    assert offer.status == Status.WITHDRAWN
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_publish(offer=offer, by=farmer)
    assert offer.status == Status.PUBLISHED
    assert changed == [farm.pk, farm.pk]


def test_an_offer_whose_window_passed_cannot_be_published_again(farm, farmer):
    offer = OfferFactory(
        organization=farm,
        status=Status.EXPIRED,
        window_start=TODAY - dt.timedelta(days=10),
        window_end=TODAY - dt.timedelta(days=1),
    )
    with pytest.raises(DomainError) as raised:
        services.offer_publish(offer=offer, by=farmer)
    assert raised.value.code == "window_past"


def test_an_offer_without_matches_is_deleted(farm, farmer):
    offer = OfferFactory(organization=farm)
    assert services.offer_delete(offer=offer, by=farmer) is True
    assert not Offer.objects.exists()


def test_an_offer_with_matches_is_withdrawn_not_deleted(farm, farmer, structure):
    offer = OfferFactory(organization=farm)
    Match.objects.create(offer=offer, need=NeedFactory(organization=structure), quantity=10)
    assert services.offer_delete(offer=offer, by=farmer) is False
    offer.refresh_from_db()
    assert offer.status == Status.WITHDRAWN


def test_status_follows_the_reserved_quantity(farm):
    offer = OfferFactory(organization=farm, quantity=100)
    offer.quantity_reserved = Decimal("40")
    assert services.offer_refresh_status(offer).status == Status.PARTLY_MATCHED
    offer.quantity_reserved = Decimal("100")
    assert services.offer_refresh_status(offer).status == Status.FULLY_MATCHED
    offer.quantity_reserved = Decimal("0")
    assert services.offer_refresh_status(offer).status == Status.PUBLISHED
    offer.refresh_from_db()
    assert offer.status == Status.PUBLISHED


def test_a_draft_keeps_its_status_whatever_is_reserved(farm):
    offer = OfferFactory(organization=farm, status=Status.DRAFT)
    offer.quantity_reserved = Decimal("10")
    assert services.offer_refresh_status(offer).status == Status.DRAFT


# --- Needs -----------------------------------------------------------------------------------


def test_a_need_is_prefilled_from_the_structures_profile(structure, volunteer):
    need = services.need_create(**need_args(structure, volunteer))
    assert need.status == Status.PUBLISHED
    assert need.has_fridge is True
    assert need.chilled_capacity_kg == 500
    assert need.has_freezer is False
    assert need.pickup_radius_km == Decimal("30")
    assert need.has_vehicle is True
    assert [c.code for c in need.categories.all()] == ["vegetables"]


def test_what_the_need_says_wins_over_the_profile(structure, volunteer):
    need = services.need_create(
        **need_args(structure, volunteer, has_fridge=False, pickup_radius_km=5, has_vehicle=False)
    )
    assert (need.has_fridge, need.pickup_radius_km, need.has_vehicle) == (False, Decimal("5"), False)


def test_a_need_may_buy_up_to_a_price(structure, volunteer):
    need = services.need_create(
        **need_args(structure, volunteer, accepted_pricing="purchase", max_price_per_unit="0.80", urgency=3)
    )
    assert need.max_price_per_unit == Decimal("0.80")
    assert need.urgency == 3


BAD_NEEDS = [
    ("zero quantity", {"quantity": 0}, "quantity", "quantity_not_positive"),
    ("window ends before it starts", {"window_end": TODAY - dt.timedelta(days=1)}, "window_end", "window_reversed"),
    ("unknown category", {"categories": ["vegetables", "moon-cheese"]}, "categories", "unknown_category"),
    ("no category", {"categories": []}, "categories", "required"),
    ("a price on a donations-only need", {"max_price_per_unit": "2"}, "max_price_per_unit", "price_on_donation"),
    ("a purchase without price nor budget", {"accepted_pricing": "purchase"}, "max_price_per_unit", "price_required"),
    ("an unknown label", {"preferred_labels": ["XYZ"]}, "preferred_labels", "unknown_label"),
    ("an unknown urgency", {"urgency": 7}, "urgency", "invalid_choice"),
    ("a seasonal frequency", {"frequency": "season"}, "frequency", "invalid_choice"),
    ("a negative capacity", {"chilled_capacity_kg": -1}, "chilled_capacity_kg", "negative"),
]


@pytest.mark.parametrize(("case", "overrides", "field", "code"), BAD_NEEDS, ids=[c[0] for c in BAD_NEEDS])
def test_a_bad_need_is_refused_with_a_field_error_and_nothing_written(
    structure, volunteer, case, overrides, field, code
):
    with pytest.raises(DomainError) as raised:
        services.need_create(**need_args(structure, volunteer, **overrides))
    assert field in raised.value.fields, raised.value.fields
    assert raised.value.code == code
    assert not Need.objects.exists()


def test_a_farm_cannot_post_a_need(farm, farmer):
    with pytest.raises(DomainError) as raised:
        services.need_create(**need_args(farm, farmer))
    assert raised.value.code == "wrong_kind"
    assert not Need.objects.exists()


def test_a_need_update_replaces_its_categories(structure, volunteer):
    need = services.need_create(**need_args(structure, volunteer))
    need = services.need_update(
        need=need, by=volunteer, data=need_data({"categories": ["fruits", "eggs"], "quantity": 20}, partial=True)
    )
    assert sorted(c.code for c in need.categories.all()) == ["eggs", "fruits"]
    assert need.quantity == Decimal("20")


def test_a_need_with_matches_is_withdrawn_not_deleted(structure, volunteer, farm):
    need = NeedFactory(organization=structure)
    Match.objects.create(offer=OfferFactory(organization=farm), need=need, quantity=5)
    assert services.need_delete(need=need, by=volunteer) is False
    need.refresh_from_db()
    assert need.status == Status.WITHDRAWN
    other = NeedFactory(organization=structure)
    assert services.need_delete(need=other, by=volunteer) is True


def test_need_status_follows_the_covered_quantity(structure):
    need = NeedFactory(organization=structure, quantity=50)
    need.quantity_covered = Decimal("10")
    assert services.need_refresh_status(need).status == Status.PARTLY_MATCHED
    need.quantity_covered = Decimal("50")
    assert services.need_refresh_status(need).status == Status.FULLY_MATCHED


def test_need_withdraw_and_publish(structure, volunteer):
    need = NeedFactory(organization=structure)
    assert services.need_withdraw(need=need, by=volunteer).status == Status.WITHDRAWN
    assert services.need_publish(need=need, by=volunteer).status == Status.PUBLISHED


# --- Expiry ----------------------------------------------------------------------------------


def test_listings_whose_window_ended_expire(farm, structure, changed, django_capture_on_commit_callbacks):
    past = {"window_start": TODAY - dt.timedelta(days=10), "window_end": TODAY - dt.timedelta(days=1)}
    ended = OfferFactory(organization=farm, **past)
    use_by_passed = OfferFactory(organization=farm, use_by=TODAY - dt.timedelta(days=1))
    running = OfferFactory(organization=farm)
    draft = OfferFactory(organization=farm, status=Status.DRAFT, **past)
    ended_need = NeedFactory(organization=structure, **past)
    running_need = NeedFactory(organization=structure)
    before = ended.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.listings_expire(today=TODAY)
    assert counts == {"offers": 2, "needs": 1}
    statuses = {o.pk: o.status for o in Offer.objects.all()}
    assert statuses[ended.pk] == statuses[use_by_passed.pk] == Status.EXPIRED
    assert statuses[running.pk] == Status.PUBLISHED
    assert statuses[draft.pk] == Status.DRAFT
    assert Need.objects.get(pk=ended_need.pk).status == Status.EXPIRED
    assert Need.objects.get(pk=running_need.pk).status == Status.PUBLISHED
    assert Offer.objects.get(pk=ended.pk).updated_at > before  # partner apps see it in their sync
    assert sorted(changed) == sorted({farm.pk, structure.pk})
    assert services.listings_expire(today=TODAY) == {"offers": 0, "needs": 0}


def test_category_codes_are_resolved(geo):
    assert category_resolve("potatoes") == category("potatoes")
    assert category_resolve(str(category("eggs").pk)) == category("eggs")
    assert category_resolve("nope") is None
