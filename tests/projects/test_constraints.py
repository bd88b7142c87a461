"""The database refuses projects that skip their stage gates, malformed or duplicate reports and negative money.

Every write here goes straight through the ORM, past the services, so only the constraints stand in the way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from projects.factories import (
    CrossCountyOrderFactory,
    FinanceSupportFactory,
    ProgressReportFactory,
    ProjectFactory,
    PromotionEventFactory,
    SecondmentFactory,
)
from projects.models import (
    CrossCountyOrder,
    FinanceSupport,
    ProgressReport,
    Project,
    PromotionEvent,
    Secondment,
    Stage,
)

pytestmark = pytest.mark.django_db

START = dt.date(2025, 6, 1)
PRODUCTION = dt.date(2026, 3, 1)


@contextmanager
def refused_by(*constraints: str, columns: tuple[str, ...] = ()) -> Iterator[None]:
    """The block must be refused by one of the named constraints (a row may break several; the database reports
    one). SQLite names only the ``columns`` of a unique index."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    message = str(caught.value)
    if connection.vendor == "sqlite" and message.startswith("UNIQUE"):
        assert columns, message
        assert all(column in message for column in columns), message
    else:
        assert any(name in message for name in constraints), message


@pytest.fixture
def project(pairing_a) -> Project:
    return ProjectFactory(pairing=pairing_a)


def _update(model, pk: int, **fields) -> None:
    model.objects.filter(pk=pk).update(**fields)


class TestStageGates:
    def test_started_without_actual_start_date(self, project):
        with refused_by("project_started_stage_needs_start_date"):
            _update(Project, project.pk, stage=Stage.STARTED)

    @pytest.mark.parametrize("stage", [Stage.PRODUCING, Stage.AT_CAPACITY])
    def test_producing_without_actual_production_date(self, project, stage):
        with refused_by("project_producing_stage_needs_production_date"):
            _update(Project, project.pk, stage=stage, actual_start_date=START)

    def test_signed_without_signed_date(self, project):
        with refused_by("project_signed_stage_needs_signed_date"):
            _update(Project, project.pk, signed_date=None)

    def test_created_producing_without_dates(self, pairing_a):
        with refused_by("project_started_stage_needs_start_date"):
            Project.objects.create(
                pairing=pairing_a,
                county=pairing_a.weak_county,
                code="GATE-1",
                name="跳过开工",
                stage=Stage.STARTED,
                signed_date=dt.date(2025, 3, 1),
            )

    def test_production_before_start(self, project):
        with refused_by("project_production_after_start"):
            _update(Project, project.pk, actual_start_date=START, actual_production_date=START - dt.timedelta(days=1))

    def test_production_date_without_start_date(self, project):
        with refused_by("project_production_after_start"):
            _update(Project, project.pk, actual_production_date=PRODUCTION)

    def test_planned_production_before_planned_start(self, project):
        with refused_by("project_planned_production_after_planned_start"):
            _update(Project, project.pk, planned_start_date=START, planned_production_date=START - dt.timedelta(days=1))

    def test_every_gate_satisfied_is_accepted(self, project):
        _update(
            Project,
            project.pk,
            stage=Stage.AT_CAPACITY,
            actual_start_date=START,
            actual_production_date=PRODUCTION,
        )

        assert Project.objects.get(pk=project.pk).stage == Stage.AT_CAPACITY

    def test_pipeline_needs_no_dates(self, project):
        _update(Project, project.pk, stage=Stage.PIPELINE, signed_date=None)


class TestProjectMoney:
    @pytest.mark.parametrize("field", ["planned_investment", "completed_investment"])
    def test_not_negative(self, project, field):
        name = "project_planned_not_negative" if field == "planned_investment" else "project_completed_not_negative"

        with refused_by(name):
            _update(Project, project.pk, **{field: Decimal("-0.01")})

    def test_zero_is_accepted(self, project):
        _update(Project, project.pk, planned_investment=Decimal("0"), completed_investment=Decimal("0"))

    def test_code_is_unique(self, project):
        with refused_by("projects_project_code_key", columns=("projects_project.code",)):
            ProjectFactory(pairing=project.pairing, code=project.code)


class TestProgressReport:
    def test_one_per_project_and_period(self, project):
        ProgressReportFactory(project=project, period="2025-09")

        with refused_by("report_one_per_project_period", columns=("project_id", "period")):
            ProgressReportFactory(project=project, period="2025-09")

    def test_another_period_is_accepted(self, project):
        ProgressReportFactory(project=project, period="2025-09")

        ProgressReportFactory(project=project, period="2025-10")

    @pytest.mark.parametrize(
        "period", ["2025-13", "2025-9", "2025-00", "202509", "25-09", "2025/09", "2025-1a", "2025 09"]
    )
    def test_malformed_period(self, project, period):
        with refused_by("report_period_yyyy_mm"):
            ProgressReportFactory(project=project, period=period)

    @pytest.mark.parametrize("period", ["2025-01", "2025-12"])
    def test_wellformed_period(self, project, period):
        ProgressReportFactory(project=project, period=period)

    def test_month_investment_within_cumulative(self, project):
        report = ProgressReportFactory(project=project)

        with refused_by("report_month_within_cumulative"):
            _update(
                ProgressReport,
                report.pk,
                cumulative_investment=Decimal("5000000.00"),
                month_investment=Decimal("5000000.01"),
            )

    def test_month_equal_to_cumulative_is_accepted(self, project):
        # The first month's investment is the cumulative total.
        ProgressReportFactory(
            project=project, cumulative_investment=Decimal("5000000.00"), month_investment=Decimal("5000000.00")
        )

    @pytest.mark.parametrize(
        ("field", "constraint"),
        [
            ("cumulative_investment", "report_investment_not_negative"),
            ("month_investment", "report_investment_not_negative"),
            ("output_value", "report_output_and_tax_not_negative"),
            ("tax_paid", "report_output_and_tax_not_negative"),
        ],
    )
    def test_amounts_not_negative(self, project, field, constraint):
        report = ProgressReportFactory(project=project)
        # Keep month ≤ cumulative true so only the sign rule can refuse the row.
        fields = {"month_investment": Decimal("-1.00")} if field == "cumulative_investment" else {}
        fields[field] = Decimal("-0.01")

        with refused_by(constraint):
            _update(ProgressReport, report.pk, **fields)

    def test_problem_category_needs_a_description(self, project):
        report = ProgressReportFactory(project=project)

        with refused_by("report_problem_category_has_text"):
            _update(ProgressReport, report.pk, problem_category="land", problems="")


class TestCooperationMoney:
    def test_order_amount_not_negative(self):
        order = CrossCountyOrderFactory()

        with refused_by("order_amount_not_negative"):
            _update(CrossCountyOrder, order.pk, amount=Decimal("-0.01"))

    def test_promotion_investment_not_negative(self):
        event = PromotionEventFactory()

        with refused_by("promotion_investment_not_negative"):
            _update(PromotionEvent, event.pk, intended_investment=Decimal("-0.01"))

    def test_finance_support_not_negative(self):
        support = FinanceSupportFactory()

        with refused_by("finance_support_amount_not_negative"):
            _update(FinanceSupport, support.pk, amount=Decimal("-0.01"))

    def test_secondment_between_two_counties(self):
        secondment = SecondmentFactory()

        with refused_by("secondment_between_two_counties"):
            _update(Secondment, secondment.pk, to_county=secondment.from_county)

    def test_secondment_end_after_start(self):
        secondment = SecondmentFactory()

        with refused_by("secondment_end_after_start"):
            _update(Secondment, secondment.pk, end_date=secondment.start_date - dt.timedelta(days=1))
