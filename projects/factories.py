"""factory_boy factories for projects, reports and cooperation records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pairing.factories import PairingFactory

from .models import (
    CrossCountyOrder,
    FinanceSupport,
    FinanceSupportKind,
    ProgressReport,
    Project,
    ProjectCategory,
    PromotionEvent,
    ReportStatus,
    Secondment,
    Stage,
)


class ProjectFactory(DjangoModelFactory):
    """A signed sample project in the pairing's weak county. Pass ``stage`` with the matching dates."""

    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"DEMO-{n:04d}")
    name = factory.Sequence(lambda n: f"示例产业转移项目{n}")
    pairing = factory.SubFactory(PairingFactory)
    county = factory.SelfAttribute("pairing.weak_county")
    enterprise = factory.Faker("company", locale="zh_CN")
    industry = "装备制造"
    category = ProjectCategory.TRANSFER
    planned_investment = Decimal("150000000.00")
    signed_date = dt.date(2025, 3, 15)
    planned_start_date = dt.date(2025, 6, 1)
    planned_production_date = dt.date(2026, 6, 1)
    stage = Stage.SIGNED
    is_sample = True


class ProgressReportFactory(DjangoModelFactory):
    class Meta:
        model = ProgressReport

    project = factory.SubFactory(ProjectFactory)
    period = "2025-09"
    stage = factory.SelfAttribute("project.stage")
    cumulative_investment = Decimal("30000000.00")
    month_investment = Decimal("5000000.00")
    jobs_created = 40
    status = ReportStatus.DRAFT
    is_sample = True


class CrossCountyOrderFactory(DjangoModelFactory):
    class Meta:
        model = CrossCountyOrder

    pairing = factory.SubFactory(PairingFactory)
    buyer = factory.Faker("company", locale="zh_CN")
    seller = factory.Faker("company", locale="zh_CN")
    seller_county = factory.SelfAttribute("pairing.weak_county")
    goods = "零部件"
    amount = Decimal("20000000.00")
    signed_date = dt.date(2025, 5, 20)
    is_sample = True


class PromotionEventFactory(DjangoModelFactory):
    class Meta:
        model = PromotionEvent

    pairing = factory.SubFactory(PairingFactory)
    title = factory.Sequence(lambda n: f"协同招商推介会{n}(示例)")
    held_on = dt.date(2025, 4, 18)
    location = "青岛"
    projects_signed = 3
    intended_investment = Decimal("450000000.00")
    is_sample = True


class SecondmentFactory(DjangoModelFactory):
    class Meta:
        model = Secondment

    pairing = factory.SubFactory(PairingFactory)
    person = factory.Faker("name", locale="zh_CN")
    from_county = factory.SelfAttribute("pairing.strong_county")
    to_county = factory.SelfAttribute("pairing.weak_county")
    post = "副县长(挂职)"
    start_date = dt.date(2024, 11, 1)
    is_sample = True


class FinanceSupportFactory(DjangoModelFactory):
    class Meta:
        model = FinanceSupport

    pairing = factory.SubFactory(PairingFactory)
    kind = FinanceSupportKind.LOAN
    beneficiary = factory.Faker("company", locale="zh_CN")
    amount = Decimal("50000000.00")
    arranged_on = dt.date(2025, 2, 10)
    is_sample = True
