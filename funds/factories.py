"""factory_boy factories for funds and bonds. Running totals start at zero: book amounts through the services."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pairing.factories import PairingFactory, ProgramFactory

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


class PairIndustryFundFactory(FundFactory):
    """A pair's industry fund (专项产业基金) in the program of its pairing."""

    pairing = factory.SubFactory(PairingFactory)
    program = factory.SelfAttribute("pairing.program")
    kind = FundKind.PAIR_INDUSTRY
    name = factory.Sequence(lambda n: f"结对产业基金{n}(示例)")
    total = Decimal("1000000000.00")
