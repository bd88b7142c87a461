"""factory_boy factories for targets; used by the tests.

A target belongs to a weak county of its program: the factory records the county's weak role in the program (as
``pairing.factories.PairingFactory`` does) unless the county already has a role there, so ``Target.full_clean``
accepts what it builds.
"""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pairing.factories import CountyFactory, ProgramFactory
from pairing.models import CountyRole, ProgramCounty

from .models import Direction, Metric, Target


class TargetFactory(DjangoModelFactory):
    """A sample "≥ ¥200M of cross-county orders" goal for 2025. For a gap or rank target pass ``indicator`` (and
    ``direction=Direction.AT_MOST`` for a rank); for a project count pass ``threshold``."""

    class Meta:
        model = Target

    program = factory.SubFactory(ProgramFactory)
    county = factory.SubFactory(CountyFactory)
    year = 2025
    metric = Metric.ORDERS_AMOUNT
    indicator = ""
    threshold = None
    direction = Direction.AT_LEAST
    baseline = None
    target = Decimal("200000000")
    title = factory.LazyAttribute(lambda o: f"{o.county.name} {o.year} {o.metric}(示例)")
    is_sample = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        ProgramCounty.objects.get_or_create(
            program=kwargs["program"], county=kwargs["county"], defaults={"role": CountyRole.WEAK, "is_sample": True}
        )
        return super()._create(model_class, *args, **kwargs)
