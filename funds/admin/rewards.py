"""Admin for the year-end surplus reward runs: start (or re-run) a draft, read its working paper (also printable and
in Excel), discard it, close the fund's year after a confirmation page that lists what closing does (and reopen it
while the run is not approved), approve it."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ServiceAdmin, ServiceModelForm, money_column, money_html, truncated_column
from funds.exports import reward_run_filename, reward_run_workbook, xlsx_response
from funds.models import Fund, FundKind, RewardPayout, RewardRun, RewardRunStatus
from funds.reward_paper import reward_paper
from funds.reward_runs import (
    RewardRunConflict,
    reward_run_approve,
    reward_run_changes,
    reward_run_discard,
    reward_run_start,
)
from funds.services import FundYearConflict, fund_close_year, fund_reopen_year, year_close_consequences


class RewardRunForm(ServiceModelForm):
    class Meta:
        model = RewardRun
        fields = ["fund", "threshold_pct", "basis", "cap"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "fund" in self.fields:
            self.fields["fund"].queryset = Fund.objects.filter(kind=FundKind.GUIDANCE).exclude(
                reward_run__status=RewardRunStatus.APPROVED
            )


@admin.register(RewardRun)
class RewardRunAdmin(SimpleHistoryAdmin, ServiceAdmin):
    """The add form starts a run (or re-runs the fund's draft); approval is an action on the list. Nothing else is
    edited by hand: the figures come from the fund and the statistics."""

    form = RewardRunForm
    # The working paper shows every line of the run, in 万元 to the fen; no inline repeats it with raw decimals.
    inlines = []
    # What fits at 1440 px: the fund's name cut (whole in its tooltip), who drafted and who approved in one column.
    list_display = [
        "fund_short",
        "status",
        # The statistics period is the fund's year, already in its name: the column says whether that year is closed.
        "year_column",
        "money_fund_total",
        "money_disbursed",
        "money_surplus",
        "eligible_count",
        "hands_column",
    ]
    list_display_links = ["fund_short"]
    list_filter = ["status", "fund__year", "fund__program"]
    list_select_related = ["fund", "created_by", "approved_by"]
    actions = ["approve_runs", "rerun_drafts", "discard_drafts"]
    money_fund_total = money_column("fund_total", _("fund total"), unit="header")
    money_disbursed = money_column("disbursed", _("disbursed"), unit="header")
    money_surplus = money_column("surplus", _("surplus"), unit="header")
    fund_short = truncated_column("fund__name", _("fund"), ordering="fund__name")

    @admin.display(description=_("drafted / approved"), ordering="approved_at")
    def hands_column(self, obj: RewardRun) -> str:
        drafted = obj.created_by.get_username() if obj.created_by else "—"
        if obj.approved_by is None:
            return drafted
        approved_on = date_format(localtime(obj.approved_at), "Y-m-d") if obj.approved_at else ""
        return format_html("{} / {} <small>{}</small>", drafted, obj.approved_by.get_username(), approved_on)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        from django.db.models import Count, Q

        return super().get_queryset(request).annotate(eligible_total=Count("shares", filter=Q(shares__eligible=True)))

    @admin.display(description=_("eligible counties"), ordering="eligible_total")
    def eligible_count(self, obj: RewardRun) -> int:
        return obj.eligible_total

    def get_fields(self, request: HttpRequest, obj: RewardRun | None = None) -> list[str]:
        if obj is None:
            return ["fund", "threshold_pct", "basis", "cap"]
        return [
            "fund",
            "status",
            "period",
            "threshold_pct",
            "basis",
            "cap",
            "money_fund_total",
            "money_disbursed",
            "money_surplus",
            "year_state",
            "freshness",
            "paper_html",
            "created_by",
            "created_at",
            "computed_at",
            "approved_by",
            "approved_at",
            "edits_table",
        ]

    def _url(self, name: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:funds_rewardrun_{name}", args=args)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("year/<int:fund_id>/close/", view(self.close_year_view), name="funds_rewardrun_close_year"),
            path("year/<int:fund_id>/reopen/", view(self.reopen_year_view), name="funds_rewardrun_reopen_year"),
            path("<int:object_id>/paper/", view(self.paper_view), name="funds_rewardrun_paper"),
            path("<int:object_id>/xlsx/", view(self.xlsx_view), name="funds_rewardrun_xlsx"),
            *super().get_urls(),
        ]

    def _run_for_reading(self, request: HttpRequest, object_id: int) -> RewardRun:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = RewardRun.objects.select_related("fund__program", "approved_by").filter(pk=object_id).first()
        if run is None:
            raise Http404
        return run

    def paper_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The working paper alone, laid out for printing (A4 landscape)."""
        run = self._run_for_reading(request, object_id)
        context = {
            "paper": reward_paper(run),
            "back_url": self._url("change", run.pk),
            "printed_at": timezone.now(),
        }
        return TemplateResponse(request, "admin/funds/rewardrun/paper_print.html", context)

    def xlsx_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        run = self._run_for_reading(request, object_id)
        return xlsx_response(reward_run_workbook(run), reward_run_filename(run))

    def close_year_view(self, request: HttpRequest, fund_id: int) -> HttpResponse:
        return self._year_view(request, fund_id, reopen=False)

    def reopen_year_view(self, request: HttpRequest, fund_id: int) -> HttpResponse:
        return self._year_view(request, fund_id, reopen=True)

    def _year_view(self, request: HttpRequest, fund_id: int, *, reopen: bool) -> HttpResponse:
        """GET: what closing (reopening) the year does, and a confirm button; POST with the confirmation: do it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        fund = Fund.objects.select_related("program", "closed_by").filter(pk=fund_id).first()
        if fund is None:
            raise Http404
        run = RewardRun.objects.filter(fund=fund).first()
        back_url = self._url("change", run.pk) if run is not None else self._url("changelist")
        refusal = None
        if reopen and fund.frozen_at is None:
            refusal = _("The %(year)s year is open: there is nothing to reopen.") % {"year": fund.year}
        elif reopen and run is not None and run.status == RewardRunStatus.APPROVED:
            refusal = _("The %(year)s reward run is approved and paid: the year stays closed.") % {"year": fund.year}
        elif not reopen and fund.frozen_at is not None:
            refusal = _("The %(year)s year is already closed.") % {"year": fund.year}
        if request.method == "POST" and refusal is None and request.POST.get("confirm") == "yes":
            try:
                if reopen:
                    fund_reopen_year(fund=fund, by=request.user)
                else:
                    fund_close_year(fund=fund, by=request.user)
            except (FundYearConflict, PermissionDenied) as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                done = _("The %(year)s year is reopened.") if reopen else _("The %(year)s year is closed.")
                self.message_user(request, done % {"year": fund.year}, messages.SUCCESS)
            return HttpResponseRedirect(back_url)
        if reopen:
            title = _("Reopen the %(year)s fund year") % {"year": fund.year}
            question = _("Reopen the year of %(fund)s?") % {"fund": fund}
            consequences = [
                _("Allocations, disbursements, partner contributions and investments can be booked on the fund again."),
                _(
                    "A draft reward run computed on the closed figures is refused at approval if they change: run it "
                    "again."
                ),
                _("The year must be closed again before the reward run can be approved."),
            ]
            confirm_label = _("Yes, reopen the year")
        else:
            title = _("Close the %(year)s fund year") % {"year": fund.year}
            question = _("Close the year of %(fund)s?") % {"fund": fund}
            consequences = year_close_consequences(fund)
            confirm_label = _("Yes, close the year")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": run or fund,
            "fund": fund,
            "change_url": back_url,
            "changelist_url": self._url("changelist"),
            "back_url": back_url,
            "refusal": refusal,
            "question": question,
            "consequences": consequences,
            "confirm_label": confirm_label,
        }
        return TemplateResponse(request, "admin/funds/rewardrun/year_confirm.html", context)

    @admin.display(description=_("fund year"))
    def year_state(self, obj: RewardRun) -> str:
        fund = obj.fund
        if fund.frozen_at is None:
            state = _("Open: money can still be allocated and paid. Close the year before the run is approved.")
            button = (self._url("close_year", fund.pk), _("Close the year…"))
        else:
            by = fund.closed_by.get_username() if fund.closed_by_id else _("the system")
            state = _("Closed at %(at)s by %(by)s.") % {
                "at": date_format(localtime(fund.frozen_at), "DATETIME_FORMAT"),
                "by": by,
            }
            button = None
            if obj.status != RewardRunStatus.APPROVED:
                button = (self._url("reopen_year", fund.pk), _("Reopen the year…"))
        links = [button] if button else []
        links += [(self._url("paper", obj.pk), _("Print the working paper")), (self._url("xlsx", obj.pk), _("Excel"))]
        return format_html(
            '<div class="reward-year-state"><span>{}</span>{}</div>',
            state,
            format_html_join("", '<a class="button" href="{}">{}</a>', links),
        )

    @admin.display(description=_("fund year"), ordering="fund__frozen_at")
    def year_column(self, obj: RewardRun) -> str:
        """Closed or open, with the step that comes next (close, or reopen while the run is not approved)."""
        if obj.fund.frozen_at is None:
            return format_html(
                '{} · <a href="{}">{}</a>',
                pgettext("fund year", "open"),
                self._url("close_year", obj.fund_id),
                _("Close the year…"),
            )
        if obj.status == RewardRunStatus.APPROVED:
            return pgettext("fund year", "closed")
        return format_html(
            '{} · <a href="{}">{}</a>',
            pgettext("fund year", "closed"),
            self._url("reopen_year", obj.fund_id),
            _("Reopen the year…"),
        )

    @admin.display(description=_("figures up to date"))
    def freshness(self, obj: RewardRun) -> str:
        if obj.status == RewardRunStatus.APPROVED:
            return _("Approved on the figures shown.")
        reasons = reward_run_changes(run=obj)
        if not reasons:
            return _("Yes: the draft was computed on the fund's and the statistics' figures as they are now.")
        return format_html(
            '<div class="reward-stale"><strong>{}</strong><ul>{}</ul></div>',
            _("No: run the draft again before approving it."),
            format_html_join("", "<li>{}</li>", ((reason,) for reason in reasons)),
        )

    @admin.display(description=_("working paper"))
    def paper_html(self, obj: RewardRun) -> str:
        return render_to_string("admin/funds/rewardrun/paper_tables.html", {"paper": reward_paper(obj)})

    def get_readonly_fields(self, request: HttpRequest, obj: RewardRun | None = None) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: RewardRun | None = None) -> bool:
        # The detail page is for reading; changes are a re-run (add form or action) or an approval.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: RewardRun | None = None) -> bool:
        return False

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> RewardRun:
        data = form.cleaned_data
        try:
            run, _created = reward_run_start(
                fund=data["fund"],
                by=request.user,
                threshold_pct=data.get("threshold_pct"),
                basis=data.get("basis"),
                cap=data.get("cap"),
                clear_cap=data.get("cap") is None,
            )
        except RewardRunConflict as exc:
            raise ValidationError({"fund": str(exc)}) from exc
        return run

    @admin.display(description=_("who touched the draft"))
    def edits_table(self, obj: RewardRun) -> str:
        """Every start, recomputation and rule change with its person (or the scheduled job), time and changes; none
        of them may approve the run."""
        edits = obj.edits.select_related("by").order_by("at", "id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    edit.by.get_username() if edit.by else _("the scheduled job"),
                    date_format(localtime(edit.at), "DATETIME_FORMAT"),
                    edit.get_action_display(),
                    "; ".join(f"{name}: {_change(value)}" for name, value in sorted(edit.changes.items())) or "—",
                )
                for edit in edits
            ),
        )
        return format_html(
            '<table class="reward-run-edits"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            '<tbody>{}</tbody></table><p class="help">{}</p>',
            _("by"),
            _("at"),
            _("what"),
            _("changes"),
            rows,
            _("Whoever started, recomputed or changed the draft cannot approve it."),
        )

    @admin.action(description=_("Approve the selected draft runs and record the payouts"), permissions=["change"])
    def approve_runs(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset:
            try:
                reward_run_approve(run=run, by=request.user)
            except (RewardRunConflict, PermissionDenied) as exc:
                self.message_user(request, f"{run}: {exc}", messages.ERROR)
            else:
                total = sum(p.amount for p in RewardPayout.objects.filter(run=run))
                self.message_user(
                    request,
                    format_html("{}: {} {}", run, _("approved; paid out"), money_html(total)),
                    messages.SUCCESS,
                )

    @admin.action(description=_("Re-run the selected drafts with the latest statistics"), permissions=["add"])
    def rerun_drafts(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset:
            try:
                reward_run_start(fund=run.fund, by=request.user)
            except (RewardRunConflict, ValidationError) as exc:
                self.message_user(request, f"{run}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(run)s: recomputed") % {"run": run}, messages.SUCCESS)

    @admin.action(description=_("Discard the selected draft runs"), permissions=["add"])
    def discard_drafts(self, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset.select_related("fund"):
            label = str(run)
            try:
                reward_run_discard(run=run, by=request.user)
            except (RewardRunConflict, PermissionDenied) as exc:
                self.message_user(request, f"{label}: {exc}", messages.ERROR)
            else:
                self.message_user(request, _("%(run)s: discarded") % {"run": label}, messages.SUCCESS)


def _change(value) -> str:
    """A rule field as started (a value) or changed ([before, after])."""
    if isinstance(value, list):
        return " → ".join("—" if part is None else str(part) for part in value)
    return "—" if value is None else str(value)
