"""The "Export CSV" / "Export Excel" buttons of the admin's changelists: what the list shows, on every page.

A changelist filtered by stage, searched, drilled down by date and ordered is exported; the rows are the changelist's
(every page of it, in its order) with the columns of its ``list_display`` as displayed, money in yuan with a 万元
column beside it, codes as text. Only a user who may view the model exports it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from funds.factories import FundFactory
from funds.services import allocation_create
from projects.factories import ProjectFactory
from projects.models import Project, Stage

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/projects/project/"
PROJECT_COLUMNS = [
    "code",
    "name",
    "enterprise",
    "pairing",
    "county",
    "stage",
    "health",
    "money_planned_investment",
    "money_planned_investment_wan",
    "money_completed_investment",
    "money_completed_investment_wan",
    "signed_date",
    "sample_badge",
]


def export_url(model: str, file_format: str) -> str:
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_changelist_export", args=[file_format])


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def projects(pairing_a, pairing_b):
    """More signed projects than a changelist page holds (50), some under construction, one with a leading-zero
    code, amounts with fen."""
    made = [
        ProjectFactory(
            pairing=pairing_a if n % 2 else pairing_b,
            code=f"TEZ-{n:03d}",
            stage=Stage.SIGNED,
            signed_date=dt.date(2025 if n % 5 else 2024, 3, 1 + n % 28),
            planned_investment=Decimal(f"{n}0000000.0{n % 10}"),
            is_sample=bool(n % 3),
        )
        for n in range(1, 61)
    ]
    made.append(ProjectFactory(pairing=pairing_a, code="007001", stage=Stage.SIGNED, is_sample=False))
    for n in range(3):
        made.append(
            ProjectFactory(
                pairing=pairing_b,
                code=f"TEZ-9{n:02d}",
                stage=Stage.STARTED,
                actual_start_date=dt.date(2025, 6, 1),
            )
        )
    return made


def changelist_codes(client, query: dict) -> list[str]:
    """The codes of the changelist's rows, page after page."""
    codes, page = [], 1
    while True:
        response = client.get(CHANGELIST, {**query, "p": page})
        assert response.status_code == 200
        changelist = response.context["cl"]
        codes += [project.code for project in changelist.result_list]
        if page >= changelist.paginator.num_pages:
            return codes
        page += 1


def expected_row(project: Project) -> dict[str, str]:
    return {
        "code": project.code,
        "name": project.name,
        "enterprise": project.enterprise,
        "pairing": str(project.pairing),
        "county": str(project.county),
        "stage": project.get_stage_display(),
        "health": project.get_health_display(),
        "money_planned_investment": format(project.planned_investment, "f"),
        "money_completed_investment": format(project.completed_investment, "f"),
        "signed_date": project.signed_date.isoformat() if project.signed_date else "",
        "sample_badge": "Sample" if project.is_sample else "",
    }


def body(response) -> bytes:
    """The bytes of a download, streamed or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    return header, [dict(zip(header, line, strict=True)) for line in reader]


def read_xlsx(response):
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).worksheets[0]
    lines = list(sheet.iter_rows())
    header = [cell.value for cell in lines[0]]
    return header, [dict(zip(header, line, strict=True)) for line in lines[2:]]


QUERIES = {
    "stage": {"stage__exact": "signed"},
    "stage, search and ordering": {"stage__exact": "signed", "q": "TEZ-0", "o": "-1"},
    "date drill-down and sample filter": {"signed_date__year": "2025", "sample": "no"},
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_csv_export_is_the_filtered_changelist_on_every_page(officer_client, projects, query):
    codes = changelist_codes(officer_client, query)
    header, rows = read_csv(officer_client.get(export_url("projects.project", "csv"), query))

    assert header == PROJECT_COLUMNS
    assert [row["code"] for row in rows] == codes
    by_code = {project.code: project for project in Project.objects.select_related("pairing", "county")}
    for row in rows:
        want = expected_row(by_code[row["code"]])
        assert {name: row[name] for name in want} == want
        for money in ("money_planned_investment", "money_completed_investment"):
            assert Decimal(row[f"{money}_wan"]) == Decimal(row[money]) / 10000


def test_filters_select_what_the_changelist_shows(officer_client, projects):
    assert len(changelist_codes(officer_client, QUERIES["stage"])) == 61  # two pages
    searched = changelist_codes(officer_client, QUERIES["stage, search and ordering"])
    assert searched == sorted(searched, reverse=True)
    assert "007001" not in searched
    drilled = read_csv(
        officer_client.get(export_url("projects.project", "csv"), QUERIES["date drill-down and sample filter"])
    )[1]
    assert drilled and all(row["signed_date"].startswith("2025") and row["sample_badge"] == "" for row in drilled)


def test_excel_export_keeps_codes_as_text_and_money_as_numbers(officer_client, projects):
    query = {"stage__exact": "signed", "q": "007001"}
    header, rows = read_xlsx(officer_client.get(export_url("projects.project", "xlsx"), query))
    assert header == PROJECT_COLUMNS
    (row,) = rows
    assert (row["code"].value, row["code"].data_type, row["code"].number_format) == ("007001", "s", "@")
    project = Project.objects.get(code="007001")
    assert Decimal(str(row["money_planned_investment"].value)) == project.planned_investment
    assert Decimal(str(row["money_planned_investment_wan"].value)) == project.planned_investment / 10000
    assert row["money_planned_investment"].number_format == "#,##0.00"

    header, rows = read_xlsx(officer_client.get(export_url("projects.project", "xlsx"), {"stage__exact": "signed"}))
    assert [row["code"].value for row in rows] == changelist_codes(officer_client, {"stage__exact": "signed"})


def test_the_download_is_named_after_the_model_and_the_day(officer_client, projects):
    response = officer_client.get(export_url("projects.project", "xlsx"))
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="project-{today}.xlsx"'


def test_money_columns_of_a_ledger_export_the_yuan(officer_client, program, pairing_a):
    fund = FundFactory(program=program, year=2025, total=Decimal("900000000.00"), name="引导资金")
    allocation_create(
        fund=fund, county=pairing_a.weak_county, amount=Decimal("12345678.91"), allocated_on=dt.date(2025, 3, 1)
    )
    header, rows = read_csv(officer_client.get(export_url("funds.fund", "csv"), {"q": "引导资金"}))
    (row,) = rows
    assert (row["money_total"], row["money_allocated"], row["money_unallocated"]) == (
        "900000000.00",
        "12345678.91",
        "887654321.09",
    )
    assert row["money_unallocated_wan"] == "88765.432109"
    assert header.index("money_total_wan") == header.index("money_total") + 1


def test_the_changelists_show_both_buttons_with_the_current_query(officer_client, projects):
    response = officer_client.get(CHANGELIST, {"stage__exact": "signed", "q": "TEZ"})
    page = response.content.decode()
    for file_format in ("csv", "xlsx"):
        assert f'href="{export_url("projects.project", file_format)}?q=TEZ&amp;stage__exact=signed"' in page
    assert "Export CSV" in page and "Export Excel" in page
    # A model whose template replaces the tools still has the exports.
    page = officer_client.get("/admin/stats/statvalue/").content.decode()
    assert export_url("stats.statvalue", "csv") in page and "Import a file" in page


def test_only_users_who_may_view_the_model_export_it(client, leader, projects):
    staff = leader
    staff.groups.clear()  # a provincial role, but no permission on the models
    client.force_login(staff)
    assert client.get(export_url("projects.project", "csv")).status_code == 403
    assert client.get(export_url("projects.project", "xlsx")).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_project"))
    assert client.get(export_url("projects.project", "csv")).status_code == 200
    assert client.get(export_url("funds.fund", "csv")).status_code == 403


def test_people_outside_the_admin_are_sent_to_sign_in(client, liaison_a, projects):
    client.force_login(liaison_a)  # liaisons are not staff
    response = client.get(export_url("projects.project", "csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_unknown_format_or_filter_is_refused(officer_client, projects):
    assert officer_client.get(export_url("projects.project", "csv").replace("/csv/", "/pdf/")).status_code == 404
    response = officer_client.get(export_url("projects.project", "csv"), {"no_such_field": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?e=1"


def test_a_list_longer_than_the_limit_is_refused_with_a_message(officer_client, projects, settings):
    settings.EXPORT_MAX_STREAMED_ROWS = 10
    response = officer_client.get(export_url("projects.project", "csv"), {"stage__exact": "signed"}, follow=True)
    assert response.redirect_chain[0][0] == f"{CHANGELIST}?stage__exact=signed"
    assert "at most 10 rows" in response.content.decode()
    assert officer_client.get(export_url("projects.project", "csv"), {"stage__exact": "started"}).status_code == 200


def test_every_changelist_exports(officer_client, projects, program, pairing_a):
    fund = FundFactory(program=program, year=2025, total=Decimal("900000000.00"))
    allocation_create(fund=fund, county=pairing_a.weak_county, amount=Decimal("1.01"), allocated_on=dt.date(2025, 3, 1))
    for model in admin.site._registry:
        changelist = officer_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        assert changelist.status_code == 200, model._meta.label
        # The export's columns: those of the page, or the fuller set a page too narrow for them declares
        declared = getattr(admin.site._registry[model], "export_list_display", None)
        names = [n if isinstance(n, str) else n.__name__ for n in declared or changelist.context["cl"].list_display]
        header = read_csv(officer_client.get(export_url(model._meta.label_lower, "csv")))[0]
        assert [name for name in header if not name.endswith("_wan")] == [n for n in names if n != "action_checkbox"]
        assert read_xlsx(officer_client.get(export_url(model._meta.label_lower, "xlsx")))[0] == header


def test_the_csv_streams_as_the_changelist_is_read_in_chunks(officer_client, projects, settings, monkeypatch):
    settings.EXPORT_CHUNK_SIZE = 2
    read, chunk_sizes = [], []
    iterator = QuerySet.iterator

    def counting_iterator(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        for obj in iterator(self, chunk_size=chunk_size):
            read.append(obj)
            yield obj

    monkeypatch.setattr(QuerySet, "iterator", counting_iterator)
    response = officer_client.get(export_url("projects.project", "csv"))
    assert response.status_code == 200
    assert response.streaming
    blocks = iter(response.streaming_content)
    assert next(blocks).startswith("\ufeff".encode())
    assert read == []  # the header goes out before any row is read
    rest = b"".join(blocks)
    assert chunk_sizes == [2]
    assert len(read) == Project.objects.count() == rest.count(b"\r\n") > 2


def test_the_workbook_is_sent_from_a_file(officer_client, projects):
    response = officer_client.get(export_url("projects.project", "xlsx"))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="project-')
    assert len(read_xlsx(response)[1]) == Project.objects.count()


def test_a_list_narrowed_to_fit_the_screen_still_exports_every_column(officer_client, projects):
    header = read_csv(officer_client.get(export_url("projects.project", "csv")))[0]
    page = officer_client.get(CHANGELIST).context["cl"].list_display

    assert {"name", "enterprise", "county", "signed_date"} <= set(header)
    assert not {"name", "enterprise", "county", "signed_date"} & set(page)
    assert "money_planned_investment" in header and "money_planned_investment_wan" in header
