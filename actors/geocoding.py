"""Locating an organization: the national address API (BAN) when configured, else the
commune's town-hall point. Tests never reach the network: they use the commune fallback
or replace ``get_geocoder`` with a fake."""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    precision: str  # "address" or "commune"


class Geocoder:
    def locate(self, *, address: str, commune) -> GeoPoint | None:
        raise NotImplementedError


class CommuneGeocoder(Geocoder):
    """No provider: the town hall of the commune stands for the address."""

    def locate(self, *, address: str, commune) -> GeoPoint | None:
        return None


class BanGeocoder(Geocoder):
    """https://adresse.data.gouv.fr — restricted to the commune's INSEE code."""

    def __init__(self, url: str, timeout: float = 3.0):
        self.url = url
        self.timeout = timeout

    def locate(self, *, address: str, commune) -> GeoPoint | None:
        if not address.strip():
            return None
        query = urllib.parse.urlencode({"q": address, "citycode": commune.insee_code, "limit": 1})
        try:
            with urllib.request.urlopen(f"{self.url}?{query}", timeout=self.timeout) as response:  # noqa: S310
                data = json.load(response)
        except (OSError, ValueError) as error:
            logger.warning("BAN geocoding failed for %s: %s", commune.insee_code, error)
            return None
        features = data.get("features") or []
        if not features or features[0].get("properties", {}).get("score", 0) < 0.5:
            return None
        lon, lat = features[0]["geometry"]["coordinates"]
        return GeoPoint(latitude=lat, longitude=lon, precision="address")


def get_geocoder() -> Geocoder:
    if settings.GEOCODER == "ban":
        return BanGeocoder(settings.GEOCODER_BAN_URL)
    return CommuneGeocoder()


def town_hall(commune) -> GeoPoint:
    """The commune's town hall, standing for an address no geocoder found (or asked)."""
    return GeoPoint(latitude=commune.latitude, longitude=commune.longitude, precision="commune")


def locate(*, address: str, commune) -> GeoPoint:
    return get_geocoder().locate(address=address, commune=commune) or town_hall(commune)
