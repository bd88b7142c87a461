"""Validation rules per program: each kind as an error (refused, the reason on the field) and as a warning
(accepted, kept as an outcome), on every way a report comes in (the service, the liaison form, the API) and in
statistics imports; the defaults, the outcomes listing and the bulletin's count."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pairing.factories import CountyFactory, ProvinceFactory
from projects.bulletins import bulletin_figures
from projects.factories import ProjectFactory
from projects.models import ProgressReport, Stage
from projects.reports import ReportData, progress_report_save, progress_report_submit
from stats.importers import FileRejected
from stats.models import StatValue
from stats.services import indicators_import
from tests.conftest import client_for
from validation.defaults import DEFAULT_RULES
from validation.engine import word_count
from validation.factories import ValidationRuleFactory
from validation.models import RuleField, RuleKind, RuleOutcome, Severity, Subject, ValidationRule

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)
ERROR, WARNING = Severity.ERROR, Severity.WARNING


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_default_rules(db):
    """Each test sets up the rules it tries; a program starts with the defaults (test_new_program_defaults.py), which
    would add their own findings here. Rules saved later by a test are kept."""
    from django.db.models.signals import post_save

    from validation.apps import _program_created

    post_save.disconnect(_program_created, sender="pairing.Program", dispatch_uid="validation_program_defaults")
    yield
    post_save.connect(_program_created, sender="pairing.Program", dispatch_uid="validation_program_defaults")


@pytest.fixture
def project(pairing_a):
    return ProjectFactory(
        pairing=pairing_a,
        code="TEZ-001",
        signed_date=dt.date(2025, 3, 15),
        stage=Stage.SIGNED,
        planned_investment=Decimal("100000000.00"),
    )


def rule(program, kind, field, severity, **params) -> ValidationRule:
    return ValidationRuleFactory(
        program=program, kind=kind, field=field, severity=severity, **{"maximum": None, **params}
    )


def data(**overrides) -> ReportData:
    values = {
        "stage": Stage.SIGNED,
        "cumulative_investment": Decimal("30000000.00"),
        "month_investment": Decimal("5000000.00"),
        "jobs_created": 12,
    }
    values.update(overrides)
    return ReportData(**values)


def save(project, by, period="2025-10", **overrides) -> ProgressReport:
    return progress_report_save(project=project, period=period, data=data(**overrides), by=by, today=TODAY)


def submitted(project, by, period, **overrides) -> ProgressReport:
    return progress_report_submit(report=save(project, by, period, **overrides), by=by)


def outcomes(report: ProgressReport) -> list[tuple[str, str]]:
    return list(RuleOutcome.objects.filter(report_id=report.pk).values_list("field", "rule__kind"))


# --- each kind, as an error and as a warning -------------------------------------------------------------------------

# (kind, field, rule parameters, what a plausible report says, what the rule catches, a month before that is
# submitted first or None)
KINDS = [
    pytest.param(
        RuleKind.VALUE_RANGE,
        RuleField.JOBS_CREATED,
        {"maximum": Decimal(5000)},
        {"jobs_created": 120},
        {"jobs_created": 140000},
        None,
        id="value-range",
    ),
    pytest.param(
        RuleKind.DATE_RANGE,
        RuleField.ACTUAL_START_DATE,
        {"earliest": dt.date(2000, 1, 1)},
        {"stage": Stage.STARTED, "actual_start_date": dt.date(2025, 9, 1)},
        {"stage": Stage.STARTED, "actual_start_date": dt.date(1900, 9, 1)},
        None,
        id="date-range",
    ),
    pytest.param(
        RuleKind.TEXT_WORDS,
        RuleField.PROBLEMS,
        {"max_words": 50},
        {"problem_category": "land", "problems": "用地指标尚未落实"},
        {"problem_category": "land", "problems": "用地" * 26},
        None,
        id="words",
    ),
    pytest.param(
        RuleKind.MONTH_JUMP,
        RuleField.MONTH_INVESTMENT,
        {"threshold": Decimal(300)},
        {"cumulative_investment": Decimal("50000000"), "month_investment": Decimal("8000000")},
        {"cumulative_investment": Decimal("80000000"), "month_investment": Decimal("50000000")},
        {"cumulative_investment": Decimal("30000000"), "month_investment": Decimal("5000000")},
        id="month-jump",
    ),
    pytest.param(
        RuleKind.CUMULATIVE_FALLS,
        RuleField.CUMULATIVE_INVESTMENT,
        {},
        {"cumulative_investment": Decimal("35000000"), "month_investment": Decimal("5000000")},
        {"cumulative_investment": Decimal("25000000"), "month_investment": Decimal("5000000")},
        {"cumulative_investment": Decimal("30000000"), "month_investment": Decimal("5000000")},
        id="cumulative-falls",
    ),
    pytest.param(
        RuleKind.BEYOND_PLAN,
        RuleField.CUMULATIVE_INVESTMENT,
        {"threshold": Decimal(20)},
        {"cumulative_investment": Decimal("110000000")},
        {"cumulative_investment": Decimal("130000000")},
        None,
        id="beyond-plan",
    ),
]


@pytest.mark.parametrize(("kind", "field", "params", "plausible", "caught", "before"), KINDS)
class TestEachKind:
    def _given(self, program, project, liaison, kind, field, params, severity, before):
        if before is not None:
            submitted(project, liaison, "2025-09", **before)
        return rule(program, kind, field, severity, **params)

    def test_an_error_refuses_the_report_with_the_reason_on_the_field(
        self, program, project, liaison_a, kind, field, params, plausible, caught, before
    ):
        self._given(program, project, liaison_a, kind, field, params, ERROR, before)

        with pytest.raises(ValidationError) as refused:
            save(project, liaison_a, **caught)

        assert list(refused.value.message_dict) == [field]
        assert not ProgressReport.objects.filter(period="2025-10").exists()
        assert save(project, liaison_a, **plausible).period == "2025-10"  # a plausible figure goes through

    def test_a_warning_accepts_the_report_and_keeps_the_outcome(
        self, program, project, liaison_a, kind, field, params, plausible, caught, before
    ):
        the_rule = self._given(program, project, liaison_a, kind, field, params, WARNING, before)

        report = save(project, liaison_a, **caught)

        assert outcomes(report) == [(field, kind)]
        outcome = RuleOutcome.objects.get(report_id=report.pk)
        assert (outcome.rule, outcome.region_id, outcome.period, outcome.subject) == (
            the_rule,
            project.county_id,
            "2025-10",
            Subject.REPORT,
        )
        # Corrected, the report no longer carries the warning: outcomes describe the current figures.
        save(project, liaison_a, **plausible)
        assert outcomes(report) == []


def test_an_inactive_rule_or_another_programs_rule_does_nothing(program, project, liaison_a):
    rule(program, RuleKind.VALUE_RANGE, RuleField.JOBS_CREATED, ERROR, maximum=Decimal(10), active=False)
    rule(ValidationRuleFactory().program, RuleKind.VALUE_RANGE, RuleField.JOBS_CREATED, ERROR, maximum=Decimal(10))
    assert save(project, liaison_a, jobs_created=500).jobs_created == 500


def test_submitting_checks_the_rules_again(program, project, liaison_a):
    report = save(project, liaison_a, jobs_created=500)
    rule(program, RuleKind.VALUE_RANGE, RuleField.JOBS_CREATED, ERROR, maximum=Decimal(100))

    with pytest.raises(ValidationError) as refused:
        progress_report_submit(report=report, by=liaison_a)
    assert "jobs_created" in refused.value.message_dict


def test_words_count_chinese_characters_and_latin_words():
    assert word_count("用地指标 not yet 落实, 2025年") == 4 + 2 + 2 + 1 + 1


# --- every way in ------------------------------------------------------------------------------------------------


def test_the_liaison_form_shows_the_rules_error_on_its_field(program, liaison_a, pairing_a):
    today = dt.date.today()
    due_period = f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    project = ProjectFactory(
        pairing=pairing_a, code="TEZ-002", signed_date=today - dt.timedelta(days=200), stage=Stage.SIGNED
    )
    rule(program, RuleKind.DATE_RANGE, RuleField.ACTUAL_START_DATE, ERROR, earliest=dt.date(2000, 1, 1))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(liaison_a)
    url = reverse("liaison:report", kwargs={"project_id": project.pk, "period": due_period})
    form = {
        "period": due_period,
        "stage": Stage.STARTED,
        "cumulative_investment": "3000",
        "month_investment": "500",
        "jobs_created": "12",
        "actual_start_date": "1900-05-01",
        "version": "0",
        "save": "1",
    }

    response = client.post(url, form)

    assert response.status_code == 200
    assert response.context["form"].errors["actual_start_date"] == [
        "The date 1900-05-01 is before 2000-01-01: check the year."
    ]
    assert not ProgressReport.objects.exists()


def test_the_api_answers_400_with_the_field(program, project, liaison_a):
    rule(program, RuleKind.TEXT_WORDS, RuleField.PROBLEMS, ERROR, max_words=10)
    payload = {
        "project": project.pk,
        "period": "2025-10",
        "stage": "signed",
        "cumulative_investment": "30000000.00",
        "month_investment": "5000000.00",
        "jobs_created": 12,
        "problem_category": "land",
        "problems": "用地" * 6,
    }

    response = client_for(liaison_a).post("/api/v1/progress-reports/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["problems"] == [
        "内容共 12 字，最多 10 字。请只写需要协调解决的问题。"
    ]  # the API speaks Chinese
    assert not ProgressReport.objects.exists()


def test_the_api_accepts_a_warning_and_keeps_it(program, project, liaison_a):
    rule(program, RuleKind.BEYOND_PLAN, RuleField.CUMULATIVE_INVESTMENT, WARNING, threshold=Decimal(0))
    payload = {
        "project": project.pk,
        "period": "2025-10",
        "stage": "signed",
        "cumulative_investment": "100000000.01",
        "month_investment": "5000000.00",
    }

    response = client_for(liaison_a).post("/api/v1/progress-reports/", payload, format="json")

    assert response.status_code == 201
    assert outcomes(ProgressReport.objects.get()) == [("cumulative_investment", RuleKind.BEYOND_PLAN)]


# --- statistics imports ------------------------------------------------------------------------------------------

SOURCE = "枣庄市统计公报"


@pytest.fixture
def regions(db):
    ProvinceFactory()
    CountyFactory(adcode="370405", name="台儿庄区")
    CountyFactory(adcode="370402", name="市中区")


def stats_file(rows) -> io.BytesIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["region", "indicator", "period", "value", "growth_pct", "source"])
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode())


MISMATCH = [
    ["370405", "gdp", "2024", "100", "", SOURCE],
    ["370405", "gdp", "2025", "170.8", "6.1", SOURCE],  # line 3: the levels say 70.8%
    ["370402", "gdp", "2024", "100", "", SOURCE],
    ["370402", "gdp", "2025", "106", "6.1", SOURCE],  # line 5: consistent
]


def test_a_growth_mismatch_error_refuses_the_import_with_its_line(regions, program):
    rule(program, RuleKind.GROWTH_MISMATCH, RuleField.STAT_GROWTH, ERROR, threshold=Decimal(5))

    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=stats_file(MISMATCH), filename="gdp.csv")

    assert [p.line for p in rejected.value.problems] == [3]
    assert "70.8%" in rejected.value.problems[0].message
    assert not StatValue.objects.exists()


def test_a_growth_mismatch_warning_imports_and_keeps_the_outcome(regions, program):
    the_rule = rule(program, RuleKind.GROWTH_MISMATCH, RuleField.STAT_GROWTH, WARNING, threshold=Decimal(5))

    report = indicators_import(stream=stats_file(MISMATCH), filename="gdp.csv")

    assert report.created == 4
    assert len(report.warnings) == 1 and report.warnings[0].startswith("line 3: ")
    outcome = RuleOutcome.objects.get()
    assert (outcome.rule, outcome.region_id, outcome.period, outcome.subject) == (
        the_rule,
        "370405",
        "2025",
        Subject.STATISTIC,
    )
    # The same file again: the same one outcome, not two.
    indicators_import(stream=stats_file(MISMATCH), filename="gdp.csv")
    assert RuleOutcome.objects.count() == 1


def test_a_growth_range_error_on_statistics(regions, program):
    rule(program, RuleKind.VALUE_RANGE, RuleField.STAT_GROWTH, ERROR, minimum=Decimal(-50), maximum=Decimal(100))

    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=stats_file([["370405", "gdp", "2025", "", "140", SOURCE]]), filename="gdp.csv")
    assert [p.line for p in rejected.value.problems] == [2]


def test_without_rules_the_built_in_growth_warning_remains(regions):
    report = indicators_import(stream=stats_file(MISMATCH), filename="gdp.csv")
    assert len(report.warnings) == 1 and not RuleOutcome.objects.exists()


# --- defaults, admin, listing, bulletin ----------------------------------------------------------------------------


def test_the_defaults_are_valid_rules_and_added_once(program):
    call_command("validation_defaults", stdout=io.StringIO())
    call_command("validation_defaults", stdout=io.StringIO())

    rules = ValidationRule.objects.filter(program=program)
    assert rules.count() == len(DEFAULT_RULES)
    for each in rules:
        each.full_clean()


def test_the_database_refuses_a_rule_whose_field_does_not_fit_its_kind(program):
    with pytest.raises(IntegrityError):
        ValidationRule.objects.create(
            program=program, kind=RuleKind.DATE_RANGE, field=RuleField.JOBS_CREATED, earliest=dt.date(2000, 1, 1)
        )


def test_an_officer_adds_a_rule_in_the_admin_and_sees_why_a_bad_one_is_refused(program, officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    url = reverse("admin:validation_validationrule_add")
    form = {"program": program.pk, "kind": RuleKind.MONTH_JUMP, "field": RuleField.MONTH_INVESTMENT}
    form.update({"severity": WARNING, "active": "on", "threshold": "", "note": ""})

    refused = client.post(url, form)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["threshold"] == ["Enter the threshold (zero or more)."]

    assert client.post(url, {**form, "threshold": "250"}).status_code == 302
    assert ValidationRule.objects.get().threshold == Decimal(250)


def test_outcomes_are_listed_per_county_and_month(program, project, liaison_a, officer, pairing_b):
    rule(program, RuleKind.VALUE_RANGE, RuleField.JOBS_CREATED, WARNING, maximum=Decimal(100))
    save(project, liaison_a, "2025-09", jobs_created=500)
    save(project, liaison_a, "2025-10", jobs_created=600)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    url = reverse("admin:validation_ruleoutcome_changelist")

    everything = client.get(url)
    october = client.get(url, {"region": project.county_id, "period": "2025-10"})
    elsewhere = client.get(url, {"region": pairing_b.weak_county_id})

    assert everything.context["cl"].result_count == 2
    assert [o.period for o in october.context["cl"].result_list] == ["2025-10"]
    assert "600 is above the highest plausible value, 100." in october.content.decode()
    assert elsewhere.context["cl"].result_count == 0


def test_the_bulletin_counts_the_months_warnings(program, project, liaison_a):
    rule(program, RuleKind.VALUE_RANGE, RuleField.JOBS_CREATED, WARNING, maximum=Decimal(100))
    save(project, liaison_a, "2025-10", jobs_created=500)
    save(project, liaison_a, "2025-09", jobs_created=10)

    assert bulletin_figures(program=program, period="2025-11", today=TODAY)["totals"]["rule_warnings"] == 1
    assert bulletin_figures(program=program, period="2025-10", today=TODAY)["totals"]["rule_warnings"] == 0
