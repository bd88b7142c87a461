"""Exports of admin changelists: the "Export CSV" and "Export Excel" buttons of every list page.

An export holds what the changelist shows — its filters, search, date drill-down and ordering, on every page — with
the columns of ``list_display`` as displayed: choices as their labels, related rows by their name, ``@admin.display``
methods as their text (HTML removed). Money is the amount in yuan followed by a ``<column>_wan`` column in 万元, both
for a ``MoneyField`` and for a column made with ``common.admin.money_column`` (which shows 万元 text on the page);
dates are ISO text, codes stay text. The file formats are ``common.exports``'s: the rows are read in chunks
(``EXPORT_CHUNK_SIZE``) as the file is written, and a CSV streams. Only users who may view the model
export it; the admin site adds the URL for every registered model (``config.admin_site``).

An Excel export longer than ``EXPORT_MAX_XLSX_ROWS`` rows is written by an export job (``common.export_jobs``): the
list comes back with a message linking to the job's page (``admin:export_job``), which shows its progress and, once
done, the download (``admin:export_job_download``). Only the user who asked finds the job.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field, lookup_field
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.hashable import make_hashable
from django.utils.html import format_html, strip_tags
from django.utils.translation import gettext

from common import exports
from common.export_jobs import export_job_file_response, export_job_filename, export_job_for, offers_job, running_job
from common.models import PENDING_STATUSES, ExportJob
from common.money import MoneyField, yuan

EXPORT_URL_NAME = "%s_%s_changelist_export"  # app label, model name
JOB_PAGE_REFRESH_SECONDS = 3


def _text(value: Any) -> str:
    """What a cell of the changelist reads, without its markup."""
    text = str(value)
    if "<" in text:
        text = strip_tags(text)
    if "&" in text:
        text = html.unescape(text)
    return text.strip()


def _plain(value: Any) -> Any:
    """A value as an export cell: numbers and booleans as they are, dates as ISO text, anything else as text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _text(value)


class _Column:
    """One entry of ``list_display``: how to read its value from a row, and whether it is money."""

    def __init__(self, name: str | Callable, model_admin: admin.ModelAdmin) -> None:
        self.name = name
        self.key = name if isinstance(name, str) else name.__name__
        self.model_admin = model_admin
        label, attr = label_for_field(name, model_admin.model, model_admin, return_attr=True)
        # A money_column() knows the amount behind its 万元 text, and its name without the page's unit.
        self.label = _text(getattr(attr, "money_label", label))
        self.money_amount: Callable[[models.Model], Decimal | None] | None = getattr(attr, "money_amount", None)
        field = None
        if isinstance(name, str):
            try:
                field = model_admin.model._meta.get_field(name)
            except FieldDoesNotExist:  # a method, a property, a path through relations
                field = None
        self.is_money = self.money_amount is not None or isinstance(field, MoneyField)
        self._choices: dict[Any, Any] | None = None

    def columns(self) -> list[exports.Column]:
        if self.is_money:
            return exports.money_columns(self.key, self.label)
        return [exports.Column(self.key, self.label)]

    def cells(self, obj: models.Model) -> list[Any]:
        if self.money_amount is not None:
            return self._money(self.money_amount(obj))
        try:
            field, attr, value = lookup_field(self.name, obj, self.model_admin)
        except ObjectDoesNotExist:
            field, attr, value = None, None, None
        if self.is_money:
            return self._money(value)
        return [self._display(field, attr, value)]

    @staticmethod
    def _money(amount: Decimal | None) -> list[Decimal | None]:
        # Sums and differences computed in the database may come without their two places.
        amount = None if amount is None else yuan(amount)
        return [amount, exports.wan(amount)]

    def _display(self, field, attr, value: Any) -> Any:
        if value is None:
            return None
        if field is None or field.auto_created:
            if getattr(attr, "boolean", False) or getattr(getattr(attr, "fget", None), "boolean", False):
                return bool(value)
            return _plain(value)
        if field.choices:
            if self._choices is None:  # once per column: the field flattens its choices on every call
                self._choices = {make_hashable(key): label for key, label in field.flatchoices}
            return _text(self._choices.get(make_hashable(value), value))
        if field.is_relation:
            return _text(value)
        return _plain(value)


def changelist_table(changelist: ChangeList) -> exports.Table:
    """The rows of ``changelist``, every page of them, with the columns of its ``list_display``."""
    # A list page may show fewer columns than its export holds (``export_list_display``): the page must fit a
    # screen, the file need not.
    names = getattr(changelist.model_admin, "export_list_display", None) or changelist.list_display
    entries = [_Column(name, changelist.model_admin) for name in names if name != "action_checkbox"]

    def rows() -> Iterator[list[Any]]:
        queryset = changelist.queryset
        # Prefetched relations need chunks of their own when iterating; select_related ones come with the rows.
        for obj in queryset.iterator(chunk_size=settings.EXPORT_CHUNK_SIZE):
            yield [cell for entry in entries for cell in entry.cells(obj)]

    return exports.Table(columns=[column for entry in entries for column in entry.columns()], rows=rows())


def export_changelist(request: HttpRequest, model_admin: admin.ModelAdmin, file_format: str) -> HttpResponseBase:
    """The changelist of ``model_admin`` under the request's query string, as a file."""
    if file_format not in exports.FORMATS:
        raise Http404
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        # As the changelist itself does: back to the list with its "invalid filter" flag.
        return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
    job = running_job(request)
    limit = exports.max_rows(file_format, background=job is not None)
    count = changelist.result_count
    if job is not None:
        job.counted(count)
    elif count > limit and offers_job(file_format, count):
        # Too long to write within this request: a worker writes it, and the job's page offers the file.
        queued = export_job_for(request, file_format=file_format, stem=opts.model_name, rows=count)
        messages.info(
            request,
            format_html(
                gettext(
                    "The list has {count} rows: the workbook is written in the background. "
                    '<a href="{url}">Follow its progress and download it here</a>.'
                ),
                count=f"{count:,}",
                url=reverse("admin:export_job", args=[queued.pk]),
            ),
        )
        return HttpResponseRedirect(f"{changelist_url}{changelist.get_query_string()}")
    if count > limit and job is not None:
        # The list grew past what a job may hold since it was asked for; the job records why it failed.
        return HttpResponseBadRequest()
    if count > limit:
        messages.error(
            request,
            gettext("An export holds at most %(limit)s rows and this list has %(count)s: narrow it with filters.")
            % {"limit": f"{limit:,}", "count": f"{count:,}"},
        )
        return HttpResponseRedirect(f"{changelist_url}{changelist.get_query_string()}")
    # A CSV streams as the rows are read in chunks; a workbook is written row by row into a temporary file.
    return exports.response(
        changelist_table(changelist),
        file_format,
        stem=opts.model_name,
        progress=job.wrote if job is not None else None,
    )


def export_job_page(request: HttpRequest, job_id: int, *, site: admin.AdminSite) -> HttpResponse:
    """The page of one of the user's export jobs: its progress (refreshed while it runs) and, once done, the link
    to its workbook. Another user's job is a 404, whoever they are."""
    job = get_object_or_404(ExportJob, pk=job_id, owner_id=request.user.pk)
    context = {
        **site.each_context(request),
        "title": gettext("Export: %(name)s") % {"name": export_job_filename(job)},
        "job": job,
        "filename": export_job_filename(job),
        "pending": job.status in PENDING_STATUSES,
        "refresh_seconds": JOB_PAGE_REFRESH_SECONDS,
        "keep_days": settings.EXPORT_JOB_KEEP_DAYS,
    }
    return TemplateResponse(request, "admin/common/export_job.html", context)


def export_job_download(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The workbook of one of the user's export jobs; 404 for anyone else's and until it is done."""
    return export_job_file_response(get_object_or_404(ExportJob, pk=job_id, owner_id=request.user.pk))


def export_urls(site: admin.AdminSite) -> list[URLPattern]:
    """``<app>/<model>/export/<csv|xlsx>/`` for every model registered on ``site``, named
    ``admin:<app>_<model>_changelist_export``, and the pages of export jobs (``exports/<id>/``, its download). They
    go before the models' own URLs, whose catch-all would take them for an object's key."""

    def view_of(model_admin: admin.ModelAdmin):
        def view(request: HttpRequest, file_format: str) -> HttpResponseBase:
            return export_changelist(request, model_admin, file_format)

        return site.admin_view(view)

    def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
        return export_job_page(request, job_id, site=site)

    return [
        path("exports/<int:job_id>/", site.admin_view(job_page), name="export_job"),
        path("exports/<int:job_id>/download/", site.admin_view(export_job_download), name="export_job_download"),
        *(
            path(
                f"{model._meta.app_label}/{model._meta.model_name}/export/<str:file_format>/",
                view_of(model_admin),
                name=EXPORT_URL_NAME % (model._meta.app_label, model._meta.model_name),
            )
            for model, model_admin in site._registry.items()
        ),
    ]
