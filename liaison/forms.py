"""The monthly progress form. Amounts are typed in 万元 and cleaned to yuan; every business rule is the service's
(``projects.reports``), whose messages are put back on the fields they concern."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.forms import WAN_LIMIT, WAN_PLACES, WanField, wan_text  # noqa: F401 (liaison.forms names kept)
from projects.models import (
    STAGES_NEEDING_PRODUCTION,
    STAGES_NEEDING_START,
    ProblemCategory,
    ProgressReport,
    Project,
    Stage,
)
from projects.reports import ATTACHMENT_TYPES, REPORT_FIELDS, ReportData

# Keys of the services' ValidationError that are not named like the form's fields.
SERVICE_FIELD_ALIASES = {"file": "attachments"}
# What the phone's file picker offers; the service checks the extension and the content.
ACCEPT = ",".join([*ATTACHMENT_TYPES, *sorted(set(ATTACHMENT_TYPES.values()))])


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by ``report_attachment_add``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [cleaned for cleaned in (single(item, initial) for item in items if item) if cleaned]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportForm(forms.Form):
    period = forms.CharField(
        label=_("Month reported"),
        max_length=7,
        help_text=_("YYYY-MM"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    stage = forms.ChoiceField(label=_("Stage reached"), choices=Stage.choices)
    stage_back_reason = forms.CharField(
        label=_("Why the stage moved back"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    actual_start_date = forms.DateField(label=_("Actual start date"), required=False, widget=_date_input())
    actual_production_date = forms.DateField(label=_("Actual production date"), required=False, widget=_date_input())
    cumulative_investment = WanField(label=_("Cumulative investment completed (万元)"), allow_negative=True)
    month_investment = WanField(label=_("Investment this month (万元)"), allow_negative=True)
    # No lower bound here: a negative number gets the service's message. The upper one is the database column's.
    jobs_created = forms.IntegerField(
        label=_("Jobs created"),
        required=False,
        max_value=2_147_483_647,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    output_value = WanField(label=_("Output value (万元)"), required=False, allow_negative=True)
    tax_paid = WanField(label=_("Tax paid (万元)"), required=False, allow_negative=True)
    problem_category = forms.ChoiceField(
        label=_("Problem needing provincial coordination"),
        choices=[("", _("None")), *ProblemCategory.choices],
        required=False,
    )
    problems = forms.CharField(
        label=_("Describe the problem"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(
        label=_("Add photos or PDFs"),
        help_text=_("JPG, PNG or PDF, at most 10 MB each."),
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, project: Project, report: ProgressReport | None, period: str, **kwargs) -> None:
        self.project = project
        self.report = report
        if report is not None:
            initial = {field: getattr(report, field) for field in REPORT_FIELDS}
            initial.update(period=report.period, version=report.version)
        else:
            initial = {
                "period": period,
                "stage": project.stage,
                "cumulative_investment": project.completed_investment,
                "version": 0,
            }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        # A report stays on its month; only a new one chooses it.
        self.fields["period"].disabled = report is not None

    # --- what the template shows -------------------------------------------------------------------------------

    @property
    def chosen_stage(self) -> str:
        stage = self["stage"].value()
        return stage if stage in Stage.values else self.project.stage

    def _relevant(self, field: str, condition: bool) -> bool:
        """Shown when the stage calls for it, or whenever it holds a value or an error to correct."""
        return condition or bool(self[field].value()) or field in self.errors

    @property
    def shows_start(self) -> bool:
        return self._relevant("actual_start_date", self.chosen_stage in STAGES_NEEDING_START)

    @property
    def shows_production(self) -> bool:
        return self._relevant("actual_production_date", self.chosen_stage in STAGES_NEEDING_PRODUCTION)

    @property
    def shows_output(self) -> bool:
        producing = self.chosen_stage in STAGES_NEEDING_PRODUCTION
        return self._relevant("output_value", producing) or self._relevant("tax_paid", producing)

    @property
    def shows_stage_back(self) -> bool:
        return self._relevant("stage_back_reason", Stage.order(self.chosen_stage) < Stage.order(self.project.stage))

    @property
    def stage_rules(self) -> dict[str, object]:
        """What the page's script needs to show and hide the stage-dependent fields as the stage changes."""
        return {
            "order": list(Stage.values),
            "project": self.project.stage,
            "start": [str(stage) for stage in STAGES_NEEDING_START],
            "production": [str(stage) for stage in STAGES_NEEDING_PRODUCTION],
        }

    # --- to and from the services ------------------------------------------------------------------------------

    def report_data(self) -> ReportData:
        data = self.cleaned_data
        return ReportData(
            stage=data["stage"],
            cumulative_investment=data["cumulative_investment"],
            month_investment=data["month_investment"],
            jobs_created=data["jobs_created"] if data["jobs_created"] is not None else 0,
            output_value=data["output_value"],
            tax_paid=data["tax_paid"],
            problem_category=data["problem_category"],
            problems=data["problems"],
            stage_back_reason=data["stage_back_reason"],
            actual_start_date=data["actual_start_date"],
            actual_production_date=data["actual_production_date"],
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Put each of the service's messages next to the field it names; the rest above the form."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            field = SERVICE_FIELD_ALIASES.get(key, key)
            if field not in self.fields or field == "version":
                field = None
            for message in messages:
                self.add_error(field, message)
