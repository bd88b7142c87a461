"""``?format=csv`` and ``?format=xlsx`` on the API's lists: the whole list the JSON pages would give, for every role.

Each export is read back (``csv`` / ``openpyxl``) and compared with the JSON list under the same query, every page of
it concatenated: the same rows in the same order, the same values, nested objects as ``parent.child`` columns, each
money field followed by ``<field>_wan`` = yuan / 10,000. Adcodes and other codes stay text (XLSX cells of type
string, leading zeros intact); CSV starts with a byte-order mark. Anonymous callers get 401, users without a role
403, both in JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from common import exports
from common.api import pagination, renderers
from demo.statistics import demo_statistics_seed
from funds.factories import FundFactory
from funds.services import allocation_create, disbursement_create
from pairing.factories import ParkFactory, ParkPartnerFactory
from pairing.models import Pairing
from projects.factories import ProjectFactory
from projects.models import Project, Stage
from projects.reports import ReportData, progress_report_save
from tests.conftest import (
    client_for,
    make_finance,
    make_leader,
    make_liaison_a,
    make_liaison_b,
    make_officer,
    make_pairing_a,
    make_pairing_b,
    make_program,
)

pytestmark = pytest.mark.django_db

ROLES = ("officer", "finance", "leader", "liaison_a", "liaison_b")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Endpoint → (query, the money fields of its rows). The JSON is read in pages of two rows, so most span several.
LISTS = {
    "projects": ({"stage": "signed"}, {"planned_investment", "completed_investment"}),
    "progress-reports": ({}, {"cumulative_investment", "month_investment", "output_value", "tax_paid"}),
    "allocations": ({}, {"amount", "disbursed"}),
    "gaps": ({"program": "sd-test", "period": "2025"}, set()),
    "regions": ({"province": "370000"}, set()),
    "pairings": ({}, set()),
    "parks": ({}, set()),
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The personas of ``ROLES`` and both sides' rows, built once for the module in a transaction rolled back at its
    end; each test's transaction (``db``) is a savepoint inside it, so what a test writes is gone for the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        program = make_program()
        pairing_a, pairing_b = make_pairing_a(program), make_pairing_b(program)
        make_officer()
        make_finance()
        make_leader()
        build_world(program, pairing_a, pairing_b, make_liaison_a(pairing_a), make_liaison_b(pairing_b))
        yield
        transaction.set_rollback(True)


@pytest.fixture
def pairing_a(world, db):
    return Pairing.objects.get(program__code="sd-test", weak_county="370405")


def build_world(program, pairing_a, pairing_b, liaison_a, liaison_b) -> None:
    """Both sides: projects in several stages (one with a leading-zero code and amounts with fen), reports, a
    guidance fund's allocations with a disbursement, parks with partners, and the sample statistics' gaps."""
    for side, pairing, liaison in (("A", pairing_a, liaison_a), ("B", pairing_b, liaison_b)):
        signed = [
            ProjectFactory(pairing=pairing, code=f"{side}-{n:03d}", stage=Stage.SIGNED, signed_date=dt.date(2025, 3, n))
            for n in range(1, 4)
        ]
        ProjectFactory(pairing=pairing, code=f"{side}-PIPE", stage=Stage.PIPELINE, signed_date=None)
        for n, project in enumerate(signed, start=1):
            data = ReportData(
                stage=Stage.SIGNED,
                cumulative_investment=Decimal(f"{n}2345678.91"),
                month_investment=Decimal("0.01"),
            )
            progress_report_save(project=project, period="2025-09", data=data, by=liaison)
        park = ParkFactory(pairing=pairing, name=f"共建产业园 {side}")
        ParkPartnerFactory(park=park, county=pairing.strong_county, tax_share_pct=60, output_share_pct=50)
        ParkPartnerFactory(park=park, county=pairing.weak_county, tax_share_pct=40, output_share_pct=50)
    ProjectFactory(pairing=pairing_a, code="007001", stage=Stage.SIGNED, planned_investment=Decimal("98765432.10"))
    fund = FundFactory(program=program, year=2025, total=Decimal("900000000.00"))
    for pairing, amounts in ((pairing_a, ("12345678.91", "50000000.00")), (pairing_b, ("30000000.00", "0.05"))):
        for amount in amounts:
            allocation = allocation_create(
                fund=fund, county=pairing.weak_county, amount=Decimal(amount), allocated_on=dt.date(2025, 3, 1)
            )
        disbursement_create(allocation=allocation, amount=Decimal("0.01"), paid_on=dt.date(2025, 4, 1))
    demo_statistics_seed(program=program)


@pytest.fixture
def clients(world, db) -> dict:
    users = get_user_model().objects
    return {role: client_for(users.get(username=role)) for role in ROLES}


# --- Reading both sides back --------------------------------------------------------------------------------------


def json_rows(client, url: str, query: dict) -> list[dict]:
    """The JSON list, every page of two rows concatenated (or the whole list, for an unpaged endpoint)."""
    rows, page = [], 1
    while True:
        response = client.get(url, {**query, "page_size": 2, "page": page})
        assert response.status_code == 200, response.content
        body = response.json()
        if isinstance(body, list):
            return body
        rows += body["results"]
        if body["next"] is None:
            return rows
        page += 1


def flatten(row: dict, money: set[str], prefix: str = "") -> dict:
    """A JSON row as export columns: nested objects as `parent.child`, lists joined, `_wan` beside the money."""
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, money, f"{name}."))
        elif isinstance(value, list):
            flat[name] = "; ".join(
                str(item)
                if isinstance(item, str | int)
                else json.dumps(item, ensure_ascii=False, separators=(",", ":"))
                for item in value
            )
        else:
            flat[name] = value
            if name in money:
                flat[f"{name}_wan"] = None if value is None else Decimal(value) / 10000
    return flat


def expand(rows: list[dict], header: list[str]) -> list[dict]:
    """An absent nested object (null in the JSON) is its columns in the export, all empty."""
    expanded = []
    for row in rows:
        out = {}
        for name, value in row.items():
            children = [column for column in header if column.startswith(f"{name}.")]
            if value is None and name not in header and children:
                out.update(dict.fromkeys(children))
            else:
                out[name] = value
        expanded.append(out)
    return expanded


def as_csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def body(response) -> bytes:
    """The bytes of a download, streamed or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(response) -> tuple[list[str], list[dict]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff"), "CSV without a byte-order mark: Excel would garble the Chinese"
    reader = csv.reader(io.StringIO(text[1:]))
    header = next(reader)
    return header, [dict(zip(header, line, strict=True)) for line in reader]


def read_xlsx(response) -> tuple[list[str], list[dict]]:
    assert response["Content-Type"] == XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).worksheets[0]
    lines = list(sheet.iter_rows())
    header = [cell.value for cell in lines[0]]
    labels = [cell.value for cell in lines[1]]
    assert all(labels), "every column has a label in row 2"
    return header, [dict(zip(header, line, strict=True)) for line in lines[2:]]


def assert_csv_equals(expected: list[dict], header: list[str], rows: list[dict]) -> None:
    expected = expand(expected, header)
    assert len(rows) == len(expected)
    assert all(list(row) == header for row in expected)
    for want, got in zip(expected, rows, strict=True):
        for name, value in want.items():
            if name.endswith("_wan") and value is not None:
                assert Decimal(got[name]) == value, name
            else:
                assert got[name] == as_csv_text(value), name


def assert_xlsx_equals(expected: list[dict], header: list[str], rows: list[dict], money: set[str]) -> None:
    expected = expand(expected, header)
    assert len(rows) == len(expected)
    assert all(list(row) == header for row in expected)
    for want, got in zip(expected, rows, strict=True):
        for name, value in want.items():
            cell = got[name]
            if value is None or value == "":
                assert cell.value is None, name
            elif name in money or name.endswith("_wan"):
                # Numbers for the money, exact to the fen.
                assert cell.data_type == "n", name
                assert Decimal(str(cell.value)) == Decimal(value), name
                assert cell.number_format.startswith("#,##0.00"), name
            elif isinstance(value, str):
                assert cell.data_type == "s", name  # text stays text, codes included
                assert cell.number_format == "@", name
                assert cell.value == value, name
            else:
                assert cell.value == value, name


# --- The exports --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(LISTS))
def test_export_equals_the_json_list(clients, role, endpoint):
    query, money = LISTS[endpoint]
    client = clients[role]
    url = f"/api/v1/{endpoint}/"
    expected = [flatten(row, money) for row in json_rows(client, url, query)]
    assert expected, "the data give every role rows of every list"

    header, rows = read_csv(client.get(url, {**query, "format": "csv"}))
    assert_csv_equals(expected, header, rows)

    header, rows = read_xlsx(client.get(url, {**query, "format": "xlsx"}))
    assert_xlsx_equals(expected, header, rows, money)


def test_every_list_is_exported_whole_and_scoped(clients):
    """Several pages of JSON for everyone; a liaison's export holds their own pairings' rows, the officer's both."""
    query, _money = LISTS["projects"]
    officer = read_csv(clients["officer"].get("/api/v1/projects/", {**query, "format": "csv", "page": 2}))[1]
    liaison = read_csv(clients["liaison_a"].get("/api/v1/projects/", {**query, "format": "csv"}))[1]
    assert len(officer) == 7  # three signed projects a side and the leading-zero one; `page` does not apply
    assert {row["county"] for row in officer} == {"370405", "371328"}
    assert {row["county"] for row in liaison} == {"370405"}
    assert len(liaison) == 4


def test_codes_stay_text_and_money_keeps_the_fen(clients):
    client = clients["officer"]
    header, rows = read_xlsx(client.get("/api/v1/projects/", {"search": "007001", "format": "xlsx"}))
    (row,) = rows
    assert (row["code"].value, row["code"].data_type) == ("007001", "s")
    assert (row["county"].value, row["county"].data_type) == ("370405", "s")
    assert Decimal(str(row["planned_investment"].value)) == Decimal("98765432.10")
    assert Decimal(str(row["planned_investment_wan"].value)) == Decimal("9876.54321")
    assert header.index("planned_investment_wan") == header.index("planned_investment") + 1

    _header, rows = read_csv(client.get("/api/v1/projects/", {"search": "007001", "format": "csv"}))
    assert (rows[0]["code"], rows[0]["planned_investment"], rows[0]["planned_investment_wan"]) == (
        "007001",
        "98765432.10",
        "9876.543210",
    )


def test_nested_objects_become_columns(clients):
    _header, rows = read_csv(clients["officer"].get("/api/v1/pairings/", {"format": "csv"}))
    row = next(row for row in rows if row["weak_county.adcode"] == "370405")
    assert (row["strong_county.adcode"], row["strong_county.name"]) == ("370211", "黄岛区")
    # A pairing without a source document still has the source's columns, empty.
    assert "provenance.source.title" in row


def test_the_download_is_named_after_the_list_and_the_day(clients):
    response = clients["officer"].get("/api/v1/progress-reports/", {"format": "xlsx"})
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="progress-report-{today}.xlsx"'
    response = clients["officer"].get("/api/v1/regions/", {"format": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="region-{today}.csv"'


def test_text_a_spreadsheet_would_run_is_defused(clients, pairing_a):
    ProjectFactory(pairing=pairing_a, code="F-1", name='=HYPERLINK("http://example.org","x")')
    client = clients["officer"]
    _header, rows = read_csv(client.get("/api/v1/projects/", {"search": "F-1", "format": "csv"}))
    assert rows[0]["name"] == '\'=HYPERLINK("http://example.org","x")'
    _header, rows = read_xlsx(client.get("/api/v1/projects/", {"search": "F-1", "format": "xlsx"}))
    assert (rows[0]["name"].value, rows[0]["name"].data_type) == ('\'=HYPERLINK("http://example.org","x")', "s")


def test_an_accept_header_asks_for_an_export_too(clients):
    response = clients["officer"].get("/api/v1/regions/", HTTP_ACCEPT="text/csv")
    _header, rows = read_csv(response)
    assert {"370405", "371328"} <= {row["adcode"] for row in rows}
    assert clients["officer"].get("/api/v1/regions/", {"format": "api"})["Content-Type"].startswith("text/html")


def test_an_empty_list_still_has_its_columns(clients):
    response = clients["officer"].get("/api/v1/projects/", {"search": "nothing of the sort", "format": "csv"})
    header, rows = read_csv(response)
    assert rows == []
    assert header[:3] == ["id", "code", "name"]
    assert header.index("planned_investment_wan") == header.index("planned_investment") + 1


# --- Who may export, and what is refused --------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_anonymous_and_roleless_callers_are_refused_in_json(world, api_client, norole, file_format):
    response = api_client.get("/api/v1/projects/", {"format": file_format})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert "Content-Disposition" not in response

    response = client_for(norole).get("/api/v1/projects/", {"format": file_format})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_bad_filter_is_a_json_400(clients):
    response = clients["officer"].get("/api/v1/projects/", {"county": "37", "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "county" in response.json()


def test_a_list_longer_than_the_limit_is_refused(clients, settings):
    settings.EXPORT_MAX_ROWS = 3
    settings.EXPORT_JOB_MAX_ROWS = 3  # nor may an export job hold it (tests/common/test_export_jobs.py)
    client = clients["officer"]
    response = client.get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "format" in response.json()
    narrowed = client.get("/api/v1/projects/", {"format": "csv", "county": "370405", "stage": "pipeline"})
    assert narrowed.status_code == 200


def test_a_workbook_has_a_limit_of_its_own(clients, settings):
    settings.EXPORT_MAX_XLSX_ROWS = 3
    client = clients["officer"]
    # Beyond it the workbook is not written in the request: an export job is queued (tests/common/test_export_jobs.py).
    response = client.get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "queued"
    assert client.get("/api/v1/projects/", {"format": "csv"}).status_code == 200


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exports_are_offered_on_lists_only(clients, file_format):
    client = clients["officer"]
    region = client.get("/api/v1/regions/370405/", {"format": file_format})
    assert region.status_code == 406
    assert region["Content-Type"] == "application/json"
    summary = client.get("/api/v1/gaps/summary/", {"program": "sd-test", "period": "2025", "format": file_format})
    assert summary.status_code == 406
    assert client.get("/api/v1/regions/370405/").status_code == 200


def test_the_schema_offers_the_exports_on_list_operations(clients):
    schema = clients["officer"].get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/v1/projects/"]["get"]
    assert set(listing["responses"]["200"]["content"]) == {"application/json", "text/csv", XLSX_TYPE}
    assert listing["responses"]["200"]["content"][XLSX_TYPE]["schema"] == {"type": "string", "format": "binary"}
    assert {"csv", "xlsx"} <= set(next(p for p in listing["parameters"] if p["name"] == "format")["schema"]["enum"])
    assert set(listing["responses"]["400"]["content"]) == {"application/json"}
    detail = schema["paths"]["/api/v1/projects/{id}/"]["get"]
    assert set(detail["responses"]["200"]["content"]) == {"application/json"}
    assert not any(p["name"] == "format" for p in detail.get("parameters", []))
    create = schema["paths"]["/api/v1/progress-reports/"]["post"]
    assert set(create["responses"]["201"]["content"]) == {"application/json"}


# --- Streaming: the rows are read in chunks as the file is written ------------------------------------------------


def whole_list_export(client, monkeypatch, url: str, query: dict):
    """The export as it was written before it streamed: the whole list serialized, then rendered at once."""
    with monkeypatch.context() as patched:
        patched.setattr(pagination, "_streams", lambda queryset, view: False)
        response = client.get(url, query)
    assert response.status_code == 200
    assert not response.streaming
    return response


@pytest.mark.parametrize("role", ["officer", "liaison_a"])
@pytest.mark.parametrize("endpoint", [name for name in LISTS if name not in ("gaps",)])
def test_a_streamed_csv_has_the_bytes_of_the_whole_list_export(clients, monkeypatch, settings, role, endpoint):
    settings.EXPORT_CHUNK_SIZE = 2
    query, _money = LISTS[endpoint]
    url = f"/api/v1/{endpoint}/"
    response = clients[role].get(url, {**query, "format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    whole = whole_list_export(clients[role], monkeypatch, url, {**query, "format": "csv"})
    streamed = body(response)
    assert streamed == whole.content
    assert len(streamed.splitlines()) > 1
    for header in ("Content-Type", "Content-Disposition", "Vary"):
        assert response[header] == whole[header]


def test_a_streamed_workbook_holds_the_cells_of_the_whole_list_export(clients, monkeypatch, settings):
    settings.EXPORT_CHUNK_SIZE = 2
    client = clients["officer"]
    response = client.get("/api/v1/projects/", {"format": "xlsx"})
    assert response.status_code == 200
    assert response.streaming  # sent from the temporary file the write-only workbook was saved into

    def cells(content: bytes) -> list[list]:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        return [[(cell.value, cell.data_type, cell.number_format) for cell in row] for row in sheet.iter_rows()]

    whole = whole_list_export(client, monkeypatch, "/api/v1/projects/", {"format": "xlsx"})
    assert cells(body(response)) == cells(whole.content)
    assert response["Content-Type"] == whole["Content-Type"]


def test_the_csv_streams_as_the_queryset_is_read_in_chunks(clients, settings, monkeypatch):
    settings.EXPORT_CHUNK_SIZE = 2
    monkeypatch.setattr(renderers, "COLUMNS_FROM_ROWS", 1)
    monkeypatch.setattr(exports, "csv_blocks", functools.partial(exports.csv_blocks, block_size=1))
    read, chunk_sizes = [], []
    iterator = QuerySet.iterator

    def counting_iterator(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        for obj in iterator(self, chunk_size=chunk_size):
            read.append(obj)
            yield obj

    monkeypatch.setattr(QuerySet, "iterator", counting_iterator)
    response = clients["officer"].get("/api/v1/projects/", {"format": "csv"})
    assert response.streaming
    blocks = iter(response.streaming_content)
    assert next(blocks).startswith("\ufeffid,".encode())
    assert chunk_sizes == [2]
    assert len(read) == 1  # the header went out after the first row only
    rest = list(blocks)
    total = Project.objects.count()
    assert len(read) == total > 2
    assert len(rest) == total  # one line a block here


def test_rows_whose_columns_vary_are_all_read_before_the_header(monkeypatch):
    monkeypatch.setattr(renderers, "COLUMNS_FROM_ROWS", 1)

    class Row(serializers.Serializer):
        code = serializers.CharField()
        extra = serializers.SerializerMethodField()

        def get_extra(self, obj):
            return obj["extra"]

    objects = [{"code": "a", "extra": {"x": 1}}, {"code": "b", "extra": {"y": 2}}, {"code": "c", "extra": None}]
    assert renderers.columns_vary(Row())
    streamed = renderers.rows_table(Row(), iter(objects))
    whole = renderers.table_of(Row(objects, many=True).data)
    assert [column.name for column in streamed.columns] == [column.name for column in whole.columns]
    assert {"extra.x", "extra.y"} <= {column.name for column in streamed.columns}
    assert exports.write_csv(streamed) == exports.write_csv(whole)


def test_a_streamed_csv_has_a_limit_of_its_own(clients, settings):
    settings.EXPORT_MAX_ROWS = 3
    settings.EXPORT_MAX_STREAMED_ROWS = 4
    client = clients["officer"]
    assert client.get("/api/v1/projects/", {"format": "csv"}).status_code == 400
    assert client.get("/api/v1/projects/", {"format": "csv", "stage": "signed", "county": "370405"}).status_code == 200
