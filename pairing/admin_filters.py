"""Sidebar filters by pairing and by county for the admin's long lists (projects, reports, warnings, money).

Django's ``RelatedOnlyFieldListFilter`` finds its choices with a ``DISTINCT`` over the whole list (a million progress
reports) and then names each pairing with a query of its own (its two counties): thousands of queries and seconds
a page at national volume. These read the choices from the pairings themselves, in one query each.

A national deployment has ~1,400 pairings and ~1,500 paired counties: a sidebar of that many links is of no use to
anyone, and drawing it took most of a list page's time. So when there are more than ``LONG_FILTER`` choices, each
filter lists those of the program chosen in the list's program filter (every list with these filters has one),
and, before a program is chosen, only the choice in force with a line saying to choose a program first.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .models import Pairing, Region

# Choices a sidebar filter lists in full; past this, it lists those of the chosen program.
LONG_FILTER = 60


def chosen_program(request: HttpRequest) -> str | None:
    """The program chosen in the list's program filter (``…program__id__exact``), if one is."""
    for key, values in request.GET.lists():
        if key.endswith("program__id__exact") and values and values[-1].isdigit():
            return values[-1]
    return None


class _NarrowedFilter(admin.RelatedFieldListFilter):
    template = "admin/pairing/narrowed_filter.html"
    # Set by field_choices: True when the choices were left out until a program is chosen.
    waits_for_program = False

    def pairings(self, request: HttpRequest) -> QuerySet[Pairing]:
        program = chosen_program(request)
        pairings = Pairing.objects.all()
        if program is not None:
            return pairings.filter(program_id=program)
        if pairings.count() > LONG_FILTER:
            self.waits_for_program = True
        return pairings

    def has_output(self) -> bool:
        return self.waits_for_program or super().has_output()


class PairingListFilter(_NarrowedFilter):
    """The pairings (of the chosen program when there are many), named "strong → weak", in one query."""

    def field_choices(self, field, request, model_admin):
        pairings = self.pairings(request)
        if self.waits_for_program:
            pairings = pairings.filter(pk__in=[value for value in self.lookup_val or [] if value.isdigit()])
        pairings = pairings.select_related("strong_county", "weak_county").order_by(
            "program_id", "weak_county_id", "strong_county_id"
        )
        return [(pairing.pk, str(pairing)) for pairing in pairings]


class PairedCountyListFilter(_NarrowedFilter):
    """The counties of the pairings (of the chosen program when there are many), where projects, reports and money
    are, in one query."""

    def field_choices(self, field, request, model_admin):
        pairings = self.pairings(request)
        paired = Q(pk__in=pairings.values("weak_county")) | Q(pk__in=pairings.values("strong_county"))
        counties = Region.objects.filter(paired)
        if self.waits_for_program:
            counties = counties.filter(pk__in=self.lookup_val or [])
        return list(counties.order_by("adcode").values_list("adcode", "name"))
