"""Query filters for the fund endpoints."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from accounts.access import scope
from common.api.filters import AdcodeFilter, IntegerFilter, ProgramCodeFilter
from funds.models import (
    Allocation,
    BondIssue,
    BondPlan,
    BondQuota,
    Disbursement,
    Fund,
    FundKind,
    RewardRun,
    RewardRunStatus,
)
from funds.selectors import fund_choice_liaison_q


def funds_to_choose(request) -> QuerySet[Fund]:
    """The funds the requester may name: a liaison's own, so the browsable API's form lists no other county's fund
    and a hidden fund's id is refused exactly like a missing one."""
    if request is None:  # the schema generator builds the form without a request
        return Fund.objects.none()
    return scope(Fund.objects.order_by("-year", "name", "id"), request.user, fund_choice_liaison_q)


class FundFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="program__code")
    year = IntegerFilter(field_name="year")
    kind = filters.ChoiceFilter(choices=FundKind.choices)

    class Meta:
        model = Fund
        fields = ["program", "year", "kind"]


class AllocationFilter(filters.FilterSet):
    fund = IntegerFilter(field_name="fund")
    program = ProgramCodeFilter(field_name="fund__program__code")
    county = AdcodeFilter(field_name="county")
    year = IntegerFilter(field_name="fund__year")

    class Meta:
        model = Allocation
        fields = ["fund", "program", "county", "year"]


class DisbursementFilter(filters.FilterSet):
    allocation = IntegerFilter(field_name="allocation")
    fund = IntegerFilter(field_name="allocation__fund")
    program = ProgramCodeFilter(field_name="allocation__fund__program__code")
    county = AdcodeFilter(field_name="allocation__county")

    class Meta:
        model = Disbursement
        fields = ["allocation", "fund", "program", "county"]


class BondPlanFilter(filters.FilterSet):
    program = ProgramCodeFilter(field_name="program__code")
    year = IntegerFilter(field_name="year")

    class Meta:
        model = BondPlan
        fields = ["program", "year"]


class BondQuotaFilter(filters.FilterSet):
    plan = IntegerFilter(field_name="plan")
    program = ProgramCodeFilter(field_name="plan__program__code")
    county = AdcodeFilter(field_name="county")

    class Meta:
        model = BondQuota
        fields = ["plan", "program", "county"]


class BondIssueFilter(filters.FilterSet):
    quota = IntegerFilter(field_name="quota")
    program = ProgramCodeFilter(field_name="quota__plan__program__code")
    county = AdcodeFilter(field_name="quota__county")
    project = IntegerFilter(field_name="project")
    pairing = IntegerFilter(field_name="project__pairing")

    class Meta:
        model = BondIssue
        fields = ["quota", "program", "county", "project", "pairing"]


class RewardRunFilter(filters.FilterSet):
    fund = filters.ModelChoiceFilter(queryset=funds_to_choose, label=_("fund"))
    status = filters.ChoiceFilter(choices=RewardRunStatus.choices)

    class Meta:
        model = RewardRun
        fields = ["fund", "status"]
