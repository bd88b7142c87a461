"""The annual evaluation report (县域经济发展评价报告): asking for one, the task that generates it, its figures, HTML
and PDF, and who may ask, read and download.

Most checks run on the hand-checked 2025 case of ``tests/stats/headline.py`` (the program's ten weak counties among
Shandong's 136 county-level units, imported from files and run through the real gap engine), with projects,
guidance-fund payments, a special bond and targets added for two counties. That world is built once for the module
inside a transaction rolled back at its end, and one report of it is generated there; every test runs in a savepoint
inside it. The figures the report states must be those of ``/api/v1/gaps/`` and ``/api/v1/gaps/summary/``.

The rendered PDF is turned into PNG pages with ``pdftoppm`` and kept under ``artifacts/evaluation-report/``
(gitignored) for a person to look at; without poppler the test skips locally and fails in CI.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from common.pdf import PART_BREAK
from funds.factories import BondPlanFactory, FundFactory
from funds.services import allocation_create, bond_issue_create, bond_quota_assign, disbursement_create
from pairing.factories import (
    CityFactory,
    CountyFactory,
    PairingFactory,
    ProgramCountyFactory,
    ProgramFactory,
    ProvinceFactory,
)
from pairing.models import Pairing, Program, Region
from projects.factories import ProgressReportFactory, ProjectFactory
from projects.models import Health, Stage
from projects.models import ReportStatus as ProgressStatus
from reporting.charts import Bar, RankPoint, gap_bar_chart, rank_trend_chart
from reporting.evaluation import (
    evaluation_figures,
    evaluation_html,
    evaluation_report_generate,
    evaluation_report_request,
    pct_text,
    pp_text,
)
from reporting.evaluation import lifecycle as evaluation  # the steps are looked up there
from reporting.models import Direction, EvaluationReport, Metric, ReportStatus, Target
from reporting.tasks import generate_evaluation_report
from tests.conftest import _service_missing, client_for
from tests.stats import headline as case

pytestmark = pytest.mark.django_db

URL = "/api/v1/evaluation-reports/"
GAPS = "/api/v1/gaps/"
YEAR = 2025
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "evaluation-report"
TAIERZHUANG, MENGYIN, ZHANHUA, GAOQING = case.TAIERZHUANG, case.MENGYIN, case.ZHANHUA, case.GAOQING
YI = Decimal(100_000_000)
WAN = Decimal(10_000)


# --- The world -------------------------------------------------------------------------------------------------------


def _approved(project, period: str, cumulative: Decimal) -> None:
    now = timezone.now()
    ProgressReportFactory(
        project=project,
        period=period,
        stage=project.stage,
        cumulative_investment=cumulative,
        month_investment=Decimal(0),
        status=ProgressStatus.APPROVED,
        submitted_at=now,
        first_submitted_at=now,
        reviewed_at=now,
    )


def _cooperation(program: Program) -> None:
    """台儿庄: three live projects (signed, under construction, in production) and a terminated one, approved reports,
    guidance-fund payments in 2025 (and one in 2026), four targets; 蒙阴: a pipeline project; 沾化: a special bond;
    高青: a rank target."""
    taierzhuang = Pairing.objects.get(program=program, weak_county=TAIERZHUANG)
    mengyin = Pairing.objects.get(program=program, weak_county=MENGYIN)
    started = ProjectFactory(
        pairing=taierzhuang,
        code="TEZ-1",
        stage=Stage.STARTED,
        planned_investment=3 * YI,
        signed_date=dt.date(2025, 1, 15),
        actual_start_date=dt.date(2025, 5, 10),
    )
    ProjectFactory(
        pairing=taierzhuang,
        code="TEZ-2",
        stage=Stage.SIGNED,
        planned_investment=Decimal("1.5") * YI,
        signed_date=dt.date(2025, 6, 1),
    )
    producing = ProjectFactory(
        pairing=taierzhuang,
        code="TEZ-3",
        stage=Stage.PRODUCING,
        planned_investment=YI,
        signed_date=dt.date(2024, 10, 10),
        actual_start_date=dt.date(2024, 12, 1),
        actual_production_date=dt.date(2025, 9, 1),
    )
    ProjectFactory(
        pairing=taierzhuang,
        code="TEZ-X",
        stage=Stage.SIGNED,
        health=Health.TERMINATED,
        planned_investment=5 * YI,
        signed_date=dt.date(2025, 2, 1),
    )
    ProjectFactory(pairing=mengyin, code="MY-1", stage=Stage.PIPELINE, planned_investment=5000 * WAN, signed_date=None)
    _approved(started, "2025-11", Decimal("1.2") * YI)
    _approved(started, "2026-01", 2 * YI)  # after the year: not counted
    _approved(producing, "2025-09", 8000 * WAN)

    fund = FundFactory(program=program, year=YEAR, total=2 * YI)
    weak = Region.objects.get(pk=TAIERZHUANG)
    allocation = allocation_create(fund=fund, county=weak, amount=5000 * WAN, allocated_on=dt.date(2025, 3, 1))
    for amount, day in ((2000, dt.date(2025, 4, 1)), (1000, dt.date(2025, 8, 1)), (500, dt.date(2026, 2, 1))):
        disbursement_create(allocation=allocation, amount=amount * WAN, paid_on=day)
    plan = BondPlanFactory(program=program, year=YEAR, total=20 * YI)
    quota = bond_quota_assign(plan=plan, county=Region.objects.get(pk=ZHANHUA), quota=3 * YI)
    bond_issue_create(quota=quota, amount=YI, issue_date=dt.date(2025, 6, 30), term_years=10, rate_pct=Decimal("2.35"))

    def target(county: str, metric: str, value: str, **extra) -> None:
        Target.objects.create(
            program=program, county_id=county, year=YEAR, metric=metric, target=Decimal(value), **extra
        )

    target(TAIERZHUANG, Metric.PROJECTS_OVER, "8", threshold=YI, title="≥8个亿元以上帮扶项目")
    target(TAIERZHUANG, Metric.FUNDS_RECEIVED, "20000000")
    target(TAIERZHUANG, Metric.GAP_PP, "0.5", indicator="gdp")
    target(TAIERZHUANG, Metric.RANK, "125", indicator="gdp", direction=Direction.AT_MOST, baseline=Decimal(127))
    target(GAOQING, Metric.RANK, "126", indicator="gdp", direction=Direction.AT_MOST)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The headline case with cooperation data, and one report of it generated as the worker would."""
    path = tmp_path_factory.mktemp("headline")
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_regions", **quiet)
        call_command("import_pairings", str(case.write_pairings(path / "pairings.csv")), **quiet)
        counties = list(Region.objects.counties().filter(adcode__startswith="37").values_list("adcode", flat=True))
        call_command("import_indicators", str(case.write_indicators(path / "stats.csv", counties)), **quiet)
        call_command("recompute_gaps", **quiet)
        program = Program.objects.get(code=case.PROGRAM)
        _cooperation(program)
        requester = get_user_model().objects.create_superuser("report-officer", "ro@example.org", "pw")
        report = evaluation_report_request(program=program, year=YEAR, requested_by=requester)
        assert evaluation_report_generate(report_id=report.pk)
        yield SimpleNamespace(program=program, report_id=report.pk)
        transaction.set_rollback(True)


@pytest.fixture
def report(world) -> EvaluationReport:
    return EvaluationReport.objects.select_related("program").get(pk=world.report_id)


class Cells(HTMLParser):
    """The text of the document's figure cells (``data-county``/``data-group`` with ``data-field``) and of its
    narrative paragraphs."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple, list[str]] = {}
        self.narrative: dict[str, str] = {}
        self._open: list[tuple[str, object]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        key = None
        if "data-field" in attrs and "data-county" in attrs:
            key = ("county", attrs["data-county"], attrs["data-indicator"], attrs["data-field"])
        elif "data-field" in attrs and "data-group" in attrs:
            key = ("group", attrs["data-group"], attrs["data-field"])
        elif tag == "p" and "narrative" in (attrs.get("class") or ""):
            key = ("narrative", attrs.get("data-county") or "program")
        elif "data-list" in attrs:
            key = ("list", attrs["data-list"])
        self._open.append((tag, key))
        if key is not None:
            self._text = []

    def handle_endtag(self, tag):
        while self._open:
            open_tag, key = self._open.pop()
            if key is not None:
                text = "".join(self._text).strip()
                if key[0] == "narrative":
                    self.narrative[key[1]] = text
                else:
                    self.cells.setdefault(key, []).append(text)
            if open_tag == tag:
                break

    def handle_data(self, data):
        if any(key is not None for _tag, key in self._open):
            self._text.append(data)


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


@pytest.fixture
def small(program, pairing_a, pairing_b) -> Program:
    """conftest's sd-test program: two sample pairings (台儿庄区 and 蒙阴县, weak), quick to render."""
    return program


@pytest.fixture
def bare() -> Program:
    """A program of another province with one weak county and no statistics, projects, money or targets."""
    province = ProvinceFactory(adcode="410000", name="河南省")
    city = CityFactory(adcode="410100", name="郑州市", parent=province)
    program = ProgramFactory(code="bare", name="空白项目", province=province)
    PairingFactory(
        program=program,
        strong_county=CountyFactory(adcode="410105", name="金水区", parent=city),
        weak_county=CountyFactory(adcode="410102", name="中原区", parent=city),
    )
    return program


# --- Generating -----------------------------------------------------------------------------------------------------


def test_the_report_is_done_with_html_pdf_and_figures(report):
    assert (report.status, report.progress, report.error) == (ReportStatus.DONE, 100, "")
    assert report.started_at and report.finished_at and report.finished_at >= report.started_at
    assert report.html.name.endswith(f"evaluation-reports/{case.PROGRAM}/{YEAR}/evaluation-report-{report.pk}.html")
    assert read(report.pdf).startswith(b"%PDF-")
    html = read(report.html).decode()
    assert html.startswith("<!DOCTYPE html>") and "县域经济发展评价报告" in html
    assert html.count("<svg") == 2 + 2 * 10  # the group's and the GDP chart, two per county
    assert report.figures["year"] == YEAR and len(report.figures["counties"]) == 10


def test_officer_asks_through_the_api_and_the_task_runs_on_commit(small, officer, django_capture_on_commit_callbacks):
    client = client_for(officer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(URL, {"program": small.code, "year": YEAR}, format="json")
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "queued" and response.json()["html_url"] is None
        # Nothing runs before the commit: the worker would look for a row that is not there yet.
        assert EvaluationReport.objects.get(pk=response.json()["id"]).status == ReportStatus.QUEUED
    assert len(callbacks) == 1
    done = client.get(f"{URL}{response.json()['id']}/").json()
    assert (done["status"], done["progress"], done["requested_by"]) == ("done", 100, "officer")
    assert done["pdf_url"].endswith(f"{URL}{done['id']}/pdf/")
    pdf = client.get(done["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    html = client.get(done["html_url"])
    assert html["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in html["Content-Security-Policy"]
    assert "县域经济发展评价报告" in b"".join(html.streaming_content).decode()


def test_progress_is_written_as_the_steps_go(small, monkeypatch):
    """A page polling the row sees each step: the UPDATEs are not held back to the end."""
    seen = []

    def look(step):
        row = EvaluationReport.objects.filter(program=small, status=ReportStatus.RUNNING).values("progress", "step")
        seen.append((step, *row.get().values()))

    real_charts, real_html = evaluation.evaluation_charts, evaluation.evaluation_html
    real_pdf = evaluation.evaluation_pdf
    monkeypatch.setattr(evaluation, "evaluation_charts", lambda figures: (look("charts"), real_charts(figures))[1])
    monkeypatch.setattr(evaluation, "evaluation_html", lambda f, charts: (look("html"), real_html(f, charts=charts))[1])
    monkeypatch.setattr(evaluation, "evaluation_pdf", lambda html, **kw: (look("pdf"), real_pdf(html, **kw))[1])
    report = evaluation_report_request(program=small, year=YEAR)
    with translation.override("en"):
        assert evaluation_report_generate(report_id=report.pk)
    # The report is written in the site's language, whatever the caller's.
    with translation.override(settings.LANGUAGE_CODE):
        expected = [
            ("charts", 10, translation.gettext("Drawing the charts")),
            ("html", 40, translation.gettext("Writing the HTML document")),
            ("pdf", 70, translation.gettext("Rendering the PDF")),
        ]
    assert seen == expected
    report.refresh_from_db()
    assert (report.progress, report.status) == (100, ReportStatus.DONE)


def test_a_second_run_of_the_task_does_nothing(report):
    before = EvaluationReport.objects.filter(pk=report.pk).values().get()
    assert generate_evaluation_report.delay(report.pk).get() is False
    assert EvaluationReport.objects.filter(pk=report.pk).values().get() == before


def test_the_pdf_renders(report, tmp_path):
    """pdftoppm draws every page; the PNGs are kept for a person to look at, and the fonts are the CJK ones. The
    pages are drawn in a directory of this run and then moved in, file by file, so two runs at once do not read
    each other's half-written files."""
    if shutil.which("pdftoppm") is None:
        _service_missing("needs poppler's pdftoppm (apt-get install poppler-utils)")
    pdf = tmp_path / "evaluation-report.pdf"
    pdf.write_bytes(read(report.pdf))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True, timeout=300)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    assert all(page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 5000 for page in pages)
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "CJK" in fonts, fonts

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kept = {page.name for page in pages} | {pdf.name}
    for old in ARTIFACTS.iterdir():
        if old.name not in kept:
            old.unlink(missing_ok=True)
    for made in [*pages, pdf]:
        partial = ARTIFACTS / f".{made.name}.{os.getpid()}"
        shutil.copyfile(made, partial)
        os.replace(partial, ARTIFACTS / made.name)


def test_a_report_of_many_counties_is_rendered_in_parts_with_the_same_pages(report, settings):
    """Above EVALUATION_PDF_PART_COUNTIES counties the PDF is rendered in parts by worker processes (common/pdf.py):
    every page is drawn as in the report rendered whole, numbered across the parts, and the counties' bookmarks
    stay under their chapter."""
    if shutil.which("pdftoppm") is None:
        _service_missing("needs poppler's pdftoppm (apt-get install poppler-utils)")
    import pikepdf

    from reporting.evaluation import document
    from tests.common.test_pdf import outline

    html = read(report.html).decode()
    assert html.count(PART_BREAK) == len(report.figures["counties"]) - 1  # before each county but the first
    settings.EVALUATION_PDF_PART_COUNTIES = len(report.figures["counties"])  # ten counties: one part, rendered whole
    whole = document.evaluation_pdf(html)
    settings.EVALUATION_PDF_PART_COUNTIES, settings.EVALUATION_PDF_PROCESSES = 4, 2  # three parts
    joined = document.evaluation_pdf(html)
    pages = len(pikepdf.open(io.BytesIO(whole)).pages)
    assert len(pikepdf.open(io.BytesIO(joined)).pages) == pages

    def drawn(pdf: bytes) -> bytes:  # every page, one after the other, in one image stream
        args = ["pdftoppm", "-r", "30", "-gray", "-"]
        return subprocess.run(args, input=pdf, capture_output=True, check=True, timeout=120).stdout

    assert drawn(joined) == drawn(whole)
    marks = outline(joined)
    assert marks == outline(whole)
    counties = [title for depth, title, _page in marks if depth == 2 and re.match(r"\d+\. ", title)]
    assert len(counties) == len(report.figures["counties"])  # under 三、各县评价, whichever part they are in


# --- The figures agree with the gaps API ------------------------------------------------------------------------------


def test_county_figures_match_the_gaps_api(report, officer_client):
    figures = report.figures
    cells = parse(read(report.html).decode())
    for indicator in figures["indicators"]:
        response = officer_client.get(
            GAPS, {"program": case.PROGRAM, "period": str(YEAR), "indicator": indicator, "role": "weak"}
        )
        assert response.status_code == 200
        api = {row["region"]: row for row in response.json()}
        assert set(api) == {c["adcode"] for c in figures["counties"]}
        for county in figures["counties"]:
            row, mine = api[county["adcode"]], county["indicators"].get(indicator)
            if row["growth_pct"] is None and row["rank"] is None:
                assert mine is None or (mine["growth_pct"] is None and mine["rank"] is None)
                continue
            for field in ("growth_pct", "province_growth_pct", "gap_pp"):
                got, want = mine[field], row[field]
                assert (got is None) == (want is None), (county["name"], indicator, field)
                if want is not None:
                    assert Decimal(got) == Decimal(want), (county["name"], indicator, field)
            for field in ("rank", "previous_rank", "rank_change", "in_bottom_ten", "growth_derived"):
                assert mine[field] == row[field], (county["name"], indicator, field)
            # The document shows them rounded to one decimal place, wherever it shows them.
            shown = cells.cells[("county", county["adcode"], indicator, "gap")]
            assert set(shown) == {pp_text(row["gap_pp"])}, (county["name"], indicator, shown)
            assert set(cells.cells[("county", county["adcode"], indicator, "growth")]) == {pct_text(row["growth_pct"])}
            rank = cells.cells[("county", county["adcode"], indicator, "rank")]
            assert set(rank) == {str(row["rank"]) if row["rank"] is not None else "—"}, (county["name"], indicator)


def test_program_figures_match_the_gaps_summary(report, officer_client):
    figures = report.figures
    body = officer_client.get(f"{GAPS}summary/", {"program": case.PROGRAM, "period": str(YEAR)}).json()
    assert set(figures["group"]) == set(body["indicators"])
    cells = parse(read(report.html).decode())
    for code, want in body["indicators"].items():
        mine = figures["group"][code]
        for field in ("group_growth_pct", "province_growth_pct", "gap_pp"):
            assert (mine[field] is None and want[field] is None) or Decimal(mine[field]) == Decimal(want[field])
        assert (mine["members_covered"], mine["members_total"]) == (want["members_covered"], want["members_total"])
        assert cells.cells[("group", code, "gap")] == [pp_text(want["gap_pp"])]
        assert cells.cells[("group", code, "growth")] == [pct_text(want["group_growth_pct"])]
    assert figures["moved_up"] == body["moved_up"]
    assert figures["exited_bottom_ten"] == body["exited_bottom_ten"]


def test_the_report_states_the_headline(report):
    """The sources' 2025 headline, from data: GDP +5.4%; FAI, budget revenue and tax 11.6, 3.8 and 5.8 pp faster
    than the province; four moved up; 高青 and 蒙阴 left the bottom ten."""
    figures = report.figures
    group = figures["group"]
    assert pct_text(group["gdp"]["group_growth_pct"]) == "5.4%"
    assert [pp_text(group[code]["gap_pp"]) for code in ("fai", "gpbr", "tax")] == ["+11.6", "+3.8", "+5.8"]
    assert len(figures["moved_up"]) == 4
    names = {c["adcode"]: c["name"] for c in figures["counties"]}
    assert sorted(names[code] for code in figures["exited_bottom_ten"]) == sorted(["高青县", "蒙阴县"])

    cells = parse(read(report.html).decode())
    paragraph = cells.narrative["program"]
    for number in ("5.4%", "5.0%", "11.6", "3.8", "5.8"):
        assert number in paragraph, (number, paragraph)
    for line in figures["narrative"]["program"]:
        if "高青县" in line and "蒙阴县" in line and len(re.findall(r"县|区", line)) == 2:
            break
    else:
        pytest.fail(f"no sentence names the two counties that left the bottom ten: {figures['narrative']['program']}")
    assert any(all(names[code] in line for code in figures["moved_up"]) for line in figures["narrative"]["program"])
    assert "高青县、蒙阴县" in "".join(cells.cells[("list", "exited_bottom_ten")])
    assert group["tax"]["members_covered"] == 9  # S4 reports a rate without levels: left out, and said so


def test_projects_money_and_targets_of_a_county(report):
    counties = {c["adcode"]: c for c in report.figures["counties"]}
    taierzhuang = counties[TAIERZHUANG]
    projects = taierzhuang["projects"]
    assert (projects["count"], projects["terminated"]) == (3, 1)
    assert {stage: n for stage, n in projects["stages"].items() if n} == {"signed": 1, "started": 1, "producing": 1}
    assert (projects["planned_investment"], projects["completed_investment"]) == ("550000000.00", "200000000.00")
    assert (projects["signed_in_year"], projects["started_in_year"], projects["producing_in_year"]) == (2, 1, 1)
    assert taierzhuang["money"]["guidance_received"] == "30000000.00"  # the 2026 tranche is not 2025's
    assert taierzhuang["money"]["disbursements"] == 2
    assert counties[ZHANHUA]["money"]["bonds_issued"] == "100000000.00"
    assert counties[ZHANHUA]["money"]["bond_quota"] == "300000000.00"
    assert counties[MENGYIN]["projects"]["stages"]["pipeline"] == 1
    met = {t["metric"]: t["met"] for t in taierzhuang["targets"]}
    assert met == {"projects_over": False, "funds_received": True, "gap_pp": True, "rank": False}
    assert Decimal(next(t["actual"] for t in taierzhuang["targets"] if t["metric"] == "gap_pp")) == Decimal(
        taierzhuang["indicators"]["gdp"]["gap_pp"]
    )
    assert report.figures["targets"] == {"total": 5, "met": 3, "not_met": 2, "without_actual": 0}
    assert report.figures["projects"]["planned_investment"] == "600000000.00"
    assert [p["rank"] for p in counties[GAOQING]["gdp_rank_history"]] == [131, 125]
    html = read(report.html).decode()
    assert "5.50 亿元" in html and "3,000.00 万元" in html and "≥8个亿元以上帮扶项目" in html


def test_the_figures_take_a_fixed_number_of_queries(world):
    with CaptureQueriesContext(connection) as captured:
        evaluation_figures(program=world.program, year=YEAR)
    assert len(captured) <= 20, [q["sql"][:120] for q in captured.captured_queries]


def test_a_county_report_states_that_countys_figures_alone(world):
    """A county's report (what its liaisons read) has its section of the program's report and nothing of the
    others: no group figures, no other county in the rank lists, no fund-wide totals."""
    whole = evaluation_figures(program=world.program, year=YEAR)
    own = evaluation_figures(program=world.program, year=YEAR, county=Region.objects.get(pk=TAIERZHUANG))
    assert own["scope"] == {"county": TAIERZHUANG, "name": "台儿庄区"} and whole["scope"] is None
    assert own["counties"] == [c for c in whole["counties"] if c["adcode"] == TAIERZHUANG]
    assert own["narrative"]["counties"] == {TAIERZHUANG: whole["narrative"]["counties"][TAIERZHUANG]}
    assert own["narrative"]["program"] == [] and own["group"] == {} and own["money"]["guidance_fund"] is None
    listed = {*own["moved_up"], *own["moved_down"], *own["exited_bottom_ten"], *own["in_bottom_ten"]}
    assert listed <= {TAIERZHUANG} and own["weak_total"] == 1
    html = evaluation_html(own)
    assert "台儿庄区县域经济发展评价报告" in html
    assert all(c["name"] not in html for c in whole["counties"] if c["adcode"] != TAIERZHUANG)


# --- Asking for a report ----------------------------------------------------------------------------------------------


def test_asking_again_returns_the_pending_report(small, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = evaluation_report_request(program=small, year=YEAR, requested_by=officer)
        again = evaluation_report_request(program=small, year=YEAR, requested_by=officer)
    assert again.pk == first.pk and first.status == ReportStatus.QUEUED
    assert len(callbacks) == 1  # one task for one report
    assert EvaluationReport.objects.filter(program=small).count() == 1


def test_the_database_allows_one_pending_report_per_program_and_year(small):
    EvaluationReport.objects.create(program=small, year=YEAR)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationReport.objects.create(program=small, year=YEAR, status=ReportStatus.RUNNING)
    EvaluationReport.objects.create(program=small, year=YEAR, status=ReportStatus.FAILED)
    EvaluationReport.objects.create(program=small, year=YEAR - 1)


@pytest.mark.parametrize("scope", ["program", "county"])
def test_a_request_that_loses_the_race_gets_the_winners_report(small, pairing_a, monkeypatch, scope):
    """Both saw nothing pending; the partial unique index of the scope refuses the second insert, which returns the
    first."""
    county = pairing_a.weak_county if scope == "county" else None
    EvaluationReport.objects.create(program=small, year=YEAR, county=None if county else pairing_a.weak_county)
    winner = EvaluationReport.objects.create(program=small, year=YEAR, county=county)
    real = evaluation._pending
    calls = []

    def nothing_the_first_time(program, year, county=None):
        calls.append(year)
        return None if len(calls) == 1 else real(program, year, county)

    monkeypatch.setattr(evaluation, "_pending", nothing_the_first_time)
    assert evaluation_report_request(program=small, year=YEAR, county=county).pk == winner.pk
    assert EvaluationReport.objects.filter(program=small).count() == 2  # the other scope's pending one, and winner


def test_a_stale_report_is_given_up_for_a_new_one(small):
    stale = EvaluationReport.objects.create(
        program=small, year=YEAR, status=ReportStatus.RUNNING, started_at=timezone.now() - dt.timedelta(hours=2)
    )
    fresh = evaluation_report_request(program=small, year=YEAR)
    stale.refresh_from_db()
    assert fresh.pk != stale.pk and fresh.status == ReportStatus.QUEUED
    assert stale.status == ReportStatus.FAILED and stale.error


def test_a_year_to_come_is_refused(small, officer_client):
    next_year = timezone.localdate().year + 1
    with pytest.raises(ValidationError) as refused:
        evaluation_report_request(program=small, year=next_year)
    assert "year" in refused.value.message_dict
    response = officer_client.post(URL, {"program": "sd-test", "year": next_year}, format="json")
    assert response.status_code == 400 and "year" in response.json()
    assert officer_client.post(URL, {"program": "no-such", "year": YEAR}, format="json").status_code == 400


# --- Failures and retries --------------------------------------------------------------------------------------------


def _stored(program: Program, year: int) -> set[str]:
    folder = f"evaluation-reports/{program.code}/{year}"
    try:
        return set(default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return set()


def test_a_failure_is_recorded_with_its_error(small, monkeypatch, django_capture_on_commit_callbacks):
    def broken(html, **kwargs):
        raise RuntimeError("no CJK font on this worker")

    monkeypatch.setattr(evaluation, "evaluation_pdf", broken)
    stored = _stored(small, YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        report = evaluation_report_request(program=small, year=YEAR)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "RuntimeError: no CJK font on this worker"
    assert report.progress == 70 and report.finished_at is not None
    assert not report.html and not report.pdf
    assert _stored(small, YEAR) == stored  # the HTML written before the PDF failed is removed
    assert generate_evaluation_report.delay(report.pk).get() is False  # failed stays failed


def test_a_pdf_that_takes_too_long_fails_the_report(small, settings, django_capture_on_commit_callbacks):
    """Rendered in parts (two counties: parts of one), past EVALUATION_PDF_TIMEOUT the PDF's processes are stopped
    and the report fails saying why, instead of holding the worker."""
    settings.EVALUATION_PDF_PART_COUNTIES, settings.EVALUATION_PDF_TIMEOUT = 1, 0.05
    with django_capture_on_commit_callbacks(execute=True):
        report = evaluation_report_request(program=small, year=YEAR)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "RuntimeError: the PDF took longer than 0.05 s: its processes were stopped"
    assert not report.html and not report.pdf


def test_a_broker_that_is_down_fails_the_report_instead_of_leaving_it_queued(
    small, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerUnavailable

    def down(report_id):
        raise BrokerUnavailable("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(generate_evaluation_report, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        report = evaluation_report_request(program=small, year=YEAR)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "Connection refused" in report.error
    assert evaluation_report_request(program=small, year=YEAR).pk != report.pk  # asking again starts afresh


@pytest.fixture
def retries_in_place(monkeypatch):
    """Eager tasks raise ``Retry`` to the caller while exceptions propagate (the test settings); without it, an eager
    task runs its retries in place, as a worker would run them later."""
    from config.celery_app import app

    monkeypatch.setattr(app.conf, "task_eager_propagates", False)


def test_a_transient_database_error_is_retried(small, monkeypatch, retries_in_place):
    real = evaluation.evaluation_figures
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(evaluation, "evaluation_figures", flaky)
    report = evaluation_report_request(program=small, year=YEAR)
    result = generate_evaluation_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert result.get() is True and len(calls) == 2
    assert (report.status, report.error) == (ReportStatus.DONE, "")


def test_the_report_fails_when_the_retries_are_spent(small, monkeypatch, retries_in_place):
    calls = []

    def down(**kwargs):
        calls.append(1)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(evaluation, "evaluation_figures", down)
    report = evaluation_report_request(program=small, year=YEAR)
    result = generate_evaluation_report.apply(args=[report.pk])
    assert isinstance(result.result, OperationalError) and len(calls) == 4  # the first run and three retries
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "could not connect" in report.error


# --- Content without statistics, sample data --------------------------------------------------------------------------


def test_missing_figures_are_said_to_be_missing(bare):
    with translation.override("en"):
        figures = evaluation_figures(program=bare, year=YEAR)
    assert figures["indicators"] == [] and figures["group"] == {}
    program_text = " ".join(figures["narrative"]["program"])
    assert "No growth figures of the weak counties are recorded for 2025." in program_text
    assert "No GDP ranking of the weak counties is recorded for 2025." in program_text
    assert "No guidance fund is recorded for 2025." in program_text
    county = " ".join(figures["narrative"]["counties"]["410102"])
    assert "Assisted by 金水区." in county and "No GDP growth is recorded for it for 2025." in county
    assert "No projects are recorded for its pairing." in county and "No targets are set for it for 2025." in county
    assert "No guidance-fund payment to it is recorded for 2025." in county
    assert figures["counties"][0]["city"] == "郑州市"
    assert all(c["indicators"] == {} for c in figures["counties"])


def test_sample_pairings_are_marked(small):
    figures = evaluation_figures(program=small, year=YEAR)
    assert figures["sample"]["pairings"] == 2
    html = evaluation_html(figures)
    assert 'class="banner"' in html and "示例数据" in html
    assert html.count('<span class="tag">示例结对</span>') == 2


def test_names_are_escaped_in_the_document(program):
    county = CountyFactory(adcode="370499", name='<script>alert("x")</script>县')
    PairingFactory(program=program, weak_county=county, strong_county=CountyFactory(adcode="370498", name="强&县"))
    html = evaluation_html(evaluation_figures(program=program, year=YEAR))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;县" in html and "强&amp;县" in html


# --- Who may ask, read and download -----------------------------------------------------------------------------------


def _done(program: Program, year: int = YEAR, county: Region | None = None) -> EvaluationReport:
    return EvaluationReport.objects.create(
        program=program,
        county=county,
        year=year,
        status=ReportStatus.DONE,
        progress=100,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        html=ContentFile(b"<!DOCTYPE html><title>report</title>", name="report.html"),
        pdf=ContentFile(b"%PDF-1.7\n%%EOF\n", name="report.pdf"),
    )


@pytest.fixture
def reports(small, pairing_a):
    """A finished county report of 台儿庄区 (liaison_a's county) in sd-test, a finished report of the whole of
    sd-test, a queued one, and a finished one of a program neither liaison's county belongs to."""
    elsewhere = ProgramFactory(code="elsewhere")
    ProgramCountyFactory(program=elsewhere, county=CountyFactory(adcode="370481", name="滕州市"))
    return SimpleNamespace(
        mine=_done(small, county=pairing_a.weak_county),
        province=_done(small),
        queued=EvaluationReport.objects.create(program=small, year=YEAR - 1, county=pairing_a.weak_county),
        other=_done(elsewhere),
    )


PERSONAS = ("officer", "finance", "leader", "liaison_a", "liaison_b", "norole", "anonymous")


@pytest.fixture
def clients(request):
    made = {name: client_for(request.getfixturevalue(name)) for name in PERSONAS if name != "anonymous"}
    made["anonymous"] = request.getfixturevalue("api_client")
    return made


def codes(clients, method: str, url: str, **kwargs) -> dict[str, int]:
    got = {}
    for name, client in clients.items():
        with transaction.atomic():
            got[name] = getattr(client, method)(url, **kwargs).status_code
            transaction.set_rollback(True)
    return got


def expect(profile: str) -> dict[str, int]:
    return dict(zip(PERSONAS, map(int, profile.split()), strict=True))


def test_who_reads_the_list_and_what_they_see(reports, clients):
    assert codes(clients, "get", URL, data={"program": "sd-test"}) == expect("200 200 200 200 200 403 401")
    for name in ("officer", "finance", "leader"):
        ids = {row["id"] for row in clients[name].get(URL).json()["results"]}
        assert {reports.mine.pk, reports.province.pk, reports.queued.pk, reports.other.pk} <= ids
    # A liaison: their county's reports only, never the program-wide one.
    ids = {row["id"] for row in clients["liaison_a"].get(URL, {"page_size": 500}).json()["results"]}
    assert ids == {reports.mine.pk, reports.queued.pk}
    assert clients["liaison_b"].get(URL, {"page_size": 500}).json()["results"] == []


def test_who_reads_a_report(reports, clients):
    assert codes(clients, "get", f"{URL}{reports.mine.pk}/") == expect("200 200 200 200 404 403 401")
    assert codes(clients, "get", f"{URL}{reports.province.pk}/") == expect("200 200 200 404 404 403 401")
    assert codes(clients, "get", f"{URL}{reports.other.pk}/") == expect("200 200 200 404 404 403 401")
    body = clients["leader"].get(f"{URL}{reports.mine.pk}/").json()
    assert body["figures"] == {} and body["html_url"].endswith(f"/{reports.mine.pk}/html/")


def test_who_asks_for_a_report(small, clients):
    payload = {"data": {"program": "sd-test", "year": YEAR}, "format": "json"}
    assert codes(clients, "post", URL, **payload) == expect("202 403 403 403 403 403 401")
    for method in ("put", "patch", "delete"):
        report = _done(small)
        assert codes(clients, method, f"{URL}{report.pk}/", **payload) == expect("405 403 403 403 403 403 401")


def test_who_downloads_the_files(reports, clients):
    for kind, content_type in (("html", "text/html; charset=utf-8"), ("pdf", "application/pdf")):
        assert codes(clients, "get", f"{URL}{reports.mine.pk}/{kind}/") == expect("200 200 200 200 404 403 401")
        for elsewhere in (reports.province, reports.other):
            assert codes(clients, "get", f"{URL}{elsewhere.pk}/{kind}/") == expect("200 200 200 404 404 403 401")
        response = clients["liaison_a"].get(f"{URL}{reports.mine.pk}/{kind}/")
        assert response["Content-Type"] == content_type
        assert "inline" in response["Content-Disposition"]
        # Not ready yet: 404 in JSON, whatever the client asked for.
        pending = clients["officer"].get(f"{URL}{reports.queued.pk}/{kind}/", HTTP_ACCEPT=content_type.split(";")[0])
        assert pending.status_code == 404 and pending["Content-Type"] == "application/json"
        assert "not ready" in pending.json()["detail"].lower() or pending.json()["detail"]


# --- The admin -------------------------------------------------------------------------------------------------------


def test_officer_generates_from_the_admin_and_the_page_follows_progress(
    small, officer, client, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    changelist = client.get(reverse("admin:reporting_evaluationreport_changelist"))
    generate_url = reverse("admin:reporting_evaluationreport_generate")
    assert changelist.status_code == 200 and generate_url in changelist.content.decode()
    assert client.get(generate_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(generate_url, {"program": small.pk, "year": YEAR})
    report = EvaluationReport.objects.get(program=small, year=YEAR)
    change_url = reverse("admin:reporting_evaluationreport_change", args=[report.pk])
    assert response.status_code == 302 and response["Location"] == change_url
    page = client.get(change_url).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page
    # The same form again while it is queued: taken to the same report, no second one.
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(generate_url, {"program": small.pk, "year": YEAR})["Location"] == change_url
    assert EvaluationReport.objects.filter(program=small).count() == 1

    assert evaluation_report_generate(report_id=report.pk)
    page = client.get(change_url).content.decode()
    assert 'http-equiv="refresh"' not in page
    pdf = client.get(reverse("admin:reporting_evaluationreport_pdf", args=[report.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    html = client.get(reverse("admin:reporting_evaluationreport_html", args=[report.pk]))
    assert html.status_code == 200 and html["Content-Type"] == "text/html; charset=utf-8"
    listing = client.get(reverse("admin:reporting_evaluationreport_changelist")).content.decode()
    assert reverse("admin:reporting_evaluationreport_pdf", args=[report.pk]) in listing


def test_a_year_to_come_is_a_form_error(small, officer, client):
    client.force_login(officer)
    response = client.post(
        reverse("admin:reporting_evaluationreport_generate"),
        {"program": small.pk, "year": timezone.localdate().year + 1},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert not EvaluationReport.objects.filter(program=small).exists()


def test_leaders_read_but_do_not_generate_and_liaisons_stay_out(reports, leader, liaison_a, client):
    client.force_login(leader)
    listing = client.get(reverse("admin:reporting_evaluationreport_changelist"))
    assert listing.status_code == 200
    assert reverse("admin:reporting_evaluationreport_generate") not in listing.content.decode()
    assert client.get(reverse("admin:reporting_evaluationreport_generate")).status_code == 403
    assert client.get(reverse("admin:reporting_evaluationreport_pdf", args=[reports.mine.pk])).status_code == 200
    client.force_login(liaison_a)
    assert client.get(reverse("admin:reporting_evaluationreport_changelist")).status_code == 302  # to the login


# --- The charts ------------------------------------------------------------------------------------------------------


def test_gap_bars_are_escaped_deterministic_svg():
    bars = [Bar("台儿庄区", Decimal("0.581")), Bar('<b>"x"&</b>', Decimal("-1.25")), Bar("高青县", None)]
    svg = gap_bar_chart(bars, title="差距 <pp>")
    assert svg == gap_bar_chart(bars, title="差距 <pp>")
    root = ET.fromstring(svg)  # well-formed XML
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert '<b>"x"&</b>' in texts and "差距 <pp>" in texts and "无数据" in texts
    assert "+0.6" in texts and "−1.3" in texts  # half up, one decimal place
    rects = [r for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert len(rects) == 2 and {r.get("fill") for r in rects} == {"#2e7d32", "#c62828"}
    assert "<script" not in svg and "<b>" not in svg


def test_rank_trend_puts_better_ranks_higher_and_shades_the_bottom_ten():
    svg = rank_trend_chart(
        [RankPoint("2023", 134), RankPoint("2024", 131), RankPoint("2025", 125)], title="位次", ranked_count=136
    )
    root = ET.fromstring(svg)
    circles = [float(c.get("cy")) for c in root.iter("{http://www.w3.org/2000/svg}circle")]
    assert circles == sorted(circles, reverse=True)  # rank 125 drawn highest
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "后十位" in texts and {"134", "131", "125", "2023", "2025"} <= set(texts)
    empty = rank_trend_chart([], title="位次", ranked_count=None)
    assert "无数据" in empty and ET.fromstring(empty) is not None


# --- The PDF renderer's settings ------------------------------------------------------------------------------------


def test_the_pdf_is_rendered_with_the_reports_user_agent_stylesheet(monkeypatch):
    """WeasyPrint asks the document for its user-agent stylesheet; the report's leaves out the rules for footnotes
    and notes (matching every element) and gives list items, the only elements with markers, their ``::marker``.
    If a WeasyPrint upgrade stopped asking, the stylesheet would go unused and this test fails."""
    from common import pdf as pdfs
    from reporting.evaluation import document

    sheet = pdfs.report_ua_stylesheet()
    asked = []
    monkeypatch.setattr(pdfs, "report_ua_stylesheet", lambda: (asked.append(True), sheet)[1])
    pdf = document.evaluation_pdf('<html lang="zh-Hans"><body><ol class="notes"><li>增速差</li></ol></body></html>')
    assert pdf.startswith(b"%PDF-") and asked
    from weasyprint.html import UA

    text = pdfs.report_ua_text()
    left_out = [line for line in UA.splitlines() if line.startswith(("::footnote", "::note"))]
    assert len(left_out) == 5  # WeasyPrint's still: worth leaving out
    assert not any(line in text.splitlines() for line in left_out)
    assert "li::marker {" in text and "\n::marker" not in text
    assert len(text.splitlines()) == len(UA.splitlines()) - 5  # the rest as it is
    if shutil.which("pdftotext"):
        shown = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "1." in shown and "增速差" in shown  # the list marker is still drawn


def test_the_cyclic_collector_is_back_after_the_pdf(monkeypatch):
    import gc

    from reporting.evaluation import document

    html = "<html><body><p>评价</p></body></html>"
    assert gc.isenabled()
    document.evaluation_pdf(html)
    assert gc.isenabled()
    gc.disable()
    try:
        document.evaluation_pdf(html)
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()

    def broken(*args, **kwargs):
        assert not gc.isenabled()  # off while WeasyPrint works
        raise RuntimeError("broken")

    monkeypatch.setattr("weasyprint.HTML.write_pdf", broken)
    with pytest.raises(RuntimeError):
        document.evaluation_pdf(html)
    assert gc.isenabled()
