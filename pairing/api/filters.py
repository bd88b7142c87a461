"""Query filters for the region, program, pairing and park endpoints."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from common.api.filters import AdcodeFilter, IntegerFilter, ProgramCodeFilter
from pairing.models import Pairing, PairingStatus, Park, ParkKind, ParkStatus, Program, Region, RegionLevel


class RegionFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=RegionLevel.choices)
    parent = AdcodeFilter(field_name="parent", label=_("Parent region adcode"))
    province = AdcodeFilter(method="filter_province", label=_("Province adcode: every region within it"))

    class Meta:
        model = Region
        fields = ["level", "parent", "province"]

    def filter_province(self, queryset: QuerySet[Region], name: str, value: str) -> QuerySet[Region]:
        # Adcodes are hierarchical: the first two digits name the province.
        return queryset.filter(adcode__startswith=value[:2]).exclude(adcode=value)


class ProgramFilter(filters.FilterSet):
    code = filters.CharFilter(field_name="code")

    class Meta:
        model = Program
        fields = ["code"]


class PairingFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="program__code")
    status = filters.ChoiceFilter(choices=PairingStatus.choices)
    county = AdcodeFilter(method="filter_county", label=_("County adcode, strong or weak side"))
    is_sample = filters.BooleanFilter()

    class Meta:
        model = Pairing
        fields = ["program", "status", "county", "is_sample"]

    def filter_county(self, queryset: QuerySet[Pairing], name: str, value: str) -> QuerySet[Pairing]:
        return queryset.involving(value)


class ParkFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="pairing__program__code")
    pairing = IntegerFilter(field_name="pairing")
    host_county = AdcodeFilter(field_name="host_county", label=_("Host county adcode"))
    kind = filters.ChoiceFilter(choices=ParkKind.choices)
    status = filters.ChoiceFilter(choices=ParkStatus.choices)

    class Meta:
        model = Park
        fields = ["program", "pairing", "host_county", "kind", "status"]
