"""Query filters for the project endpoint."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from common.api.filters import AdcodeFilter, IntegerFilter, ProgramCodeFilter
from projects.models import Health, Project, ProjectCategory, Stage


class ProjectFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="pairing__program__code")
    pairing = IntegerFilter(field_name="pairing")
    county = AdcodeFilter(field_name="county", label=_("Location county adcode"))
    park = IntegerFilter(field_name="park")
    stage = filters.MultipleChoiceFilter(choices=Stage.choices, label=_("Stage (repeat for several)"))
    health = filters.ChoiceFilter(choices=Health.choices)
    category = filters.ChoiceFilter(choices=ProjectCategory.choices)
    is_sample = filters.BooleanFilter()
    signed_after = filters.DateFilter(field_name="signed_date", lookup_expr="gte", label=_("Signed on or after"))
    signed_before = filters.DateFilter(field_name="signed_date", lookup_expr="lte", label=_("Signed on or before"))

    class Meta:
        model = Project
        fields = [
            "program",
            "pairing",
            "county",
            "park",
            "stage",
            "health",
            "category",
            "is_sample",
            "signed_after",
            "signed_before",
        ]
