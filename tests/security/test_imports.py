"""Hostile import files: bounded by bytes, rows and columns before they can exhaust a worker, and absurd numbers
or texts refused line by line instead of crashing the database write.

Every limit is a setting (``IMPORT_MAX_*``); the tests lower them so a hostile file stays small, and check that the
refusal names the limit and comes from the reading layer, before the file has been read to the end.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook

from pairing.factories import CountyFactory, ProvinceFactory
from pairing.models import Pairing, Program, Source
from stats.importers import FileRejected
from stats.models import ImportBatch, StatValue
from stats.services import indicators_import, pairings_import

pytestmark = pytest.mark.django_db

HEADER = ["region", "indicator", "period", "value", "growth_pct", "source"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def regions(db):
    ProvinceFactory()
    CountyFactory(adcode="370405", name="台儿庄区")
    CountyFactory(adcode="370481", name="滕州市")


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


class CountingStream(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def read1(self, size: int = -1) -> bytes:
        chunk = super().read1(size)
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer)
        self.bytes_read += count
        return count


def hostile_xlsx(sheet_xml: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A real workbook (made by openpyxl) whose first sheet is replaced by ``sheet_xml``."""
    workbook = Workbook()
    workbook.active.append(HEADER)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            target.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def sheet(dimension: str, rows: str) -> str:
    header = "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for letter, name in zip("ABCDEF", HEADER, strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData><row r="1">{header}</row>{rows}</sheetData></worksheet>'
    )


def messages(rejected) -> list[tuple[int, str]]:
    return [(problem.line, problem.message) for problem in rejected.value.problems]


# --- item 3: files that exhaust memory or time ----------------------------------------------------------------------


@override_settings(IMPORT_MAX_COLUMNS=20)
def test_xlsx_declaring_the_whole_sheet_with_a_cell_at_xfd1048576_is_refused_at_the_column_limit(regions):
    """5 KB on disk; 1,048,576 × 16,384 cells once its declared dimension is believed (a worker grew past 20 GB)."""
    data = hostile_xlsx(
        sheet("A1:XFD1048576", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    )
    assert len(data) < 10_000
    with override_settings(IMPORT_MAX_ROWS=10), pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="bomb.xlsx")
    [(line, message)] = messages(rejected)
    # Rows 2… are missing from the file: the refusal comes at the row limit, long before row 1,048,576.
    assert line == 12
    assert "10 rows" in message


@override_settings(IMPORT_MAX_COLUMNS=20)
def test_xlsx_cell_beyond_the_column_limit_is_refused(regions):
    data = hostile_xlsx(
        sheet(
            "A1:XFD2",
            '<row r="2"><c r="A2" t="inlineStr"><is><t>370405</t></is></c>'
            '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>',
        )
    )
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="wide.xlsx")
    [(line, message)] = messages(rejected)
    assert line == 2
    assert "XFD" in message and "20 columns" in message
    assert StatValue.objects.count() == 0


@override_settings(IMPORT_MAX_UNZIPPED_BYTES=1_000_000)
def test_xlsx_that_unzips_beyond_the_limit_is_refused_before_it_is_parsed(regions):
    """A compression bomb: shared strings of 50 MB of one letter, a few dozen KB zipped."""
    bomb = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + (
        b"<si><t>" + b"a" * 50_000_000 + b"</t></si></sst>"
    )
    data = hostile_xlsx(sheet("A1:F1", ""), extra={"xl/bomb.xml": bomb})
    assert len(data) < 200_000
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="bomb.xlsx")
    [(line, message)] = messages(rejected)
    assert line == 1
    assert "1 MB" in message


@override_settings(IMPORT_MAX_ROWS=10)
def test_csv_with_more_rows_than_the_limit_is_refused_where_it_passes_it(regions):
    rows = [["370405", "gdp", str(2000 + i), "1", "", "公报"] for i in range(50)]
    stream = CountingStream(csv_bytes(rows))
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=stream, filename="long.csv")
    [(line, message)] = messages(rejected)
    assert line == 12
    assert "10 rows" in message
    assert StatValue.objects.count() == 0


@override_settings(IMPORT_MAX_BYTES=1000)
def test_file_over_the_byte_limit_is_refused_without_being_read(regions):
    rows = [["370405", "gdp", str(1900 + i), "1", "", "公报"] for i in range(100)]
    stream = CountingStream(csv_bytes(rows))
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=stream, filename="big.csv")
    [(line, message)] = messages(rejected)
    assert line == 1
    assert "1000 bytes" in message
    assert stream.bytes_read == 0


@override_settings(IMPORT_MAX_COLUMNS=8)
def test_csv_row_with_cells_beyond_the_column_limit_is_refused(regions):
    data = csv_bytes([["370405", "gdp", "2025", "1", "", "公报", "", "", "", "x"]])
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="wide.csv")
    [(line, message)] = messages(rejected)
    assert line == 2 and "8 columns" in message


def test_csv_field_over_the_csv_module_limit_is_a_line_problem(regions):
    data = csv_bytes([["370405", "gdp", "2025", "1", "", "x" * 200_000]])
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="long-field.csv")
    [(line, _message)] = messages(rejected)
    assert line == 2


# --- item 7: absurd numbers and texts --------------------------------------------------------------------------------

ABSURD = [
    # value, growth, source -> the words of the refusal
    (["1e30", "", "公报"], "below 10000000000000000 yuan (10^16)"),
    (["10000000000000000", "", "公报"], "below 10000000000000000 yuan (10^16)"),
    (["", "1e12", "公报"], "below 100000000%"),
    (["", "-1e12", "公报"], "above -100%"),
    (["1", "", "x" * 256], "at most 255 characters"),
    (["NaN", "", "公报"], "is not a number"),
    (["sNaN", "", "公报"], "is not a number"),
    (["Infinity", "", "公报"], "is not a number"),
    (["", "-inf", "公报"], "is not a number"),
    (["1,2,3", "", "公报"], "is not a number"),
    (["12,34.5", "", "公报"], "is not a number"),
    (["1_000", "", "公报"], "is not a number"),
    (["1e999999999", "", "公报"], "below 10000000000000000 yuan (10^16)"),
    (["1", "", "公报\x00"], "control character"),
]


@pytest.mark.parametrize(("cells", "words"), ABSURD, ids=[str(i) for i in range(len(ABSURD))])
def test_absurd_values_are_line_problems_with_the_limit_in_words(regions, cells, words):
    good = ["370481", "gdp", "2025", "100", "", "公报"]
    data = csv_bytes([good, ["370405", "gdp", "2025", *cells]])
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="absurd.csv")
    [(line, message)] = messages(rejected)
    assert line == 3
    assert words in message, message
    assert (StatValue.objects.count(), ImportBatch.objects.count()) == (0, 0)


def test_numbers_people_write_are_read_as_they_mean_them(regions):
    rows = [
        ["370405", "gdp", "2024", "31,500,000,000", "-0", "公报"],
        ["370405", "gdp", "2025", "３１，６００，０００，０００.５", "+5.5%", "公报"],
        ["370481", "gdp", "2025", "-0", "", "公报"],
        ["370481", "fai", "2025", "9999999999999.994", "99999999.99994", "公报"],
    ]
    report = indicators_import(stream=io.BytesIO(csv_bytes(rows)), filename="ok.csv")
    assert report.created == 4
    values = {(v.region_id, v.indicator, v.period): v for v in StatValue.objects.all()}
    first = values["370405", "gdp", "2024"]
    assert str(first.value) == "31500000000.00" and str(first.growth_pct) == "0.0000"
    assert str(values["370405", "gdp", "2025"].value) == "31600000000.50"
    assert str(values["370481", "gdp", "2025"].value) == "0.00"
    big = values["370481", "fai", "2025"]
    assert str(big.value) == "9999999999999.99" and str(big.growth_pct) == "99999999.9999"


def test_value_that_rounds_up_past_the_limit_is_refused(regions):
    data = csv_bytes([["370405", "gdp", "2025", "9999999999999999.995", "", "公报"]])
    with pytest.raises(FileRejected) as rejected:
        indicators_import(stream=io.BytesIO(data), filename="edge.csv")
    assert "below 10000000000000000 yuan (10^16)" in messages(rejected)[0][1]


PAIRING_HEADER = ["program", "strong", "weak", "start_date", "source"]


@pytest.mark.parametrize(
    ("program", "source", "words"),
    [
        ("p" * 65, "通知", "at most 64 characters"),
        ("sd 2024/强县", "通知", "letters, digits"),
        ("sd-2024", "通" * 256, "at most 255 characters"),
    ],
    ids=["long-code", "not-a-slug", "long-source"],
)
def test_pairing_texts_over_their_limits_are_line_problems(regions, program, source, words):
    CountyFactory(adcode="370402", name="市中区")
    data = csv_bytes(
        [["sd-ok", "370481", "370402", "2024-09-01", "通知"], [program, "370481", "370405", "2024-09-01", source]],
        header=PAIRING_HEADER,
    )
    with pytest.raises(FileRejected) as rejected:
        pairings_import(stream=io.BytesIO(data), filename="pairings.csv")
    [(line, message)] = messages(rejected)
    assert line == 3 and words in message, message
    assert (Program.objects.count(), Pairing.objects.count(), Source.objects.count()) == (0, 0, 0)


@pytest.mark.postgres
@pytest.mark.parametrize(("cells", "words"), ABSURD[:5], ids=[str(i) for i in range(5)])
def test_absurd_values_on_postgresql(require_postgres, regions, cells, words):
    test_absurd_values_are_line_problems_with_the_limit_in_words(regions, cells, words)


@pytest.mark.postgres
def test_pairing_code_over_64_characters_on_postgresql(require_postgres, regions):
    test_pairing_texts_over_their_limits_are_line_problems(regions, "p" * 65, "通知", "at most 64 characters")


# --- item 3: large files are imported by a background job ----------------------------------------------------------

GOOD_ROWS = [
    ["370000", "gdp", "2024", "9000000000000", "", "公报"],
    ["370000", "gdp", "2025", "9400000000000", "5.0", "公报"],
    ["370405", "gdp", "2024", "19000000000", "", "公报"],
    ["370405", "gdp", "2025", "19300000000", "", "公报"],
]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


def upload(client, name: str, data: bytes, kind: str = "indicators"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/admin/stats/importbatch/upload/",
        {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")},
        HTTP_ACCEPT_LANGUAGE="en",
    )


@override_settings(IMPORT_BACKGROUND_BYTES=100)
def test_large_upload_becomes_a_background_job_with_progress(
    regions, officer, officer_client, django_capture_on_commit_callbacks
):
    from stats.models import GapResult, ImportJob

    preview = upload(officer_client, "big.csv", csv_bytes(GOOD_ROWS))
    assert preview.status_code == 200 and ImportJob.objects.count() == 0  # a preview first: nothing queued yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = officer_client.post(
            "/admin/stats/importbatch/upload/confirm/", {"token": preview.context["token"]}, HTTP_ACCEPT_LANGUAGE="en"
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/admin/stats/importjob/{job.pk}/change/"
    # Nothing is imported within the request: the job waits for its worker, and its page reloads itself.
    assert (job.status, job.progress, job.filename, job.requested_by) == ("queued", 0, "big.csv", officer)
    assert StatValue.objects.count() == 0
    page = officer_client.get(response.url)
    assert page.status_code == 200 and page.context["refresh_seconds"]
    assert b'http-equiv="refresh"' in page.content
    listing = officer_client.get("/admin/stats/importbatch/upload/")
    assert "big.csv" in listing.content.decode() and listing.context["refresh_seconds"]

    # The worker runs it (the test settings run tasks in-process) once the upload has committed.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows, job.created) == ("done", 100, 4, 4)
    assert job.batch == ImportBatch.objects.get() and not job.file
    assert StatValue.objects.count() == 4 and GapResult.objects.filter(period="2025").exists()
    page = officer_client.get(f"/admin/stats/importjob/{job.pk}/change/")
    assert page.context["refresh_seconds"] is None
    assert officer_client.get("/admin/stats/importjob/").status_code == 200


def test_a_job_runs_once(regions, officer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stats.import_jobs import import_job_request, import_job_run

    job = import_job_request(kind="indicators", upload=SimpleUploadedFile("s.csv", csv_bytes(GOOD_ROWS)), by=officer)
    assert import_job_run(job_id=job.pk) is True
    StatValue.objects.all().delete()
    assert import_job_run(job_id=job.pk) is False  # claimed with a conditional UPDATE: already done
    assert StatValue.objects.count() == 0
    job.refresh_from_db()
    assert job.status == "done" and job.created == 4


@override_settings(IMPORT_MAX_ROWS=2)
def test_refused_job_lists_the_lines_to_correct(regions, officer, officer_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stats.import_jobs import import_job_request, import_job_run

    job = import_job_request(kind="indicators", upload=SimpleUploadedFile("s.csv", csv_bytes(GOOD_ROWS)), by=officer)
    assert import_job_run(job_id=job.pk) is False
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
    assert job.problems == [{"line": 4, "message": "an import may have at most 2 rows below the header"}]
    page = officer_client.get(f"/admin/stats/importjob/{job.pk}/change/")
    assert "<td>4</td>" in page.content.decode()
    assert StatValue.objects.count() == 0


def test_command_runs_a_queued_job_in_process(regions, officer):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from stats.import_jobs import import_job_request

    job = import_job_request(kind="indicators", upload=SimpleUploadedFile("s.csv", csv_bytes(GOOD_ROWS)), by=officer)
    stdout = io.StringIO()
    call_command("import_indicators", "--job", str(job.pk), stdout=stdout)
    assert "100%" in stdout.getvalue() and "s.csv: 4 rows — 4 created" in stdout.getvalue()
    assert StatValue.objects.count() == 4


@override_settings(IMPORT_MAX_BYTES=1000)
def test_upload_over_the_byte_limit_is_refused_with_the_limit_named(regions, officer_client):
    from stats.models import ImportJob

    rows = [["370405", "gdp", str(1900 + i), "1", "", "公报"] for i in range(100)]
    response = upload(officer_client, "big.csv", csv_bytes(rows))
    assert response.status_code == 200
    assert "at most 1000 bytes" in response.content.decode()
    assert (ImportJob.objects.count(), StatValue.objects.count()) == (0, 0)


def test_job_progress_is_written_while_the_file_is_read(regions, officer, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stats import reading
    from stats.import_jobs import import_job_request, import_job_run

    monkeypatch.setattr(reading, "PROGRESS_EVERY", 10)
    rows = [["370405", "gdp", str(1900 + i), "1", "", "公报"] for i in range(2000)]
    job = import_job_request(kind="indicators", upload=SimpleUploadedFile("s.csv", csv_bytes(rows)), by=officer)
    seen: list[int] = []
    assert import_job_run(job_id=job.pk, on_progress=seen.append) is True
    assert seen == sorted(seen) and len(seen) > 2 and seen[-1] == 100


@override_settings(IMPORT_MAX_ROWS=10)
def test_the_refusals_are_in_chinese(regions):
    rows = [["370405", "gdp", str(2000 + i), "1", "", "公报"] for i in range(20)]
    with translation.override("zh-hans"):
        with pytest.raises(FileRejected) as rejected:
            indicators_import(stream=io.BytesIO(csv_bytes(rows)), filename="long.csv")
        assert str(rejected.value) == "第 12 行：导入文件表头以下最多 10 行"
        with pytest.raises(FileRejected) as rejected:
            indicators_import(
                stream=io.BytesIO(csv_bytes([["370405", "gdp", "2025", "1e30", "", "公报"]])), filename="absurd.csv"
            )
        assert "总量必须小于 10000000000000000 元" in str(rejected.value)


def test_levels_a_billion_times_apart_do_not_stop_the_gap_recomputation(regions, django_capture_on_commit_callbacks):
    """Each level fits its column, but the growth between them (10^20 %) would not fit the result's: the growth is
    left out, and the recomputation of every other county goes on."""
    from stats.models import GapResult

    rows = [
        ["370000", "gdp", "2025", "", "5", "公报"],
        ["370405", "gdp", "2024", "0.01", "", "公报"],
        ["370405", "gdp", "2025", "9999999999999999", "", "公报"],
        ["370481", "gdp", "2024", "100", "", "公报"],
        ["370481", "gdp", "2025", "110", "", "公报"],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        indicators_import(stream=io.BytesIO(csv_bytes(rows)), filename="apart.csv")
    absurd = GapResult.objects.get(region="370405", period="2025")
    assert (absurd.growth_pct, absurd.growth_derived, absurd.gap_pp) == (None, False, None)
    assert GapResult.objects.get(region="370481", period="2025").gap_pp == 5


@pytest.mark.postgres
def test_levels_a_billion_times_apart_on_postgresql(require_postgres, regions, django_capture_on_commit_callbacks):
    test_levels_a_billion_times_apart_do_not_stop_the_gap_recomputation(regions, django_capture_on_commit_callbacks)


def test_a_job_that_never_finished_is_given_up_by_the_next_upload(regions, officer):
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from stats.import_jobs import STALE_AFTER, import_job_request
    from stats.models import ImportJob

    stuck = import_job_request(kind="indicators", upload=SimpleUploadedFile("a.csv", csv_bytes(GOOD_ROWS)), by=officer)
    ImportJob.objects.filter(pk=stuck.pk).update(
        status="running", started_at=timezone.now() - STALE_AFTER - dt.timedelta(minutes=1)
    )
    import_job_request(kind="indicators", upload=SimpleUploadedFile("b.csv", csv_bytes(GOOD_ROWS)), by=officer)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "Given up" in stuck.error and not stuck.file


def test_warnings_are_kept_in_full_up_to_a_hundred(regions):
    """A file whose every row disagrees with its levels must not become as many admin messages."""
    rows = [["370405", "gdp", str(1900 + i), str(100 if i % 2 else 200), "1", "公报"] for i in range(130)]
    report = indicators_import(stream=io.BytesIO(csv_bytes(rows)), filename="w.csv")
    assert len(report.warnings) == 101
    assert report.warnings[-1] == "… and 29 more rows like these"
    assert ImportBatch.objects.get().warnings == report.warnings
