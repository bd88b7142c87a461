"""Query filters for the fund endpoint."""

from django_filters import rest_framework as filters

from common.api.filters import IntegerFilter, ProgramCodeFilter
from funds.models import Fund, FundKind


class FundFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="program__code")
    year = IntegerFilter(field_name="year")
    kind = filters.ChoiceFilter(choices=FundKind.choices)

    class Meta:
        model = Fund
        fields = ["program", "year", "kind"]
