"""Exports of the API's lists: ``?format=csv`` and ``?format=xlsx`` on every list endpoint.

An export is the list the JSON would give — the same filters, search, ordering and scoping of ``get_queryset()`` —
but whole rather than one page (``common.api.pagination`` skips paging for it, up to ``exports.max_rows``), as a
file to download. Its rows are the serializer's rows, flattened: a nested object becomes ``parent.child`` columns, a
list one cell with its items joined by ``; `` (objects among them as JSON), and every money field (a two-place
decimal backed by ``MoneyField``, or a ``MoneySerializerField``) is followed by ``<field>_wan`` in 万元. The file
formats are ``common.exports``'s.

Exports are offered on lists only (``offers_exports``): elsewhere ``csv`` and ``xlsx`` are not acceptable (406), and
the OpenAPI schema offers them, with their ``format`` parameter, on the list operations alone
(``common.api.openapi``). An error answers in JSON, whatever format was asked for.

A list of ``ListModelMixin.list`` is not serialized whole: ``common.api.pagination`` hands its queryset to
``export_response``, which reads it in chunks (``EXPORT_CHUNK_SIZE``) and serializes each row as the file is written
— a CSV streams, a workbook is written row by row into a temporary file. The columns are those of the first rows
(``COLUMNS_FROM_ROWS``): every row has the same when the serializer declares them all (``columns_vary`` is false);
when a field may hold an object whose keys vary (``JSONField``, ``SerializerMethodField``…) every row is read first,
as for a list a view builds itself (``ExportRenderer``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer

from common import exports
from common.api.fields import MoneySerializerField
from common.export_jobs import running_job
from common.money import MoneyField

LIST_SEPARATOR = "; "
NESTED_SEPARATOR = "."
COLUMNS_FROM_ROWS = 100  # rows serialized before the header of a streamed export is written
# Fields whose value may be an object with keys of its own, which become columns: they may differ from row to row.
_VARYING_FIELDS = (serializers.JSONField, serializers.DictField, serializers.SerializerMethodField)


def offers_exports(view, method: str) -> bool:
    """Whether the operation answers with a list that may be exported: the ``list`` action of a viewset."""
    return method.upper() in ("GET", "HEAD") and getattr(view, "action", None) == "list"


def is_export(request) -> bool:
    return getattr(getattr(request, "accepted_renderer", None), "format", None) in exports.FORMATS


# --- The rows of a serializer as a table -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    label: str
    money: bool = False
    nested: dict[str, _Field] = field(default_factory=dict)


def _model_field(serializer_field: serializers.Field):
    """The model field a serializer field reads (through relations), if its serializer is a ``ModelSerializer``."""
    model = getattr(getattr(serializer_field.parent, "Meta", None), "model", None)
    attrs = getattr(serializer_field, "source_attrs", None) or []
    model_field = None
    for attr in attrs:
        if model is None:
            return None
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        model = model_field.related_model
    return model_field


def is_money(serializer_field: serializers.Field) -> bool:
    if isinstance(serializer_field, MoneySerializerField):
        return True
    return (
        isinstance(serializer_field, serializers.DecimalField)
        and serializer_field.decimal_places == 2
        and isinstance(_model_field(serializer_field), MoneyField)
    )


def _shape(serializer) -> dict[str, _Field]:
    """What the serializer says about its output: labels, money fields, nested objects."""
    if not isinstance(serializer, serializers.Serializer):
        return {}
    shape = {}
    for name, serializer_field in serializer.fields.items():
        if serializer_field.write_only:
            continue
        label = str(serializer_field.label or name)
        if isinstance(serializer_field, serializers.Serializer):
            shape[name] = _Field(label, nested=_shape(serializer_field))
        else:
            shape[name] = _Field(label, money=is_money(serializer_field))
    return shape


def _joined(items: list) -> str:
    def text(item: Any) -> str:
        if isinstance(item, dict | list):
            return json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)
        if item is None or isinstance(item, bool):
            return json.dumps(item)
        return str(item)

    return LIST_SEPARATOR.join(text(item) for item in items)


class _Flattener:
    """Rows of nested dicts as flat rows; the columns are the union of every row's, in the order first met."""

    def __init__(self, shape: dict[str, _Field]) -> None:
        self.shape = shape
        self.names: list[str] = []
        self.known: set[str] = set()
        self.kinds: dict[str, str] = {}
        self.labels: dict[str, str] = {}

    def flatten(self, row: Mapping) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        self._into(flat, row, self.shape, "", "")
        self._merge(list(flat))
        return flat

    def _into(self, flat: dict, row: Mapping, shape: dict[str, _Field], prefix: str, label_prefix: str) -> None:
        for key, value in row.items():
            info = shape.get(key)
            name = f"{prefix}{key}"
            label = f"{label_prefix}{info.label if info else key}"
            if isinstance(value, Mapping):
                self._into(flat, value, info.nested if info else {}, f"{name}{NESTED_SEPARATOR}", f"{label} / ")
            elif value is None and info is not None and info.nested:
                # An absent nested object: its columns, empty.
                self._into(flat, dict.fromkeys(info.nested), info.nested, f"{name}{NESTED_SEPARATOR}", f"{label} / ")
            elif info is not None and info.money:
                if name not in self.kinds:
                    for column in exports.money_columns(name, label):
                        self._column(column.name, column.label, column.kind)
                flat[name] = value
                flat[f"{name}{exports.WAN_SUFFIX}"] = exports.wan(value)
            else:
                self._column(name, label, exports.VALUE)
                flat[name] = _joined(value) if isinstance(value, list) else value

    def _column(self, name: str, label: str, kind: str) -> None:
        self.labels.setdefault(name, label)
        self.kinds.setdefault(name, kind)

    def _merge(self, names: list[str]) -> None:
        # A column first met in a later row goes after its neighbour in that row, not at the far end.
        previous = None
        for name in names:
            if name not in self.known:
                at = self.names.index(previous) + 1 if previous is not None else 0
                self.names.insert(at, name)
                self.known.add(name)
            previous = name

    def columns(self) -> list[exports.Column]:
        return [exports.Column(name, self.labels[name], self.kinds[name]) for name in self.names]


def table_of(data: Any) -> exports.Table:
    """The rows a view answered with (a list, or one object) as a table."""
    rows = data if isinstance(data, list) else ([] if data is None else [data])
    serializer = getattr(data, "serializer", None)
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    flattener = _Flattener(_shape(serializer))
    flat_rows = [flattener.flatten(row) for row in rows]
    if not flat_rows:
        flattener.flatten(dict.fromkeys(flattener.shape))  # an empty list still has the serializer's columns
    columns = flattener.columns()
    return exports.Table(columns=columns, rows=[[row.get(column.name) for column in columns] for row in flat_rows])


def columns_vary(serializer) -> bool:
    """Whether the rows of ``serializer`` may differ in their columns: a field whose value may be an object with keys
    of its own, or a ``to_representation`` of the serializer's own making."""
    if not isinstance(serializer, serializers.Serializer):
        return True
    if type(serializer).to_representation is not serializers.Serializer.to_representation:
        return True
    for serializer_field in serializer.fields.values():
        if serializer_field.write_only:
            continue
        if isinstance(serializer_field, serializers.Serializer):
            if columns_vary(serializer_field):
                return True
        elif isinstance(serializer_field, _VARYING_FIELDS):
            return True
    return False


def rows_table(serializer: serializers.Serializer, objects: Iterable) -> exports.Table:
    """The objects as ``table_of`` would make them a table, serialized one by one as the table's rows are read. The
    columns come from the first ``COLUMNS_FROM_ROWS`` rows, or from every row when they may vary (``columns_vary``):
    the same columns, in the same order, as ``table_of`` on the whole list."""
    flattener = _Flattener(_shape(serializer))
    objects = iter(objects)
    first = None if columns_vary(serializer) else COLUMNS_FROM_ROWS
    head = [flattener.flatten(serializer.to_representation(obj)) for obj in itertools.islice(objects, first)]
    if not head:
        flattener.flatten(dict.fromkeys(flattener.shape))  # an empty list still has the serializer's columns
    columns = flattener.columns()

    def rows() -> Iterator[list[Any]]:
        head.reverse()
        while head:
            row = head.pop()
            yield [row.get(column.name) for column in columns]
        for obj in objects:
            row = flattener.flatten(serializer.to_representation(obj))
            yield [row.get(column.name) for column in columns]

    return exports.Table(columns=columns, rows=rows())


def export_response(
    view,
    serializer: serializers.Serializer,
    queryset: QuerySet,
    file_format: str,
    *,
    progress: exports.Progress | None = None,
) -> StreamingHttpResponse | FileResponse:
    """The whole ``queryset`` of a list as a download, read from the database in chunks and serialized row by row by
    the list's ``serializer`` (the child of its ``many=True`` serializer, with the view's context); ``progress`` is
    an export job's."""
    stem = getattr(view, "basename", None) or type(view).__name__.lower()
    # With a chunk size, prefetch_related() fetches each chunk's related rows, as the list's pages would.
    objects = queryset.iterator(chunk_size=settings.EXPORT_CHUNK_SIZE)
    return exports.response(rows_table(serializer, objects), file_format, stem=stem, progress=progress)


# --- Renderers -----------------------------------------------------------------------------------------------------


class ExportRenderer(BaseRenderer):
    schema: dict[str, Any] = {"type": "string"}

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response = context.get("response")
        if response is not None and (response.exception or response.status_code != 200):
            # Errors, and the 202 of an export job, are JSON whatever was asked for, as the schema declares them.
            response["Content-Type"] = JSONRenderer.media_type
            return JSONRenderer().render(data, JSONRenderer.media_type, context)
        view = context.get("view")
        stem = getattr(view, "basename", None) or type(view).__name__.lower()
        if response is not None:
            response["Content-Disposition"] = exports.attachment(stem, self.format)
        job = running_job(context.get("request"))
        return exports.write(table_of(data), self.format, title=stem, progress=job.wrote if job else None)


class CSVRenderer(ExportRenderer):
    media_type = exports.MEDIA_TYPES[exports.CSV]
    format = exports.CSV
    charset = "utf-8"


class XLSXRenderer(ExportRenderer):
    media_type = exports.MEDIA_TYPES[exports.XLSX]
    format = exports.XLSX
    charset = None
    render_style = "binary"
    schema = {"type": "string", "format": "binary"}


EXPORT_RENDERERS = (CSVRenderer, XLSXRenderer)


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the export formats offered on lists only (406 elsewhere)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if not offers_exports(view, request.method):
            asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            if asked in exports.FORMATS:
                raise NotAcceptable(_("Exports (csv, xlsx) are offered on lists only."))
            renderers = [renderer for renderer in renderers if not isinstance(renderer, ExportRenderer)]
        return super().select_renderer(request, renderers, format_suffix)
