"""Monthly progress reports (进度填报): the liaison's draft, submission, the province's review, and what an approved
report does to its project. The liaison pages, the admin and the API all call these services.

Workflow (one transitions table, enforced here):

    draft ──submit──▶ submitted ──approve──▶ approved
                          │
                          └──return (with a comment)──▶ returned ──submit──▶ submitted …

A liaison writes drafts and returned reports of projects located in their county; submitted and approved reports
are locked (the reason is given by ``report_lock_reason``), as is every report of a closed period. A provincial
officer other than the submitter reviews, and approves only if they are none of the report's authors (whoever
created, changed, attached a file to or submitted it, recorded as ``ReportParticipant``). Every write raises the
report's ``version``; a writer who read an older version gets ``StaleVersion`` instead of overwriting someone else's
change. Every write locks the project's row, then the report's (``lock_project_and_report``)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import access_for
from accounts.models import Role
from common.audit import as_actor
from common.money import format_wan
from common.periods import current_month
from common.services import constraint_as_validation_error
from validation.engine import Finding, ReportFigures, check_report
from validation.selectors import rules_of_program
from validation.services import rule_outcomes_replace_for_report

from .models import (
    STAGES_NEEDING_PRODUCTION,
    ProgressReport,
    Project,
    ReportAttachment,
    ReportParticipant,
    ReportRole,
    ReportStatus,
    Stage,
)
from .selectors import (  # noqa: F401  also read from here by the views, the admin and the API
    period_is_closed,
    report_attachments_for,
    report_authors,
    with_period_closed,
)
from .services import project_change_stage, stage_gate_errors, stage_move_errors

TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
    ReportStatus.RETURNED: {ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.APPROVED, ReportStatus.RETURNED},
    ReportStatus.APPROVED: set(),
}
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)

ATTACHMENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_REPORT = 10
_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}


class StaleVersion(Exception):
    """Someone changed the record since it was read (HTTP 412 with If-Match, a conflict message in a form)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(_("Someone else changed this record since you opened it. Reload it and try again."))
        self.current_version = current_version


@dataclass(frozen=True)
class ReportData:
    """What a liaison enters for one month. Amounts in yuan."""

    stage: str
    cumulative_investment: Decimal
    month_investment: Decimal
    jobs_created: int = 0
    output_value: Decimal | None = None
    tax_paid: Decimal | None = None
    problem_category: str = ""
    problems: str = ""
    stage_back_reason: str = ""
    actual_start_date: dt.date | None = None
    actual_production_date: dt.date | None = None


REPORT_FIELDS = [field.name for field in fields(ReportData)]


def report_lock_reason(report: ProgressReport) -> str | None:
    """Why a liaison cannot edit the report now, in words, or None if they can."""
    if report.status == ReportStatus.SUBMITTED:
        return str(gettext_lazy("The report is in review: it can be changed again only if it is returned."))
    if report.status == ReportStatus.APPROVED:
        return str(gettext_lazy("The report is approved and can no longer be changed."))
    closed = getattr(report, "period_closed", None)  # see with_period_closed
    if closed is None:
        closed = bool(report.pk) and period_is_closed(project=report.project, period=report.period)
    if closed:
        return str(gettext_lazy("The period %(period)s is closed.") % {"period": report.period})
    return None


def _check_liaison_of(by, project: Project) -> None:
    access = access_for(by)
    if access.role == Role.OFFICER:
        return
    if not (access.is_liaison and access.county == project.county_id):
        raise PermissionDenied(_("Only the liaison of the county where the project is located reports on it."))


def _last_approved(project: Project, before_period: str) -> ProgressReport | None:
    return (
        ProgressReport.objects.filter(project=project, status=ReportStatus.APPROVED, period__lt=before_period)
        .order_by("-period")
        .first()
    )


def _previous_reviewed(project: Project, before_period: str) -> ProgressReport | None:
    """The project's latest report before ``before_period`` that was submitted or approved (what the month-on-month
    validation rules compare with)."""
    return (
        ProgressReport.objects.filter(
            project=project, status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED), period__lt=before_period
        )
        .order_by("-period")
        .first()
    )


def _rule_findings(*, project: Project, period: str, data: ReportData, well_formed: bool) -> list[Finding]:
    """What the program's validation rules (``validation``) find on the report's figures."""
    rules = rules_of_program(project.pairing.program_id)
    if not rules:
        return []
    previous = _previous_reviewed(project, period) if well_formed else None
    figures = ReportFigures(
        values={field: getattr(data, field) for field in REPORT_FIELDS},
        planned_investment=project.planned_investment,
        previous={field: getattr(previous, field) for field in REPORT_FIELDS} if previous else None,
        previous_period=previous.period if previous else None,
    )
    return check_report(rules, figures)


def _validate(*, project: Project, period: str, data: ReportData, today: dt.date) -> list[Finding]:
    """Every rule a person can break, with a message on the field they must correct. Collects them all, the
    program's validation rules of severity "error" included; returns what its "warning" rules found (the report is
    accepted with them)."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        year, month = (int(part) for part in period.split("-"))
        dt.date(year, month, 1)
        well_formed = len(period) == 7
    except ValueError:
        well_formed = False
    if not well_formed:
        error("period", _("Enter the month as YYYY-MM, e.g. 2025-09."))
    else:
        if period > current_month(today):
            error("period", _("The period %(period)s is in the future.") % {"period": period})
        if project.signed_date and period < f"{project.signed_date:%Y-%m}":
            error(
                "period",
                _("The period is before the project was signed (%(month)s).")
                % {"month": f"{project.signed_date:%Y-%m}"},
            )
        if period_is_closed(project=project, period=period):
            error("period", _("The period %(period)s is closed.") % {"period": period})

    for field in ("cumulative_investment", "month_investment", "output_value", "tax_paid"):
        value = getattr(data, field)
        if value is not None and value < 0:
            error(field, _("The amount cannot be negative."))
    if data.jobs_created is not None and data.jobs_created < 0:
        error("jobs_created", _("The number cannot be negative."))
    if (
        data.month_investment is not None
        and data.cumulative_investment is not None
        and data.month_investment > data.cumulative_investment
    ):
        error("month_investment", _("This month's investment cannot exceed the cumulative investment."))
    if well_formed and data.cumulative_investment is not None:
        last = _last_approved(project, period)
        if last is not None and data.cumulative_investment < last.cumulative_investment:
            error(
                "cumulative_investment",
                _("The cumulative investment cannot fall below the last approved report's (%(amount)s, %(period)s).")
                % {"amount": format_wan(last.cumulative_investment), "period": last.period},
            )

    if data.stage not in Stage.values:
        error("stage", _("Choose a stage."))
    else:
        if Stage.order(data.stage) < Stage.order(project.stage) and not data.stage_back_reason.strip():
            error(
                "stage_back_reason",
                _("The project is already at “%(stage)s”: moving it back needs a reason.")
                % {"stage": Stage(project.stage).label},
            )
        # The stage gates as the one writer of a project's stage states them (projects.services), on the dates the
        # report gives or the project has. The signing date is the project's, not something a liaison reports: a
        # report of a project without one is refused at approval, with the reason, for an officer to correct.
        gates = stage_gate_errors(
            stage=data.stage,
            signed_date=project.signed_date,
            actual_start_date=data.actual_start_date or project.actual_start_date,
            actual_production_date=data.actual_production_date or project.actual_production_date,
        )
        for field, message in gates.items():
            if field != "signed_date":
                error(field, message)
        for field in ("actual_start_date", "actual_production_date"):
            day = getattr(data, field)
            if day is not None and day > today:
                error(field, _("The date cannot be in the future."))
        if data.stage not in STAGES_NEEDING_PRODUCTION:
            for field in ("output_value", "tax_paid"):
                if getattr(data, field):  # a zero is not a figure: it is stored as empty
                    error(field, _("Output value and tax are reported once the project is in production."))
    if data.problem_category and not data.problems.strip():
        error("problems", _("Describe the problem that needs provincial coordination."))
    findings = _rule_findings(project=project, period=period, data=data, well_formed=well_formed)
    for finding in findings:
        if finding.is_error:
            error(finding.field, finding.message)
    if errors:
        raise ValidationError(errors)
    return [finding for finding in findings if not finding.is_error]


def _record_warnings(report: ProgressReport, warnings: list[Finding], by) -> None:
    project = report.project
    rule_outcomes_replace_for_report(
        report_id=report.pk,
        program_id=project.pairing.program_id,
        region_id=project.county_id,
        period=report.period,
        label=f"{project.code} {project.name}",
        findings=warnings,
        by=by,
    )


def lock_project_and_report(
    *, project_id: int, report_id: int | None = None, period: str | None = None
) -> tuple[Project, ProgressReport | None]:
    """The row locks of a report write, in the one order every writer of projects and reports takes them: the
    project's row first, then the report's (found by ``report_id``, or by ``period``; None if there is none yet).

    Writers that locked the report before its project (or both in one joined ``SELECT … FOR UPDATE``, where the plan
    decides the order) deadlocked with those that did the opposite. ``of=("self",)`` keeps the pairing a
    ``select_related`` reads out of the lock. Call inside a transaction."""
    project = Project.objects.select_for_update(of=("self",)).select_related("pairing").get(pk=project_id)
    reports = ProgressReport.objects.select_for_update(of=("self",))
    if report_id is not None:
        report = reports.get(pk=report_id, project_id=project.pk)
    else:
        report = reports.filter(project_id=project.pk, period=period).first()
    if report is not None:
        report.project = project
    return project, report


def _bump(report: ProgressReport, expected_version: int | None, by=None, **changes) -> ProgressReport:
    """Write ``changes`` if the report is still at ``expected_version`` (when given), raising its version. The
    caller holds the report's row lock, so the check and the write cannot interleave with another writer."""
    if expected_version is not None and report.version != expected_version:
        raise StaleVersion(report.version)
    for field, value in changes.items():
        setattr(report, field, value)
    report.version += 1
    as_actor(report, by)
    report.save()
    return report


@transaction.atomic
def progress_report_save(
    *,
    project: Project,
    period: str,
    data: ReportData,
    by,
    expected_version: int | None = None,
    today: dt.date | None = None,
    is_sample: bool = False,
) -> ProgressReport:
    """Create or update the (draft or returned) report of ``project`` for ``period``. Nothing is saved if any rule
    is broken; every broken rule is reported at once."""
    project, existing = lock_project_and_report(project_id=project.pk, period=period)
    _check_liaison_of(by, project)
    if existing is not None:
        if expected_version is not None and existing.version != expected_version:
            raise StaleVersion(existing.version)
        if existing.status not in EDITABLE:
            raise ValidationError({"period": report_lock_reason(existing) or _("This report cannot be changed.")})
    warnings = _validate(project=project, period=period, data=data, today=today or timezone.localdate())
    values = {field: getattr(data, field) for field in REPORT_FIELDS}
    values["jobs_created"] = values["jobs_created"] or 0
    if data.stage not in STAGES_NEEDING_PRODUCTION:
        values["output_value"] = values["tax_paid"] = None  # only a zero can get here: nothing to report yet
    if existing is None:
        if expected_version not in (None, 0):
            raise StaleVersion(0)
        report = ProgressReport(
            project=project, period=period, status=ReportStatus.DRAFT, is_sample=is_sample, **values
        )
        as_actor(report, by)
        with constraint_as_validation_error(_("A report for this project and month already exists."), "period"):
            report.save(force_insert=True)
    else:
        report = _bump(existing, expected_version, by, **values)
    _record_author(report, by)
    _record_warnings(report, warnings, by)
    return report


@transaction.atomic
def progress_report_submit(*, report: ProgressReport, by, expected_version: int | None = None) -> ProgressReport:
    """Send a draft or returned report for review (the rules are checked again: the project may have moved)."""
    _project, report = lock_project_and_report(project_id=report.project_id, report_id=report.pk)
    _check_liaison_of(by, report.project)
    if expected_version is not None and report.version != expected_version:
        raise StaleVersion(report.version)
    if ReportStatus.SUBMITTED not in TRANSITIONS[report.status]:
        raise ValidationError(report_lock_reason(report) or _("This report cannot be submitted."))
    data = ReportData(**{field: getattr(report, field) for field in REPORT_FIELDS})
    warnings = _validate(project=report.project, period=report.period, data=data, today=timezone.localdate())
    now = timezone.now()
    report = _bump(
        report,
        report.version,
        by,
        status=ReportStatus.SUBMITTED,
        submitted_by=by,
        submitted_at=now,
        first_submitted_at=report.first_submitted_at or now,
    )
    _record_author(report, by)
    _record_warnings(report, warnings, by)
    return report


def _record_author(report: ProgressReport, by) -> None:
    """``by`` wrote, changed, attached to or submitted ``report`` (under its row lock): they will not approve it."""
    if by is not None and by.pk is not None:
        ReportParticipant.objects.get_or_create(report=report, user=by, defaults={"role": ReportRole.AUTHOR})


def _check_reviewer(by, report: ProgressReport, *, approving: bool = False) -> None:
    """The one review rule: a provincial officer reviews, never their own submission, and approves only a report
    whose content they took no part in (``ReportParticipant``; the database refuses it too)."""
    if access_for(by).role != Role.OFFICER:
        raise PermissionDenied(_("Only a provincial officer reviews progress reports."))
    if report.submitted_by_id is not None and report.submitted_by_id == by.pk:
        raise PermissionDenied(_("Nobody reviews their own submission."))
    if approving and report_authors(report).filter(user=by).exists():
        raise PermissionDenied(_authors_do_not_approve())


def _authors_do_not_approve() -> str:
    return _("You wrote or changed this report's content: another provincial officer must approve it.")


@transaction.atomic
def progress_report_return(
    *, report: ProgressReport, by, comment: str, expected_version: int | None = None
) -> ProgressReport:
    """Send a submitted report back to its liaison with a comment saying what to correct."""
    _project, report = lock_project_and_report(project_id=report.project_id, report_id=report.pk)
    _check_reviewer(by, report)
    if expected_version is not None and report.version != expected_version:
        raise StaleVersion(report.version)
    if ReportStatus.RETURNED not in TRANSITIONS[report.status]:
        raise ValidationError(_("Only a submitted report can be returned."))
    if not comment.strip():
        raise ValidationError({"comment": _("Say what must be corrected.")})
    return _bump(
        report,
        report.version,
        by,
        status=ReportStatus.RETURNED,
        reviewed_by=by,
        reviewed_at=timezone.now(),
        review_comment=comment.strip(),
    )


@transaction.atomic
def progress_report_approve(
    *, report: ProgressReport, by, comment: str = "", expected_version: int | None = None
) -> ProgressReport:
    """Approve a submitted report and bring its project up to date: stage (logged), the stage-gated dates and the
    completed investment."""
    project, report = lock_project_and_report(project_id=report.project_id, report_id=report.pk)
    _check_reviewer(by, report, approving=True)
    if expected_version is not None and report.version != expected_version:
        raise StaleVersion(report.version)
    if ReportStatus.APPROVED not in TRANSITIONS[report.status]:
        raise ValidationError(_("Only a submitted report can be approved."))
    unappliable = report_application_errors(project=project, report=report)
    if unappliable:
        raise ValidationError(unappliable)
    try:
        with transaction.atomic():
            ReportParticipant.objects.create(report=report, user=by, role=ReportRole.APPROVER)
    except IntegrityError as exc:  # report_approver_not_an_author: an author the check above did not see
        raise PermissionDenied(_authors_do_not_approve()) from exc
    report = _bump(
        report,
        report.version,
        by,
        status=ReportStatus.APPROVED,
        reviewed_by=by,
        reviewed_at=timezone.now(),
        review_comment=comment.strip(),
    )
    project_apply_report(project=project, report=report, by=by)
    return report


def _latest_approved_period(project: Project, *, other_than: ProgressReport) -> str | None:
    return (
        ProgressReport.objects.filter(project=project, status=ReportStatus.APPROVED)
        .exclude(pk=other_than.pk)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


# The keys of project_change_stage's errors, as the report's fields that hold what they are about.
_STAGE_ERROR_FIELDS = {"note": "stage_back_reason", "signed_date": "stage"}


def report_application_errors(*, project: Project, report: ProgressReport) -> dict[str, list[str]]:
    """What of ``report`` could not be applied to ``project`` if it were approved now, in words on the report's
    fields (empty if everything applies). Approval refuses such a report rather than drop what the liaison
    reported: the reviewer returns it, or corrects the project first.

    - a start or production date that differs from the one the project already has;
    - a stage the project cannot take (a move back without a reason, a stage whose gate a date or the signing date
      does not open) — unless a later month is approved already, in which case the report does not move the
      project at all and only its dates can matter."""
    errors: dict[str, list[str]] = {}
    for field in ("actual_start_date", "actual_production_date"):
        reported, current = getattr(report, field), getattr(project, field)
        if reported and current and reported != current:
            errors.setdefault(field, []).append(
                _(
                    "The project's %(field)s is already %(current)s; the report says %(reported)s. Return the "
                    "report for correction, or correct the project first."
                )
                % {"field": Project._meta.get_field(field).verbose_name, "current": current, "reported": reported}
            )
    latest = _latest_approved_period(project, other_than=report)
    if latest is not None and latest > report.period:
        return errors
    stage_errors = stage_move_errors(
        project=project,
        to_stage=report.stage,
        note=report.stage_back_reason,
        actual_start_date=report.actual_start_date,
        actual_production_date=report.actual_production_date,
    )
    for key, message in stage_errors.items():
        field = _STAGE_ERROR_FIELDS.get(key, key)
        errors.setdefault(field, []).append(
            _("The project cannot move to “%(stage)s”: %(reason)s")
            % {"stage": Stage(report.stage).label, "reason": message}
        )
    return errors


def _from_report_note(report: ProgressReport) -> str:
    return _("From the approved progress report of %(period)s.") % {"period": report.period}


def project_apply_report(*, project: Project, report: ProgressReport, by) -> Project:
    """What an approved report changes on its project (called inside the approval's transaction, after
    ``report_application_errors`` found nothing): through the one writer of a project's stage, dates and completed
    investment, ``project_change_stage``, which logs a change of stage. A report of an earlier month than the
    latest approved one does not move the project back: it only fills a date the project does not have yet."""
    latest = _latest_approved_period(project, other_than=report)
    if latest is not None and latest > report.period:
        return project_change_stage(
            project=project,
            to_stage=project.stage,
            by=by,
            actual_start_date=project.actual_start_date or report.actual_start_date,
            actual_production_date=project.actual_production_date or report.actual_production_date,
        )
    return project_change_stage(
        project=project,
        to_stage=report.stage,
        by=by,
        actual_start_date=project.actual_start_date or report.actual_start_date,
        actual_production_date=project.actual_production_date or report.actual_production_date,
        note=report.stage_back_reason or _from_report_note(report),
        completed_investment=report.cumulative_investment,
    )


@transaction.atomic
def report_attachment_add(*, report: ProgressReport, upload: UploadedFile, by) -> ReportAttachment:
    """Attach a photo (JPEG/PNG) or a PDF of at most 10 MB to an editable report; the content must match the
    extension."""
    _project, report = lock_project_and_report(project_id=report.project_id, report_id=report.pk)
    _check_liaison_of(by, report.project)
    locked_because = report_lock_reason(report)
    if report.status not in EDITABLE or locked_because:
        raise ValidationError({"file": locked_because or _("This report cannot be changed.")})
    extension = os.path.splitext(upload.name or "")[1].lower()
    content_type = ATTACHMENT_TYPES.get(extension)
    if content_type is None:
        raise ValidationError({"file": _("Attach a photo (JPG, PNG) or a PDF.")})
    if upload.size is None or upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[content_type]):
        raise ValidationError({"file": _("The file's content is not a %(kind)s.") % {"kind": extension[1:].upper()}})
    if report.attachments.count() >= ATTACHMENTS_PER_REPORT:
        raise ValidationError({"file": _("A report has at most %(n)d attachments.") % {"n": ATTACHMENTS_PER_REPORT}})
    attachment = ReportAttachment(
        report=report,
        original_name=os.path.basename(upload.name)[:255],
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )
    attachment.file.save(f"{timezone.now():%Y%m%d%H%M%S}{extension}", upload, save=False)
    attachment.save()
    _record_author(report, by)
    return attachment


def may_open_attachments(user) -> bool:
    """Whether ``user`` opens attachments at all (to show a file name with or without its link)."""
    access = access_for(user)
    return access.sees_everything or access.is_liaison
