"""Reads on the taxonomy shared by filters, the map and matching."""

from __future__ import annotations

from products.models import ProductCategory


def category_ids(values, *, with_parents: bool = False) -> tuple[list[int], list[str]]:
    """The ids of the given categories (codes or ids) and of their sub-categories, in one
    query; their parent families too when asked. Returns (ids, the values not found)."""
    rows = list(ProductCategory.objects.values_list("id", "code", "parent_id"))
    by_key = {code: (pk, parent) for pk, code, parent in rows} | {str(pk): (pk, parent) for pk, _c, parent in rows}
    values = [str(v) for v in values]
    unknown = [v for v in values if v not in by_key]
    chosen = {by_key[v][0] for v in values if v in by_key}
    ids = chosen | {pk for pk, _code, parent in rows if parent in chosen}
    if with_parents:
        ids |= {by_key[v][1] for v in values if v in by_key and by_key[v][1]}
    return sorted(ids), unknown
