"""Reads on the taxonomy shared by filters, the map and matching."""

from __future__ import annotations

from products.models import ProductCategory

#: (``{code or str(id): (id, parent id)}``, ``{family id: [sub-category ids]}``)
Taxonomy = tuple[dict[str, tuple[int, int | None]], dict[int, list[int]]]


def taxonomy() -> Taxonomy:
    """The whole taxonomy in one query, by code and by id, with each family's sub-categories."""
    rows = list(ProductCategory.objects.values_list("id", "code", "parent_id"))
    by_key = {code: (pk, parent) for pk, code, parent in rows} | {str(pk): (pk, parent) for pk, _c, parent in rows}
    children: dict[int, list[int]] = {}
    for pk, _code, parent in rows:
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    return by_key, children


def category_ids(values, *, with_parents: bool = False, known: Taxonomy | None = None) -> tuple[list[int], list[str]]:
    """The ids of the given categories (codes or ids) and of their sub-categories; their
    parent families too when asked. Returns (ids, the values not found). ``known``: the
    taxonomy already read (``offers.selectors`` keeps it in memory); else it is read now."""
    by_key, children = known if known is not None else taxonomy()
    values = [str(v) for v in values]
    unknown = [v for v in values if v not in by_key]
    chosen = {by_key[v][0] for v in values if v in by_key}
    ids = set(chosen)
    for pk in chosen:
        ids.update(children.get(pk, ()))
    if with_parents:
        ids |= {by_key[v][1] for v in values if v in by_key and by_key[v][1]}
    return sorted(ids), unknown
