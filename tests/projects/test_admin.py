"""The admin of projects, progress reports and the other kinds of cooperation, tried as the provincial officer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

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
    ProjectStageChange,
    PromotionEvent,
    Secondment,
    Stage,
)
from projects.services import project_create

pytestmark = pytest.mark.django_db

PROJECT_MODELS = [Project, ProgressReport, CrossCountyOrder, PromotionEvent, Secondment, FinanceSupport]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    # The assertions read the English source strings, whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def project(pairing_a):
    return project_create(
        pairing=pairing_a,
        code="TEZ-001",
        name="新能源装备产业园项目",
        enterprise="青岛某装备有限公司",
        planned_investment=Decimal("150000000.00"),
        signed_date=dt.date(2025, 3, 15),
        stage=Stage.SIGNED,
    )


@pytest.fixture
def dataset(project, pairing_a):
    ProgressReportFactory(project=project)
    CrossCountyOrderFactory(pairing=pairing_a)
    PromotionEventFactory(pairing=pairing_a)
    SecondmentFactory(pairing=pairing_a)
    FinanceSupportFactory(pairing=pairing_a)
    return project


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def change_form_data(response, **changes) -> dict:
    """What the browser would post back from a change page, with ``changes`` applied."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for i, subform in enumerate(formset.initial_forms):
            for name in subform.fields:
                value = subform[name].value()
                if value is not None:
                    data[f"{formset.prefix}-{i}-{name}"] = str(value)
    data.update(changes)
    return data


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m.__name__)
def test_changelist_add_and_change_pages_open(officer_client, dataset, model):
    obj = model.objects.first()

    for page in (url(model, "changelist"), url(model, "change", obj.pk)):
        assert officer_client.get(page).status_code == 200, page
    # Reports are filed by liaisons (their pages, the API); the admin reviews them.
    assert officer_client.get(url(model, "add")).status_code == (403 if model is ProgressReport else 200)


def test_project_list_shows_money_in_wan(officer_client, dataset):
    html = officer_client.get(url(Project, "changelist")).content.decode()

    # One unit per column, named in its header (the page must fit at 1440 px)
    assert '<td class="field-money_planned_investment"><span class="money">15,000.00</span></td>' in html
    assert "Planned investment (10k yuan)" in html


def test_project_list_sorts_by_planned_investment(officer_client, dataset, pairing_a):
    ProjectFactory(pairing=pairing_a, code="TEZ-002", planned_investment=Decimal("900000000.00"))
    response = officer_client.get(url(Project, "changelist"))
    index = response.context["cl"].list_display.index("money_planned_investment")

    ordered = officer_client.get(url(Project, "changelist"), {"o": f"-{index}"})

    assert [p.code for p in ordered.context["cl"].result_list] == ["TEZ-002", "TEZ-001"]


def test_project_search_by_code_name_and_enterprise(officer_client, dataset, pairing_a):
    ProjectFactory(pairing=pairing_a, code="OTHER-1", name="另一个项目", enterprise="济南某公司")

    for term in ("TEZ-001", "新能源装备", "青岛某装备"):
        response = officer_client.get(url(Project, "changelist"), {"q": term})
        assert [p.code for p in response.context["cl"].result_list] == ["TEZ-001"], term


def test_sample_project_shows_the_badge(officer_client, pairing_a):
    ProjectFactory(pairing=pairing_a)

    assert 'class="sample-badge"' in officer_client.get(url(Project, "changelist")).content.decode()


def test_adding_a_project_opens_its_stage_log_with_the_officer(officer_client, pairing_a, officer):
    response = officer_client.post(
        url(Project, "add"),
        {
            "pairing": pairing_a.pk,
            "code": "TEZ-010",
            "name": "智能制造项目",
            "category": "transfer",
            "planned_investment": "8000",  # 万元
            "stage": Stage.SIGNED,
            "signed_date": "2025-04-01",
        },
    )

    assert response.status_code == 302
    project = Project.objects.get(code="TEZ-010")
    assert project.county == pairing_a.weak_county  # the service's default placement
    [log] = project.stage_changes.all()
    assert (log.from_stage, log.to_stage, log.changed_by) == ("", Stage.SIGNED, officer)


def test_adding_a_signed_project_without_signing_date_is_refused(officer_client, pairing_a):
    response = officer_client.post(
        url(Project, "add"),
        {
            "pairing": pairing_a.pk,
            "code": "TEZ-011",
            "name": "缺签约日期的项目",
            "category": "transfer",
            "planned_investment": "0.1",
            "stage": Stage.SIGNED,
        },
    )

    assert "signed_date" in response.context["adminform"].form.errors
    assert not Project.objects.exists()
    assert not ProjectStageChange.objects.exists()


def test_changing_the_stage_in_the_admin_logs_the_officer(officer_client, project, officer):
    page = officer_client.get(url(Project, "change", project.pk))

    response = officer_client.post(
        url(Project, "change", project.pk),
        change_form_data(page, stage=Stage.STARTED, actual_start_date="2025-07-01", health="normal"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    project.refresh_from_db()
    assert (project.stage, project.actual_start_date) == (Stage.STARTED, dt.date(2025, 7, 1))
    change = project.stage_changes.latest("id")
    assert (change.from_stage, change.to_stage, change.changed_by) == (Stage.SIGNED, Stage.STARTED, officer)


def test_stage_change_missing_its_date_is_refused_and_nothing_saved(officer_client, project):
    page = officer_client.get(url(Project, "change", project.pk))

    response = officer_client.post(
        url(Project, "change", project.pk), change_form_data(page, stage=Stage.STARTED, name="改名")
    )

    assert response.status_code == 200
    assert "actual_start_date" in response.context["adminform"].form.errors
    project.refresh_from_db()
    assert (project.stage, project.name) == (Stage.SIGNED, "新能源装备产业园项目")
    assert project.stage_changes.count() == 1


def test_moving_back_needs_a_reason(officer_client, project, officer):
    page = officer_client.get(url(Project, "change", project.pk))

    refused = officer_client.post(url(Project, "change", project.pk), change_form_data(page, stage=Stage.PIPELINE))
    accepted = officer_client.post(
        url(Project, "change", project.pk),
        change_form_data(page, stage=Stage.PIPELINE, stage_note="签约方撤回,重新洽谈"),
    )

    assert refused.status_code == 200
    assert "stage_note" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    change = project.stage_changes.latest("id")
    assert (change.to_stage, change.note, change.changed_by) == (Stage.PIPELINE, "签约方撤回,重新洽谈", officer)


def test_plain_edit_keeps_the_stage_log_unchanged(officer_client, project):
    page = officer_client.get(url(Project, "change", project.pk))

    response = officer_client.post(url(Project, "change", project.pk), change_form_data(page, industry="新能源"))

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.industry == "新能源"
    assert project.stage_changes.count() == 1


def test_project_change_page_shows_stage_log_and_reports(officer_client, dataset):
    html = officer_client.get(url(Project, "change", dataset.pk)).content.decode()

    assert "2025-09" in html  # the progress report's period
    assert 'id="stage_changes-group"' in html
