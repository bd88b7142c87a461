"""The county liaisons' pages: sign in, my projects, the monthly progress form. Views are thin: reads come from
``liaison.selectors``, every write from the services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import LoginView, LogoutView, redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import Access, access_for
from common.periods import current_month, is_month, month_add
from pairing.models import Region
from projects.models import ProgressReport, Project, ReportAttachment
from projects.reports import StaleVersion, period_is_closed, report_lock_reason
from projects.warnings import expected_periods

from . import workbooks
from .forms import ReportForm
from .selectors import (
    ReportState,
    due_day_of,
    last_report_before,
    month_before_today,
    month_initial,
    plan_against_actual,
    project_cards,
    recent_reports,
    report_threads,
    reporting_month,
    stage_history,
    workbook_lines,
)
from .services import month_workbook_import, progress_report_file


def liaison_required(view):
    """Anonymous → the liaison sign-in page; signed in without the liaison role → 403. The view gets the access."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("liaison:login"))
        access = access_for(request.user)
        if not access.is_liaison:
            return render(request, "liaison/forbidden.html", status=403)
        return view(request, access, *args, **kwargs)

    return wrapper


class LiaisonLoginView(LoginView):
    template_name = "liaison/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        # Back where the sign-in was asked for (the dashboard, say); otherwise provincial staff belong in the admin.
        if redirect_to := self.get_redirect_url():
            return redirect_to
        if not access_for(self.request.user).is_liaison:
            return reverse("admin:index")
        return reverse("liaison:projects")


class LiaisonLogoutView(LogoutView):
    next_page = "liaison:login"


def _county_name(access: Access) -> str:
    return Region.objects.filter(pk=access.county).values_list("name", flat=True).first() or access.county or ""


@liaison_required
def my_projects(request: HttpRequest, access: Access) -> HttpResponse:
    today = timezone.localdate()
    cards = project_cards(county=access.county, today=today)
    return render(
        request,
        "liaison/projects.html",
        {
            "county_name": _county_name(access),
            "period": month_before_today(today),
            "cards": [card for card in cards if not card.is_terminated],
            "terminated": [card for card in cards if card.is_terminated],
            "reports": recent_reports(access.county),
            "states": ReportState,
        },
    )


def _project_of(access: Access, project_id: int) -> Project:
    """A project located in the liaison's county; any other is 404, as if it did not exist."""
    return get_object_or_404(Project.objects.select_related("pairing"), pk=project_id, county_id=access.county)


@liaison_required
def report_new(request: HttpRequest, access: Access, project_id: int) -> HttpResponse:
    """The report due now (the previous month's)."""
    project = _project_of(access, project_id)
    return redirect("liaison:report", project_id=project.pk, period=month_before_today(timezone.localdate()))


def _lock_reason(project: Project, period: str, report: ProgressReport | None) -> str | None:
    if report is not None:
        return report_lock_reason(report)
    if period_is_closed(project=project, period=period):
        return _("The period %(period)s is closed.") % {"period": period}
    return None


@liaison_required
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, access: Access, project_id: int, period: str) -> HttpResponse:
    project = _project_of(access, project_id)
    report = ProgressReport.objects.filter(project=project, period=period).first()
    month = reporting_month(due_day=due_day_of(project.pairing.program_id), today=timezone.localdate())
    context = {"project": project, "report": report, "period": period, "month": month}

    lock = _lock_reason(project, period, report)
    if lock is not None:
        if request.method == "POST":
            messages.error(request, _("Nothing was saved: this report can no longer be changed."))
        context.update(lock_reason=lock, attachments=_attachments(report))
        return render(request, "liaison/report_readonly.html", context, status=409 if request.method == "POST" else 200)

    last = last_report_before(project, period)
    context["last"] = last
    if request.method != "POST":
        # A new report starts from last month's: only what changed is typed.
        initial = month_initial(project, period, last) if report is None else None
        context["form"] = ReportForm(project=project, report=report, period=period, **_initial(initial))
        context["attachments"] = _attachments(report)
        return render(request, "liaison/report_form.html", context)

    form = ReportForm(request.POST, request.FILES, project=project, report=report, period=period)
    submit = "submit" in request.POST
    status = 200
    if form.is_valid():
        chosen_period = period if report is not None else form.cleaned_data["period"]
        if report is None and chosen_period != period and _exists(project, chosen_period):
            form.add_error("period", _("A report for this month already exists: open it from your list."))
        else:
            try:
                saved = progress_report_file(
                    project=project,
                    period=chosen_period,
                    data=form.report_data(),
                    uploads=form.cleaned_data["attachments"],
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    submit=submit,
                )
            except ValidationError as error:
                form.add_service_errors(error)
            except StaleVersion as conflict:
                form = _with_version(form, conflict.current_version, project, report, period)
                context["conflict"] = True
                status = 409
            else:
                if submit:
                    messages.success(
                        request, _("The report for %(period)s was submitted for review.") % {"period": saved.period}
                    )
                    return redirect("liaison:projects")
                messages.success(request, _("The draft for %(period)s was saved.") % {"period": saved.period})
                return redirect("liaison:report", project_id=project.pk, period=saved.period)
    context["form"] = form
    context["attachments"] = _attachments(report)
    # Nothing was saved, so files chosen for this attempt must be chosen again.
    context["files_dropped"] = bool(request.FILES)
    return render(request, "liaison/report_form.html", context, status=status)


def _initial(initial: dict[str, object] | None) -> dict[str, object]:
    return {"initial": initial} if initial is not None else {}


def _exists(project: Project, period: str) -> bool:
    return ProgressReport.objects.filter(project=project, period=period).exists()


def _with_version(form: ReportForm, version: int, project, report, period) -> ReportForm:
    """The user's input, now based on the current version: saving again overwrites the other change knowingly."""
    data = form.data.copy()
    data["version"] = str(version)
    again = ReportForm(data, project=project, report=report, period=period)
    again.is_valid()
    return again


def _attachments(report: ProgressReport | None) -> list[ReportAttachment]:
    return list(report.attachments.all()) if report is not None else []


# --- The project page ---------------------------------------------------------------------------------------------


@liaison_required
def project_detail(request: HttpRequest, access: Access, project_id: int) -> HttpResponse:
    """Plan against actual, the stage history, every report with its review as a thread, and the month's report."""
    project = _project_of(access, project_id)
    month = reporting_month(due_day=due_day_of(project.pairing.program_id), today=timezone.localdate())
    threads = report_threads(project)
    latest = threads[0].report if threads else None
    month_report = next((thread.report for thread in threads if thread.report.period == month.period), None)
    return render(
        request,
        "liaison/project.html",
        {
            "project": project,
            "month": month,
            "month_report": month_report,
            "owes_month": month.period in expected_periods(project, through=month.period),
            "plan": plan_against_actual(project, latest),
            "stages": stage_history(project),
            "threads": threads,
        },
    )


# --- The month's workbook ---------------------------------------------------------------------------------------


def _workbook_period(request: HttpRequest, today) -> str:
    period = request.GET.get("period", "")
    if is_month(period) and period <= current_month(today):
        return period
    return month_before_today(today)


@liaison_required
@require_http_methods(["GET", "POST"])
def workbook(request: HttpRequest, access: Access) -> HttpResponse:
    """Download the month's workbook; upload it filled in: every row a draft, or nothing saved and each bad cell
    named."""
    today = timezone.localdate()
    period = _workbook_period(request, today)
    context: dict[str, object] = {"county_name": _county_name(access), "period": period, "today": today}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("workbook")
        if upload is None:
            context["errors"] = [_("Choose the filled-in workbook to upload.")]
            status = 400
        else:
            try:
                sheet = workbooks.read_workbook(upload, upload.name or "")
                outcome = month_workbook_import(sheet=sheet, county=access.county, by=request.user, today=today)
            except workbooks.WorkbookRejected as rejected:
                context["errors"] = [str(error) for error in rejected.errors]
                context["file_name"] = upload.name
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "The workbook for %(period)s was saved: %(created)d new drafts, %(updated)d drafts updated, "
                        "%(unchanged)d reports already in review or approved left as they were, %(skipped)d projects "
                        "left blank not reported. Check each draft and submit it."
                    )
                    % {
                        "period": sheet.period,
                        "created": len(outcome.created),
                        "updated": len(outcome.updated),
                        "unchanged": len(outcome.unchanged),
                        "skipped": len(outcome.skipped),
                    },
                )
                return redirect("liaison:projects")
    context["lines"] = workbook_lines(county=access.county, period=period)
    context["periods"] = [month_add(month_before_today(today), -back) for back in range(0, 6)]
    return render(request, "liaison/workbook.html", context, status=status)


@liaison_required
def workbook_download(request: HttpRequest, access: Access, period: str) -> HttpResponse:
    today = timezone.localdate()
    if period > current_month(today):
        messages.error(request, _("The period %(period)s is in the future.") % {"period": period})
        return redirect("liaison:workbook")
    content = workbooks.build_workbook(
        lines=workbook_lines(county=access.county, period=period), period=period, county_name=_county_name(access)
    )
    response = HttpResponse(content, content_type=workbooks.MEDIA_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=workbooks.download_name(period)
    )
    return response
