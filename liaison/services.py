"""The writes of the liaison pages: a report, its new attachments and (optionally) its submission, all or nothing;
and a month's workbook, every row a draft report, all or nothing. Each step is a service of ``projects.reports``;
this only binds them into one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.periods import current_month
from projects.models import ProgressReport, Project, ReportAttachment
from projects.reports import (
    REPORT_FIELDS,
    ReportData,
    StaleVersion,
    progress_report_save,
    progress_report_submit,
    report_attachment_add,
    report_lock_reason,
)

from . import workbooks
from .forms import SERVICE_FIELD_ALIASES
from .selectors import WorkbookLine, last_report_before
from .workbooks import CellError, Sheet, WorkbookRejected


def progress_report_file(
    *,
    project: Project,
    period: str,
    data: ReportData,
    uploads: Sequence[UploadedFile],
    by,
    expected_version: int,
    submit: bool,
) -> ProgressReport:
    """Save the report, attach ``uploads`` and, if ``submit``, send it for review. Any broken rule (every one of
    the report's, every refused file) rolls everything back, the stored files included, and is raised as one
    ``ValidationError``; ``StaleVersion`` and ``PermissionDenied`` pass through unchanged."""
    stored: list[ReportAttachment] = []
    try:
        with transaction.atomic():
            report = progress_report_save(
                project=project, period=period, data=data, by=by, expected_version=expected_version
            )
            refused: list[str] = []
            for upload in uploads:
                try:
                    stored.append(report_attachment_add(report=report, upload=upload, by=by))
                except ValidationError as error:
                    refused.extend(
                        _("%(name)s: %(message)s") % {"name": upload.name, "message": message}
                        for message in error.messages
                    )
            if refused:
                raise ValidationError({"file": refused})
            if submit:
                report = progress_report_submit(report=report, by=by, expected_version=report.version)
    except BaseException:
        # The rows are rolled back; the files written to storage are not, so they go too.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return report


# --- The month's workbook ---------------------------------------------------------------------------------------


@dataclass
class WorkbookOutcome:
    """What an accepted workbook did: the drafts it created and updated, and the rows it left as they were (a
    report already in review or approved, unchanged)."""

    created: list[ProgressReport] = field(default_factory=list)
    updated: list[ProgressReport] = field(default_factory=list)
    unchanged: list[ProgressReport] = field(default_factory=list)
    skipped: list[Project] = field(default_factory=list)  # rows left as downloaded: not reported now


def month_workbook_import(*, sheet: Sheet, county: str, by, today: dt.date | None = None) -> WorkbookOutcome:
    """Save every row of an uploaded month workbook as a draft report, all or nothing. A row left as it was
    downloaded, this month's investment empty, is skipped: the project is not reported on now.

        Each row is checked by ``ReportForm`` (the form's rules) and saved by ``progress_report_save`` (the service's
        rules), inside one transaction: if any row breaks a rule, everything is rolled back and ``WorkbookRejected``
        names each bad cell. The reports are saved, not submitted. A row must carry the check code the tracker wrote for
        its project, month and report version (``liaison.workbooks.row_check``), and its project must be located in
        ``county``."""
    today = today or timezone.localdate()
    errors: list[CellError] = []
    period = sheet.period
    period_label = workbooks.label_text("Month reported")
    if period > current_month(today):
        raise WorkbookRejected(
            [CellError(1, period_label, _("The period %(period)s is in the future.") % {"period": period})]
        )
    rows = _resolve_rows(sheet, county, errors)
    outcome = WorkbookOutcome()
    try:
        with transaction.atomic():
            for number, cells, project, version in rows:
                _import_row(number, cells, project, version, period, by, outcome, errors)
            if errors:
                raise WorkbookRejected(errors)
    except WorkbookRejected:
        raise WorkbookRejected(sorted(errors, key=lambda error: error.row)) from None
    return outcome


def _resolve_rows(sheet: Sheet, county: str, errors: list[CellError]) -> list[tuple[int, dict[str, str], Project, int]]:
    """Each row's project, from its check code: refused if the code was changed, the row moved or copied from
    another county's or another month's workbook, or the project appears twice."""
    code_label = workbooks.label_of("code")
    name_label = workbooks.label_of("name")
    check_label = workbooks.label_of("check")
    vouched: list[tuple[int, dict[str, str], int, int]] = []
    for number, cells in sheet.rows:
        checked = workbooks.parse_check(cells["check"], code=cells["code"], period=sheet.period)
        if checked is None:
            errors.append(
                CellError(
                    number,
                    check_label if cells["check"] else code_label,
                    _(
                        "This row's project code, month or check code was changed: a row belongs to the project and "
                        "month it was downloaded for. Download the workbook again."
                    ),
                )
            )
            continue
        vouched.append((number, cells, *checked))
    projects = Project.objects.select_related("pairing").in_bulk([project_id for _n, _c, project_id, _v in vouched])
    rows = []
    seen: dict[int, int] = {}
    for number, cells, project_id, version in vouched:
        project = projects.get(project_id)
        if project is None or project.county_id != county:
            errors.append(
                CellError(
                    number,
                    code_label,
                    _("Project %(code)s is not located in your county: you cannot report on it.")
                    % {"code": cells["code"]},
                )
            )
            continue
        if cells["name"] != project.name:
            errors.append(
                CellError(
                    number, name_label, _("The project's name was changed: it is %(name)s.") % {"name": project.name}
                )
            )
            continue
        if project_id in seen:
            errors.append(
                CellError(
                    number,
                    code_label,
                    _("Project %(code)s is already on row %(row)d.") % {"code": project.code, "row": seen[project_id]},
                )
            )
            continue
        seen[project_id] = number
        rows.append((number, cells, project, version))
    return rows


def _import_row(
    number: int,
    cells: dict[str, str],
    project: Project,
    version: int,
    period: str,
    by,
    outcome: WorkbookOutcome,
    errors: list[CellError],
) -> None:
    report = ProgressReport.objects.filter(project=project, period=period).first()
    if report is None and workbooks.untouched(
        cells, WorkbookLine(project, None, last_report_before(project, period)), period
    ):
        outcome.skipped.append(project)
        return
    form = workbooks.report_form(cells, project=project, report=report, period=period, version=version)
    if not form.is_valid():
        errors.extend(_form_errors(number, form.errors))
        return
    data = form.report_data()
    if report is not None and report_lock_reason(report) is not None:
        if data == ReportData(**{key: getattr(report, key) for key in REPORT_FIELDS}):
            outcome.unchanged.append(report)
        else:
            errors.append(CellError(number, "", report_lock_reason(report) or ""))
        return
    try:
        saved = progress_report_save(project=project, period=period, data=data, by=by, expected_version=version)
    except ValidationError as error:
        errors.extend(_service_errors(number, error))
    except StaleVersion:
        errors.append(
            CellError(
                number,
                "",
                _(
                    "This project's report was changed on the website since the workbook was downloaded. Download "
                    "the workbook again."
                ),
            )
        )
    else:
        (outcome.created if report is None else outcome.updated).append(saved)


def _column_of(key: str) -> str:
    key = SERVICE_FIELD_ALIASES.get(key, key)
    if key == "period":
        return workbooks.label_text("Month reported")
    if key in workbooks.KEYS:
        return workbooks.label_of(key)
    return ""


def _form_errors(number: int, errors) -> list[CellError]:
    return [
        CellError(number, _column_of(key) if key != "__all__" else "", str(message))
        for key, messages in errors.items()
        for message in messages
    ]


def _service_errors(number: int, error: ValidationError) -> list[CellError]:
    if not hasattr(error, "error_dict"):
        return [CellError(number, "", message) for message in error.messages]
    return [
        CellError(number, _column_of(key), message)
        for key, messages in error.message_dict.items()
        for message in messages
    ]
