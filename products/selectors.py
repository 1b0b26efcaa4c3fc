"""Reads on the taxonomy shared by filters, the map and matching."""

from __future__ import annotations

from miam.refcache import ProcessCache
from products.models import ProductCategory


def _taxonomy():
    rows = list(ProductCategory.objects.values_list("id", "code", "parent_id"))
    by_key = {code: (pk, parent) for pk, code, parent in rows} | {str(pk): (pk, parent) for pk, _c, parent in rows}
    children: dict[int, list[int]] = {}
    for pk, _code, parent in rows:
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    return by_key, children


#: The taxonomy, kept in each process (``miam.refcache``): every filtered list reads it.
TAXONOMY = ProcessCache("taxonomy", _taxonomy, models=[ProductCategory])


def category_ids(values, *, with_parents: bool = False) -> tuple[list[int], list[str]]:
    """The ids of the given categories (codes or ids) and of their sub-categories; their
    parent families too when asked. Returns (ids, the values not found)."""
    values = [str(v) for v in values]
    by_key, children = TAXONOMY.get()
    if any(v not in by_key for v in values):
        by_key, children = TAXONOMY.get(fresh=True)
    unknown = [v for v in values if v not in by_key]
    chosen = {by_key[v][0] for v in values if v in by_key}
    ids = set(chosen)
    for pk in chosen:
        ids.update(children.get(pk, ()))
    if with_parents:
        ids |= {by_key[v][1] for v in values if v in by_key and by_key[v][1]}
    return sorted(ids), unknown
