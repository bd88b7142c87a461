"""Pieces every app's admin shares: money columns, the sample-data badge and filter, and service-backed forms.

Service-backed forms: the admin must write through the services, and a service's ``ValidationError`` must land on
the form with nothing saved. A form of a ``ServiceAdmin`` therefore runs the whole save (the service calls and any
plain save) inside a savepoint during validation and rolls it back: whatever the services or the database refuse
becomes a form error. Once the form is valid, ``save_model`` runs the same save for real inside the transaction the
admin's change view already holds, so a write is either complete or absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.forms.models import InlineForeignKeyField, construct_instance
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from common.money import format_money, format_wan, wan_number

# --- Display helpers ------------------------------------------------------------------------------------------------

MONEY_COLUMN_PREFIX = "money_"  # static/admin_extra/admin.css right-aligns columns named money_*


def money_html(amount: Decimal | None, *, unit: str = "wan") -> str:
    """``unit``: "wan" (万元 after each figure), "auto" (万元 or 亿元), or "header" (the figure alone, in 万元: the
    column's header names the unit, so one column has one unit and a narrow list stays narrow)."""
    formats = {"header": wan_number, "auto": format_money}
    text = formats.get(unit, format_wan)(amount)
    return format_html('<span class="money">{}</span>', text)


def money_column(
    field: str, description: Any, *, ordering: str | None = None, unit: str = "wan"
) -> Callable[[Any, models.Model], str]:
    """A list/read-only column showing ``field`` (yuan, possibly through relations with ``__``) in 万元, sortable.

    Assign it to an attribute named ``money_<something>`` so the column is right-aligned.
    """

    def value_of(obj: models.Model) -> Decimal | None:
        value: Any = obj
        for part in field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    label = description
    if unit == "header":
        description = format_lazy("{} ({})", description, _("10k yuan"))

    @admin.display(description=description, ordering=ordering or field)
    def column(self, obj: models.Model) -> str:
        return money_html(value_of(obj), unit=unit)

    column.money_label = label  # an export names its yuan and 万元 columns itself
    column.money_amount = value_of  # exports write the amount in yuan, not the text (common/admin_exports.py)
    return column


def truncated_column(
    field: str, description: Any, *, ordering: str | None = None
) -> Callable[[Any, models.Model], str]:
    """A list column showing ``field`` (through relations with ``__``) on one line, cut with an ellipsis by the
    stylesheet when it is long (``.truncated`` in static/admin_extra/admin.css), the whole text in its tooltip."""

    def value_of(obj: models.Model) -> Any:
        value: Any = obj
        for part in field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return value

    @admin.display(description=description, ordering=ordering or field)
    def column(self, obj: models.Model) -> str:
        text = str(value_of(obj))
        return format_html('<span class="truncated" title="{}">{}</span>', text, text)

    return column


def remaining_column(limit: str, running: str, description: Any) -> Callable[[Any, models.Model], str]:
    """Column for what is left of a limit (``limit − running``), sortable by an annotation ``<limit>_left``."""

    def value_of(obj: models.Model) -> Decimal | None:
        limit_value, running_value = getattr(obj, limit), getattr(obj, running)
        if limit_value is None or running_value is None:  # an empty inline row
            return None
        return limit_value - running_value

    @admin.display(description=description, ordering=f"{limit}_left")
    def column(self, obj: models.Model) -> str:
        return money_html(value_of(obj))

    column.money_amount = value_of  # exports write the amount in yuan, not the text (common/admin_exports.py)
    return column


def sample_badge_html(is_sample: bool) -> str:
    if not is_sample:
        return ""
    return format_html('<span class="sample-badge" title="{}">{}</span>', _("Sample data, not documented"), _("Sample"))


class SampleFilter(admin.SimpleListFilter):
    title = _("data origin")
    parameter_name = "sample"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("yes", _("Sample")), ("no", _("Documented"))]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() == "yes":
            return queryset.filter(is_sample=True)
        if self.value() == "no":
            return queryset.filter(is_sample=False)
        return queryset


def hide_sample_field(fieldsets, obj: models.Model | None) -> list:
    """``fieldsets`` without ``is_sample`` unless ``obj`` is a sample row: sample data comes from ``seed_demo`` only,
    so the box has no place on the form of a new row or of a documented one."""
    if obj is not None and getattr(obj, "is_sample", False):
        return list(fieldsets)

    def kept(fields):
        for field in fields:
            if isinstance(field, (list, tuple)):
                if inner := [name for name in field if name != "is_sample"]:
                    yield tuple(inner)
            elif field != "is_sample":
                yield field

    return [(title, {**options, "fields": list(kept(options["fields"]))}) for title, options in fieldsets]


class SampleMixin:
    """For models with ``is_sample``: a badge column ``sample_badge``, the ``SampleFilter``, and no "sample data" box
    on the forms of new or documented rows (``hide_sample_field``; admins that define ``get_fieldsets`` call it)."""

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None):
        return hide_sample_field(super().get_fieldsets(request, obj), obj)

    @admin.display(description=_("Sample"), ordering="is_sample")
    def sample_badge(self, obj: models.Model) -> str:
        return sample_badge_html(obj.is_sample)


class ProbedDatesQuerySet(models.QuerySet):
    """A queryset whose ``dates()`` / ``datetimes()`` (what the admin's date hierarchy lists: the years, months or
    days that have rows) probe each year, month or day between the first and the last row with an ``EXISTS`` over a
    range of the column, which its index answers, instead of ``SELECT DISTINCT DATE_TRUNC(…)`` over every row (a
    million progress reports nationally). Same values; a list rather than a queryset."""

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> list:
        return self._probe(field_name, kind, order, aware=False)

    def datetimes(self, field_name: str, kind: str, order: str = "ASC", tzinfo=None, **kwargs) -> list:
        return self._probe(field_name, kind, order, aware=True)

    def _probe(self, field_name: str, kind: str, order: str, *, aware: bool) -> list:
        span = self.aggregate(first=models.Min(field_name), last=models.Max(field_name))
        if span["first"] is None:
            return []
        first, last = span["first"], span["last"]
        if aware:
            first, last = timezone.localtime(first).date(), timezone.localtime(last).date()
        buckets = []
        start = {"year": dt.date(first.year, 1, 1), "month": dt.date(first.year, first.month, 1), "day": first}[kind]
        while start <= last:
            if kind == "year":
                end = dt.date(start.year + 1, 1, 1)
            elif kind == "month":
                end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
            else:
                end = start + dt.timedelta(days=1)
            low, high = start, end
            if aware:
                low = timezone.make_aware(dt.datetime.combine(start, dt.time()))
                high = timezone.make_aware(dt.datetime.combine(end, dt.time()))
            if self.filter(**{f"{field_name}__gte": low, f"{field_name}__lt": high}).exists():
                buckets.append(low)
            start = end
        return buckets if order == "ASC" else buckets[::-1]


def with_probed_dates(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` as a ``ProbedDatesQuerySet`` (for a changelist's ``get_queryset`` with a large date hierarchy)."""
    return ProbedDatesQuerySet(model=queryset.model, query=queryset.query.chain(), using=queryset._db)


class TrackerModelAdmin(admin.ModelAdmin):
    """Base of every tracker admin: the shared stylesheet, a sensible page size, no 'save as new'."""

    list_per_page = 50
    save_as = False
    show_full_result_count = False

    class Media:
        css = {"all": ["admin_extra/admin.css"]}


class GeneratedDocumentAdmin(TrackerModelAdmin):
    """Admin of documents that only their service writes (bulletins, evaluation reports): listed and read, generated
    from the admin's own form by whoever may add them, never added, edited or deleted by hand.

    These documents hold every county's figures; the admin site itself admits the provincial roles only
    (``config.admin_site.TrackerAdminSite.has_permission``), whatever permissions an account was given by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_generate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.add_{self.opts.model_name}")

    def _url(self, name: str, *args: Any) -> str:
        """The admin URL ``<app>_<model>_<name>`` of this model (changelist, change, and the admin's own views)."""
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)


# --- Service-backed writes -------------------------------------------------------------------------------------------


class _DryRun(Exception):
    """Raised to roll back the savepoint of a validation run."""


def add_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: on the named field when the form has it, else on top.

    A form whose fields are named differently from the service's arguments maps them in ``service_field_names``.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    renamed = getattr(form, "service_field_names", {})
    for field, errors in exc.error_dict.items():
        field = renamed.get(field, field)
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        if target is not None and target not in form.cleaned_data:
            # The field already failed its own validation; keep that message and show this one on top.
            target = None
        form.add_error(target, errors)


def dry_run(form: forms.BaseForm, save: Callable[[], Any]) -> bool:
    """Run ``save`` in a savepoint that is always rolled back; record what the services refuse on ``form``.

    Returns False when the database itself refused the save (a constraint the services do not check).
    """
    try:
        with transaction.atomic():
            save()
            raise _DryRun
    except _DryRun:
        pass
    except ValidationError as exc:
        add_service_error(form, exc)
    except IntegrityError:
        return False
    return True


class ServiceModelForm(forms.ModelForm):
    """Model form whose save is checked by a rolled-back run of the real save (see the module docstring).

    ``ServiceAdmin.get_form`` sets ``perform_save`` on the class it builds for one request.
    """

    perform_save: Callable[[forms.ModelForm], models.Model] | None = None

    def _post_clean(self) -> None:
        save = type(self).perform_save
        if save is None:
            super()._post_clean()
            return
        # As ModelForm._post_clean, but the model's unique and constraint checks are left to the services, which
        # check the same rules and say so in words; the database still enforces every constraint.
        exclude = self._get_validation_exclusions()
        exclude.update(name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField))
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)
        try:
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self._update_errors(exc)
        if self.errors:
            return
        if not dry_run(self, lambda: save(self)):
            # A plain field broke a constraint: let the model say which one.
            try:
                self.instance.validate_unique(exclude=exclude)
                self.instance.validate_constraints(exclude=exclude)
            except ValidationError as exc:
                self._update_errors(exc)
            else:
                self.add_error(None, _("The database refused this change: it breaks a rule of the data."))


class ServiceAdmin(TrackerModelAdmin):
    """Admin whose writes go through services.

    Subclasses implement ``create_via_service`` (the add form) and, where some fields are guarded by a service,
    ``change_via_service`` (the change form; the remaining fields are saved plainly afterwards).
    """

    form = ServiceModelForm

    def create_via_service(self, request: HttpRequest, form: forms.ModelForm) -> models.Model:
        raise NotImplementedError

    def change_via_service(self, request: HttpRequest, form: forms.ModelForm, obj: models.Model) -> None:
        """Run the services for guarded fields that changed. Default: nothing is guarded."""

    def perform_save(
        self, request: HttpRequest, form: forms.ModelForm, obj: models.Model, change: bool
    ) -> models.Model:
        if not change:
            return self.create_via_service(request, form)
        self.change_via_service(request, form, obj)
        obj.save()
        return obj

    def get_form(self, request: HttpRequest, obj: models.Model | None = None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        is_change = obj is not None

        def perform_save(form: forms.ModelForm) -> models.Model:
            return self.perform_save(request, form, form.instance, is_change)

        # The class was built by modelform_factory for this request alone, so the attribute is not shared.
        form_class.perform_save = staticmethod(perform_save)
        return form_class

    def save_model(self, request: HttpRequest, obj: models.Model, form: forms.ModelForm, change: bool) -> None:
        saved = self.perform_save(request, form, obj, change)
        if saved is not obj:
            # The admin goes on with its own instance (log entry, redirect): point it at the row the service made.
            obj.pk = saved.pk
            obj.refresh_from_db()
            obj._state.adding = False

    def get_inlines(self, request: HttpRequest, obj: models.Model | None) -> list:
        # Children are booked against a saved parent; the add form creates the parent alone.
        return super().get_inlines(request, obj) if obj is not None else []


class ServiceInlineFormSet(forms.BaseInlineFormSet):
    """Inline formset whose new rows are created by a service; existing rows are read-only.

    All new rows are tried together in one rolled-back savepoint, so rows that fit alone but not together are
    refused on the form, not half-booked.
    """

    create_row: Callable[[forms.ModelForm], models.Model] | None = None

    def new_forms(self) -> list[forms.ModelForm]:
        return [
            form
            for form in self.extra_forms
            if form.has_changed() and not self._should_delete_form(form) and form.is_valid()
        ]

    def clean(self) -> None:
        super().clean()
        create_row = type(self).create_row
        if create_row is None or any(form.errors for form in self.forms if form.has_changed()):
            return
        try:
            with transaction.atomic():
                failed = False
                for form in self.new_forms():
                    try:
                        with transaction.atomic():
                            create_row(form)
                    except ValidationError as exc:
                        add_service_error(form, exc)
                        failed = True
                if failed:
                    # Make the formset invalid even when every message landed on a row.
                    raise ValidationError(_("Please correct the rows below."))
                raise _DryRun
        except _DryRun:
            pass

    def save_new_objects(self, commit: bool = True) -> list[models.Model]:
        create_row = type(self).create_row
        if create_row is None:
            return super().save_new_objects(commit)
        self.new_objects = [create_row(form) for form in self.new_forms()]
        return self.new_objects


class ServiceInline(admin.TabularInline):
    """Tabular inline adding children through a service; rows are read-only once saved (a correction is a new
    entry)."""

    formset = ServiceInlineFormSet
    extra = 1
    can_delete = False

    def create_via_service(self, request: HttpRequest, parent: models.Model, form: forms.ModelForm) -> models.Model:
        raise NotImplementedError

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def get_formset(self, request: HttpRequest, obj: models.Model | None = None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)

        def create_row(form: forms.ModelForm) -> models.Model:
            return self.create_via_service(request, obj, form)

        formset_class.create_row = staticmethod(create_row)
        return formset_class


class ReadOnlyInline(admin.TabularInline):
    """A list of children shown inside the parent, with links; written elsewhere (through their services)."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
