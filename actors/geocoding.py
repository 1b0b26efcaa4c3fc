"""Locating an organization: the national address API (BAN) when configured, else the
commune's town-hall point. Tests never reach the network: they use the commune fallback,
replace ``get_geocoder`` with a fake, or stand a local HTTP server in for the BAN.

One address (a page, the API) is one request to the BAN's ``/search/``; an import's addresses
go together to its batch endpoint ``/search/csv/`` (``locate_many``), a few thousand a request.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

#: Below this score the BAN's answer is a guess: the town hall stands for the address.
MIN_SCORE = 0.5


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    precision: str  # "address" or "commune"


@dataclass(frozen=True)
class Located:
    """Where ``locate_many`` put one address, and why at the town hall when it did."""

    point: GeoPoint
    #: "" the address was found; "not_asked" no geocoder or no address (the town hall is the
    #: rule, nothing to say); "low_score", "other_commune" the geocoder's answer was refused;
    #: "unavailable" the geocoder did not answer.
    reason: str = ""
    score: float | None = None
    citycode: str = ""  # the commune the geocoder answered (``other_commune``)


class Geocoder:
    def locate(self, *, address: str, commune) -> GeoPoint | None:
        raise NotImplementedError

    def locate_many(self, items: list[tuple[str, object]]) -> list[Located | None]:
        """Each (address, commune) located; None: the town hall, nothing to say. One request
        an address unless the geocoder has better."""
        return [(Located(point=point) if (point := self.locate(address=a, commune=c)) else None) for a, c in items]


class CommuneGeocoder(Geocoder):
    """No provider: the town hall of the commune stands for the address."""

    def locate(self, *, address: str, commune) -> GeoPoint | None:
        return None

    def locate_many(self, items):
        return [None] * len(items)


class BanGeocoder(Geocoder):
    """https://adresse.data.gouv.fr — restricted to the commune's INSEE code."""

    def __init__(self, url: str, timeout: float = 3.0, *, csv_rows: int = 5000, csv_timeout: float = 60.0):
        self.url = url
        self.timeout = timeout
        self.csv_rows = max(1, csv_rows)
        self.csv_timeout = csv_timeout

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
        if not features or features[0].get("properties", {}).get("score", 0) < MIN_SCORE:
            return None
        lon, lat = features[0]["geometry"]["coordinates"]
        return GeoPoint(latitude=lat, longitude=lon, precision="address")

    @property
    def csv_url(self) -> str:
        return urllib.parse.urljoin(self.url if self.url.endswith("/") else f"{self.url}/", "csv/")

    def locate_many(self, items):
        """The BAN's batch endpoint: a CSV of ``id,address,citycode`` (the search restricted to
        the commune's INSEE code), ``csv_rows`` lines a request; its answer is the same CSV with
        ``latitude``, ``longitude``, ``result_score``, ``result_citycode``… A request that fails
        (timeout, an error status, an answer that is no such CSV) leaves its addresses at their
        town hall, ``unavailable``, and the others go on."""
        out: list[Located | None] = [None] * len(items)
        asked = [(index, address.strip(), commune) for index, (address, commune) in enumerate(items) if address.strip()]
        for start in range(0, len(asked), self.csv_rows):
            chunk = asked[start : start + self.csv_rows]
            try:
                answers = self._post_csv(chunk)
            except (requests.RequestException, ValueError, KeyError) as error:
                logger.warning("BAN batch geocoding failed for %s addresses: %s", len(chunk), error)
                for index, _address, commune in chunk:
                    out[index] = Located(point=town_hall(commune), reason="unavailable")
                continue
            for index, _address, commune in chunk:
                out[index] = _located(answers.get(str(index)), commune)
        return out

    def _post_csv(self, chunk) -> dict[str, dict]:
        body = io.StringIO()
        writer = csv.writer(body, lineterminator="\n")
        writer.writerow(["id", "address", "citycode"])
        for index, address, commune in chunk:
            writer.writerow([index, address, commune.insee_code])
        response = requests.post(
            self.csv_url,
            files={"data": ("addresses.csv", body.getvalue().encode("utf-8"), "text/csv")},
            data={"columns": "address", "citycode": "citycode"},
            timeout=self.csv_timeout,
        )
        response.raise_for_status()
        rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        answers = {row["id"]: row for row in rows}
        if chunk and not answers:
            raise ValueError("empty answer")
        return answers


def _located(row: dict | None, commune) -> Located:
    """One line of the BAN's CSV answer, checked: a score, a point, the commune asked."""
    if row is None:
        return Located(point=town_hall(commune), reason="unavailable")
    try:
        score = float(row.get("result_score") or 0)
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except (TypeError, ValueError):
        return Located(point=town_hall(commune), reason="low_score", score=None)
    if score < MIN_SCORE:
        return Located(point=town_hall(commune), reason="low_score", score=score)
    citycode = row.get("result_citycode") or ""
    if citycode != commune.insee_code:
        return Located(point=town_hall(commune), reason="other_commune", score=score, citycode=citycode)
    return Located(point=GeoPoint(latitude=lat, longitude=lon, precision="address"), score=score, citycode=citycode)


def get_geocoder() -> Geocoder:
    if settings.GEOCODER == "ban":
        return BanGeocoder(
            settings.GEOCODER_BAN_URL,
            csv_rows=settings.GEOCODER_BAN_CSV_ROWS,
            csv_timeout=settings.GEOCODER_BAN_CSV_TIMEOUT,
        )
    return CommuneGeocoder()


def town_hall(commune) -> GeoPoint:
    """The commune's town hall, standing for an address no geocoder found (or asked)."""
    return GeoPoint(latitude=commune.latitude, longitude=commune.longitude, precision="commune")


def locate(*, address: str, commune) -> GeoPoint:
    return get_geocoder().locate(address=address, commune=commune) or town_hall(commune)


def locate_many(items: list[tuple[str, object]]) -> list[Located]:
    """Many (address, commune) at once (an import): each one's point, the town hall when the
    geocoder did not find it, with the reason (``Located.reason``)."""
    found = get_geocoder().locate_many(items) if items else []
    return [
        located or Located(point=town_hall(commune), reason="not_asked")
        for located, (_address, commune) in zip(found, items, strict=True)
    ]
