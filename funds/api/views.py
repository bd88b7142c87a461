"""Endpoints for funds, allocations, disbursements, special bonds and the year-end reward runs.

Reads: every role, a county liaison only their own county's rows. Writes (POST): provincial and finance officers,
through the services; corrections are new entries, so there is no PUT or DELETE.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from accounts.access import access_for
from accounts.api import MONEY_WRITERS, ScopedQuerysetMixin
from common.api.exceptions import Conflict
from common.api.viewsets import ServiceCreateViewSet
from funds import services
from funds.models import (
    Allocation,
    BondIssue,
    BondPlan,
    BondQuota,
    Disbursement,
    Fund,
    RewardRun,
    RewardRunEdit,
    RewardRunParticipant,
    RewardShare,
)
from funds.reward_runs import RewardRunConflict, reward_run_approve, reward_run_discard, reward_run_start
from funds.selectors import fund_liaison_q, funds_with_figures

from . import serializers as s
from .filters import (
    AllocationFilter,
    BondIssueFilter,
    BondPlanFilter,
    BondQuotaFilter,
    DisbursementFilter,
    FundFilter,
    RewardRunFilter,
)

TAGS = ["funds"]


class _MoneyCreateViewSet(ScopedQuerysetMixin, ServiceCreateViewSet):
    """Money records: created by provincial and finance officers, through the services."""

    write_roles = MONEY_WRITERS
    filter_backends = [DjangoFilterBackend, OrderingFilter]


def _create_schema(input_serializer, output_serializer, summary):
    return extend_schema(
        summary=summary,
        request=input_serializer,
        responses={201: output_serializer, 400: OpenApiResponse(description=_("The rules refuse the entry."))},
    )


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List funds")),
    retrieve=extend_schema(summary=_("Get a fund")),
    create=_create_schema(s.FundCreateSerializer, s.FundSerializer, _("Create a fund")),
    close_year=extend_schema(
        summary=_("Close the fund's year (confirmed)"),
        description=_(
            "Stops every allocation, disbursement, contribution and investment on the fund, so that its reward run "
            'can be approved. The body must confirm it: {"confirm": true}; without it, 400 lists the '
            "consequences. Closing a closed year changes nothing. Whoever closes the year does not approve the run."
        ),
        request=s.YearCloseSerializer,
        responses={200: s.FundSerializer, 400: OpenApiResponse(description=_("Not confirmed."))},
    ),
    reopen_year=extend_schema(
        summary=_("Reopen the fund's year (undo the closing)"),
        description=_(
            "Possible while the fund's reward run is not approved (409 after). Reopening an open year changes nothing."
        ),
        request=None,
        responses={200: s.FundSerializer, 409: OpenApiResponse(description=_("The reward run is approved."))},
    ),
)
class FundViewSet(_MoneyCreateViewSet):
    """Guidance funds (帮扶引导资金) and pair industry funds by program year: total, allocated to weak counties,
    still unallocated, and disbursed (the sum paid out of its allocations). Amounts in yuan. A county liaison reads
    the total (the fund's announced size) and what was allocated and paid to their own county; never the
    province's allocated or disbursed sums, nor the unallocated rest (null)."""

    queryset = Fund.objects.select_related("program").order_by("-year", "program", "kind", "name", "id")
    serializer_class = s.FundSerializer
    input_serializer_class = s.FundCreateSerializer
    liaison_q = staticmethod(fund_liaison_q)
    filterset_class = FundFilter
    ordering_fields = ["year", "total", "id"]

    def get_queryset(self):
        access = access_for(self.request.user)
        return funds_with_figures(super().get_queryset(), county=access.county if access.is_liaison else None)

    def create_with(self, data: dict) -> Fund:
        return services.fund_create(**data)

    def _fund_answer(self, fund: Fund) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=fund.pk)).data)

    @action(detail=True, methods=["post"], url_path="close-year")
    def close_year(self, request, pk=None) -> Response:
        fund = self.get_object()
        incoming = s.YearCloseSerializer(data=request.data, context={"fund": fund})
        incoming.is_valid(raise_exception=True)
        return self._fund_answer(services.fund_close_year(fund=fund, by=request.user))

    @action(detail=True, methods=["post"], url_path="reopen-year")
    def reopen_year(self, request, pk=None) -> Response:
        fund = self.get_object()
        try:
            fund = services.fund_reopen_year(fund=fund, by=request.user)
        except services.FundYearConflict as exc:
            raise Conflict(str(exc)) from exc
        return self._fund_answer(fund)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List fund allocations")),
    retrieve=extend_schema(summary=_("Get an allocation")),
    create=_create_schema(s.AllocationCreateSerializer, s.AllocationSerializer, _("Allocate part of a fund")),
)
class AllocationViewSet(_MoneyCreateViewSet):
    """Parts of a fund assigned to weak counties (资金分配); Σ allocations never passes the fund's total, also
    under concurrent writes."""

    queryset = Allocation.objects.select_related("county").order_by("fund", "county", "allocated_on", "id")
    serializer_class = s.AllocationSerializer
    input_serializer_class = s.AllocationCreateSerializer
    payload_names = {"allocated_on": "date"}
    liaison_q = staticmethod(lambda county: Q(county=county))
    filterset_class = AllocationFilter
    ordering_fields = ["allocated_on", "amount", "id"]

    def create_with(self, data: dict) -> Allocation:
        return services.allocation_create(
            fund=data["fund"],
            county=data["county"],
            amount=data["amount"],
            allocated_on=data["date"],
            project=data.get("project"),
            document_no=data["document_no"],
            purpose=data["purpose"],
        )


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List disbursements")),
    retrieve=extend_schema(summary=_("Get a disbursement")),
    create=_create_schema(s.DisbursementCreateSerializer, s.DisbursementSerializer, _("Pay a tranche")),
)
class DisbursementViewSet(_MoneyCreateViewSet):
    """Tranches paid out of allocations (拨付); Σ tranches never passes the allocation, and nothing is paid once
    the fund's year is closed."""

    queryset = Disbursement.objects.select_related("allocation").order_by("allocation", "paid_on", "id")
    serializer_class = s.DisbursementSerializer
    input_serializer_class = s.DisbursementCreateSerializer
    payload_names = {"paid_on": "date"}
    liaison_q = staticmethod(lambda county: Q(allocation__county=county))
    filterset_class = DisbursementFilter
    ordering_fields = ["paid_on", "amount", "id"]

    def create_with(self, data: dict) -> Disbursement:
        return services.disbursement_create(
            allocation=data["allocation"],
            amount=data["amount"],
            paid_on=data["date"],
            document_no=data["document_no"],
            purpose=data["purpose"],
        )


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List special-bond plans")),
    retrieve=extend_schema(summary=_("Get a special-bond plan")),
    create=_create_schema(s.BondPlanCreateSerializer, s.BondPlanSerializer, _("Create a special-bond plan")),
)
class BondPlanViewSet(_MoneyCreateViewSet):
    """A program year's special-bond quota earmarked for the weak counties (专项债单列额度) and how much of it is
    assigned to counties."""

    queryset = BondPlan.objects.select_related("program").order_by("-year", "program", "id")
    serializer_class = s.BondPlanSerializer
    input_serializer_class = s.BondPlanCreateSerializer
    liaison_q = staticmethod(lambda county: Q(Exists(BondQuota.objects.filter(plan=OuterRef("pk"), county=county))))
    filterset_class = BondPlanFilter

    def create_with(self, data: dict) -> BondPlan:
        return services.bond_plan_create(**data)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List special-bond quotas")),
    retrieve=extend_schema(summary=_("Get a special-bond quota")),
    create=_create_schema(s.BondQuotaCreateSerializer, s.BondQuotaSerializer, _("Assign a county's quota")),
)
class BondQuotaViewSet(_MoneyCreateViewSet):
    """Weak counties' quotas in a plan; Σ quotas never passes the plan."""

    queryset = BondQuota.objects.select_related("plan", "county").order_by("plan", "county")
    serializer_class = s.BondQuotaSerializer
    input_serializer_class = s.BondQuotaCreateSerializer
    liaison_q = staticmethod(lambda county: Q(county=county))
    filterset_class = BondQuotaFilter

    def create_with(self, data: dict) -> BondQuota:
        return services.bond_quota_assign(**data)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List special-bond issues")),
    retrieve=extend_schema(summary=_("Get a special-bond issue")),
    create=_create_schema(s.BondIssueCreateSerializer, s.BondIssueSerializer, _("Record a bond issue")),
)
class BondIssueViewSet(_MoneyCreateViewSet):
    """Special bonds issued against a county's quota for its projects; Σ issues never passes the quota."""

    queryset = BondIssue.objects.select_related("quota").order_by("quota", "issue_date", "id")
    serializer_class = s.BondIssueSerializer
    input_serializer_class = s.BondIssueCreateSerializer
    liaison_q = staticmethod(lambda county: Q(quota__county=county))
    filterset_class = BondIssueFilter

    def create_with(self, data: dict) -> BondIssue:
        return services.bond_issue_create(**data)


@extend_schema(tags=TAGS)
@extend_schema_view(
    list=extend_schema(summary=_("List surplus reward runs")),
    retrieve=extend_schema(summary=_("Get a reward run with its explainer")),
    create=extend_schema(
        summary=_("Run (or re-run) a fund's year-end surplus reward"),
        request=s.RewardRunCreateSerializer,
        responses={
            201: s.RewardRunSerializer,
            200: s.RewardRunSerializer,
            409: OpenApiResponse(description=_("The run is already approved.")),
        },
    ),
    approve=extend_schema(
        summary=_("Approve a draft run and record its payouts"),
        description=_(
            "Needs the fund's year closed and the draft computed on the figures as they are now: 409 says why not "
            "(the year is open; or what changed since the draft, e.g. a later disbursement — run it again)."
        ),
        request=None,
        responses={
            200: s.RewardRunSerializer,
            409: OpenApiResponse(description=_("Already approved, the year is open, or the draft is out of date.")),
        },
    ),
    discard=extend_schema(
        summary=_("Discard a draft run"),
        request=None,
        description=_(
            "Throws the draft away with its lines and edits (the run's history keeps who discarded it); the fund's "
            "year is left as it is. A new draft can then be started."
        ),
        responses={200: s.RewardRunDiscardedSerializer, 409: OpenApiResponse(description=_("The run is approved."))},
    ),
)
class RewardRunViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Year-end surplus reward runs (结余奖励): one per guidance fund. POST computes a draft — 201 the first time, 200
    with the recomputed draft afterwards — and 409 once the run is approved; a draft locks nothing and can be
    discarded. Approval needs the fund's year closed (``/funds/{id}/close-year/``) and the draft up to date.
    Approval is by a provincial officer who had no hand in the draft: whoever started it, recomputed it or changed
    its rule is listed in ``edits`` and ``participants`` and cannot approve it (403); a draft of the scheduled job
    needs one officer to run it again (confirming or changing the rule) and another to approve. A county liaison
    sees the runs with a line for their county, that line only, and no explainer, edits or participants."""

    queryset = (
        RewardRun.objects.select_related("fund", "created_by", "approved_by")
        .prefetch_related(
            Prefetch("shares", queryset=RewardShare.objects.select_related("county")),
            Prefetch("edits", queryset=RewardRunEdit.objects.select_related("by").order_by("at", "id")),
            Prefetch("participants", queryset=RewardRunParticipant.objects.select_related("user").order_by("at", "id")),
        )
        .order_by("-fund__year", "fund", "id")
    )
    serializer_class = s.RewardRunSerializer
    write_roles = MONEY_WRITERS
    liaison_q = staticmethod(lambda county: Q(Exists(RewardShare.objects.filter(run=OuterRef("pk"), county=county))))
    filter_backends = [DjangoFilterBackend]
    filterset_class = RewardRunFilter

    def create(self, request, *args, **kwargs) -> Response:
        incoming = s.RewardRunCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            run, created = reward_run_start(
                fund=data["fund"],
                by=request.user,
                threshold_pct=data.get("threshold_pct"),
                basis=data.get("basis"),
                cap=data.get("cap"),
                clear_cap="cap" in data and data["cap"] is None,
            )
        except RewardRunConflict as exc:
            raise Conflict(str(exc)) from exc
        run = self.get_queryset().get(pk=run.pk)
        return Response(
            self.get_serializer(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None) -> Response:
        run = self.get_object()
        try:
            reward_run_approve(run=run, by=request.user)
        except RewardRunConflict as exc:
            raise Conflict(str(exc)) from exc
        run = self.get_queryset().get(pk=run.pk)
        return Response(self.get_serializer(run).data)

    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None) -> Response:
        run = self.get_object()
        answer = {"id": run.pk, "fund": run.fund_id, "discarded": True}
        try:
            reward_run_discard(run=run, by=request.user)
        except RewardRunConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(s.RewardRunDiscardedSerializer(answer).data)
