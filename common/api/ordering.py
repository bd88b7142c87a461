"""A total order for every page of a list: rows that tie on the sort keys (``?ordering=stage``, two reports of one
month) would otherwise come back in whatever order the database likes on each query, so a client walking the pages
would see some rows twice and miss others. The paginator appends the primary key to any ordering that does not
already end in a unique key."""

from __future__ import annotations

from django.db.models import Model, QuerySet


def _identifies_a_row(model: type[Model], name: str) -> bool:
    """An ordering term that no two rows share: the primary key, or a unique non-null column of the model itself (a
    foreign key sorts by the related model's ordering, which need not be unique)."""
    if name == "pk":
        return True
    try:
        field = model._meta.get_field(name)
    except Exception:  # an annotation, a lookup through a relation, a transform
        return False
    if field.is_relation:
        return False  # by name, a relation sorts by the related model's ordering (`pk` alone sorts by the column)
    return field.primary_key or (bool(getattr(field, "unique", False)) and not field.null)


def current_ordering(queryset: QuerySet) -> list:
    """What the query will be ordered by: its ``order_by()``, else the model's default ordering."""
    query = queryset.query
    if query.order_by:
        return list(query.order_by)
    if query.default_ordering:
        return list(queryset.model._meta.ordering)
    return []


def is_total(queryset: QuerySet) -> bool:
    """True when the ordering contains a key that identifies a row, so no two rows can tie."""
    for term in current_ordering(queryset):
        if isinstance(term, str) and _identifies_a_row(queryset.model, term.lstrip("-")):
            return True
    return False


def stable_ordering(queryset: QuerySet) -> QuerySet:
    """``queryset`` ordered as before, then by primary key unless its ordering already identifies each row."""
    if is_total(queryset):
        return queryset
    return queryset.order_by(*current_ordering(queryset), "pk")
