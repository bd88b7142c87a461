"""Admin for the year-end surplus reward runs: start (or re-run) a draft, read its explainer, approve it."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyInline, ServiceAdmin, ServiceModelForm, money_column, money_html
from funds.models import Fund, FundKind, RewardPayout, RewardRun, RewardRunStatus, RewardShare
from funds.reward_runs import RewardRunConflict, reward_run_approve, reward_run_start


class RewardShareInline(ReadOnlyInline):
    model = RewardShare
    fields = [
        "county",
        "money_main_tax_previous",
        "money_main_tax",
        "growth_pct_display",
        "money_increment",
        "eligible",
        "reason",
        "weight",
        "exact_share",
        "capped",
        "money_share",
        "release",
    ]
    readonly_fields = fields
    money_main_tax = money_column("main_tax", _("main-tax revenue"))
    money_main_tax_previous = money_column("main_tax_previous", _("previous year's main-tax revenue"))
    money_increment = money_column("increment", _("increment"))
    money_share = money_column("share", _("share"))

    @admin.display(description=_("main-tax growth (%)"))
    def growth_pct_display(self, obj: RewardShare) -> str:
        return "—" if obj.growth_pct is None else f"{obj.growth_pct:.2f}"


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
    inlines = [RewardShareInline]
    list_display = [
        "fund",
        "status",
        "period",
        "money_fund_total",
        "money_disbursed",
        "money_surplus",
        "eligible_count",
        "created_by",
        "approved_by",
        "approved_at",
    ]
    list_filter = ["status", "fund__year", "fund__program"]
    list_select_related = ["fund", "created_by", "approved_by"]
    actions = ["approve_runs", "rerun_drafts"]
    money_fund_total = money_column("fund_total", _("fund total"))
    money_disbursed = money_column("disbursed", _("disbursed"))
    money_surplus = money_column("surplus", _("surplus"))

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
            "explainer_table",
            "created_by",
            "created_at",
            "computed_at",
            "approved_by",
            "approved_at",
            "edits_table",
        ]

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

    @admin.display(description=_("explainer"))
    def explainer_table(self, obj: RewardRun) -> str:
        """Each step of the arithmetic with its numbers, in order, as the finance office reads it."""
        if not obj.explainer:
            return "—"
        rows = []
        for number, step in enumerate(obj.explainer, start=1):
            details = {
                key: value for key, value in step.items() if key not in {"step", "code"} and not isinstance(value, list)
            }
            listed = [value for value in step.values() if isinstance(value, list)]
            detail_html = format_html_join(
                "", "<div><small>{}</small>: <code>{}</code></div>", ((key, value) for key, value in details.items())
            )
            for items in listed:
                detail_html += format_html_join(
                    "",
                    "<div><code>{}</code></div>",
                    ((item if not isinstance(item, dict) else _line(item),) for item in items),
                )
            rows.append(
                format_html("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", number, step.get("step", ""), detail_html)
            )
        return format_html(
            '<table class="reward-explainer"><thead><tr><th>#</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("step"),
            _("figures"),
            format_html_join("", "{}", ((row,) for row in rows)),
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


def _change(value) -> str:
    """A rule field as started (a value) or changed ([before, after])."""
    if isinstance(value, list):
        return " → ".join("—" if part is None else str(part) for part in value)
    return "—" if value is None else str(value)


def _line(item: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in item.items())
