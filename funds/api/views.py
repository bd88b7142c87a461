"""Read-only endpoint for funds."""

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.filters import OrderingFilter
from rest_framework.viewsets import ReadOnlyModelViewSet

from accounts.access import pairing_q
from accounts.api import ScopedQuerysetMixin
from common.money import MoneyField
from funds.models import Allocation, Fund

from .filters import FundFilter
from .serializers import FundSerializer


def fund_liaison_q(county: str) -> Q:
    """A liaison sees the funds allocated to their county and the industry funds of their pairing."""
    allocated_here = Allocation.objects.filter(fund=OuterRef("pk"), county=county)
    return Q(Exists(allocated_here)) | pairing_q(county, "pairing__")


@extend_schema(tags=["funds"])
@extend_schema_view(list=extend_schema(summary=_("List funds")), retrieve=extend_schema(summary=_("Get a fund")))
class FundViewSet(ScopedQuerysetMixin, ReadOnlyModelViewSet):
    """Guidance funds (帮扶引导资金) and pair industry funds by program year: total, allocated to weak counties,
    still unallocated, and disbursed (the sum paid out of its allocations). Amounts in yuan."""

    queryset = Fund.objects.select_related("program").annotate(
        disbursed=Coalesce(Sum("allocations__disbursed"), Value(Decimal("0")), output_field=MoneyField())
    ).order_by("-year", "program", "kind", "name", "id")
    serializer_class = FundSerializer
    liaison_q = staticmethod(fund_liaison_q)
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = FundFilter
    ordering_fields = ["year", "total", "id"]
