"""The provincial officers' review workspace in the admin: the queue of submitted reports (the longest waiting
first) and one page per report with this month against last month, the plan, the changes since the last approved
report and the validation rules' warnings, with 通过 / 退回 buttons that call the same services as everywhere else
and then open the next report in the queue."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ProgressReport, ReportStatus
from .reports import StaleVersion, progress_report_approve, progress_report_return
from .review import next_in_queue, review_page, review_queue, waiting_counts

QUEUE_PAGE = 200  # the queue lists the longest waiting reports first; the changelist has the rest


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return"))])
    comment = forms.CharField(
        label=_("comment to the liaison"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning: say what must be corrected."),
    )
    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say what must be corrected."))
        return data


def _field_label(name: str) -> str:
    """ "Label: " of a report's field named by a service's error, to put before its message."""
    try:
        return f"{ProgressReport._meta.get_field(name).verbose_name}: "
    except FieldDoesNotExist:
        return ""


class ReviewWorkspaceMixin:
    """Views of ``ProgressReportAdmin`` (``get_urls`` there)."""

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        program = request.GET.get("program", "")
        county = request.GET.get("county", "")
        queue = review_queue()
        if program.isdigit():
            queue = queue.filter(project__pairing__program_id=int(program))
        if county.isdigit():
            queue = queue.filter(project__county_id=county)
        reports = list(queue[:QUEUE_PAGE])
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reports waiting for review"),
            "opts": self.opts,
            "rows": [(report, now - report.submitted_at if report.submitted_at else None) for report in reports],
            "counts": waiting_counts(),
            "total": queue.count(),
            "shown": len(reports),
            "changelist_url": reverse("admin:projects_progressreport_changelist"),
            "filtered": bool(program or county),
        }
        return TemplateResponse(request, "admin/projects/progressreport/review_queue.html", context)

    def review_view(self, request: HttpRequest, report_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = get_object_or_404(ProgressReport.objects.select_related("submitted_by"), pk=report_id)
        may_decide = self.has_change_permission(request, report)
        form = DecisionForm(initial={"seen_version": report.version})
        if request.method == "POST":
            if not may_decide:
                raise PermissionDenied
            form = DecisionForm(request.POST)
            if form.is_valid():
                done = self._decide(request, report, form)
                if done is not None:
                    return done
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review: %(report)s") % {"report": report},
            "opts": self.opts,
            "page": review_page(report),
            "form": form,
            "may_decide": may_decide and report.status == ReportStatus.SUBMITTED,
            "queue_url": reverse("admin:projects_progressreport_review_queue"),
            "change_url": reverse("admin:projects_progressreport_change", args=[report.pk]),
            "changelist_url": reverse("admin:projects_progressreport_changelist"),
        }
        return TemplateResponse(request, "admin/projects/progressreport/review.html", context)

    def _decide(self, request: HttpRequest, report: ProgressReport, form: DecisionForm) -> HttpResponse | None:
        """Approve or return through the services; on success, on to the next report of the queue. A refusal
        (someone decided first, an author approving, a figure that cannot be applied) stays on the page with its
        reason on the form."""
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                progress_report_approve(
                    report=report, by=request.user, comment=data["comment"], expected_version=data["seen_version"]
                )
                message = _("Report %(report)s approved.") % {"report": report}
            else:
                progress_report_return(
                    report=report, by=request.user, comment=data["comment"], expected_version=data["seen_version"]
                )
                message = _("Report %(report)s returned to the liaison with your comment.") % {"report": report}
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            return None
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            return None
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        if field == "comment":
                            form.add_error("comment", error)
                        else:
                            form.add_error(None, f"{_field_label(field)}{error}")
            else:
                for error in exc.messages:
                    form.add_error(None, error)
            return None
        self.message_user(request, message, messages.SUCCESS)
        following = next_in_queue(after=report, reviewer=request.user)
        if following is None:
            self.message_user(request, _("No more reports wait for your review."), messages.INFO)
            return HttpResponseRedirect(reverse("admin:projects_progressreport_review_queue"))
        return HttpResponseRedirect(reverse("admin:projects_progressreport_review", args=[following.pk]))
