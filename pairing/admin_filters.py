"""Sidebar filters by pairing and by county for the admin's long lists (projects, reports, warnings, money).

Django's ``RelatedOnlyFieldListFilter`` finds its choices with a ``DISTINCT`` over the whole list (a million progress
reports) and then names each pairing with a query of its own (its two counties): thousands of queries and seconds
a page at national volume. These read the choices from the pairings themselves, in one query each.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from .models import Pairing, Region


class PairingListFilter(admin.RelatedFieldListFilter):
    """Every pairing, named "strong → weak", in one query."""

    def field_choices(self, field, request, model_admin):
        pairings = Pairing.objects.select_related("strong_county", "weak_county").order_by(
            "program_id", "weak_county_id", "strong_county_id"
        )
        return [(pairing.pk, str(pairing)) for pairing in pairings]


class PairedCountyListFilter(admin.RelatedFieldListFilter):
    """The counties of the pairings (where projects, reports and money are), in one query."""

    def field_choices(self, field, request, model_admin):
        paired = Q(pk__in=Pairing.objects.values("weak_county")) | Q(pk__in=Pairing.objects.values("strong_county"))
        return list(Region.objects.filter(paired).order_by("adcode").values_list("adcode", "name"))
