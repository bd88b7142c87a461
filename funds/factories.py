"""factory_boy factories for funds and bonds. Running totals start at zero: book amounts through the services."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pairing.factories import ProgramFactory

from .models import BondPlan, Fund, FundKind


class FundFactory(DjangoModelFactory):
    class Meta:
        model = Fund

    program = factory.SubFactory(ProgramFactory)
    year = 2025
    kind = FundKind.GUIDANCE
    name = "帮扶引导资金"
    total = Decimal("200000000.00")
    is_sample = True


class BondPlanFactory(DjangoModelFactory):
    class Meta:
        model = BondPlan

    program = factory.SubFactory(ProgramFactory)
    year = 2025
    total = Decimal("2000000000.00")
    is_sample = True

