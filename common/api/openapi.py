"""The schema class of the API: drf-spectacular's, aware of the list exports (``common.api.renderers``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from common import exports
from common.api.renderers import EXPORT_RENDERERS, offers_exports


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, offering the export formats where ``ContentNegotiation`` does: on list operations, with a
    ``format`` parameter, and their bodies described as files."""

    def map_renderers(self, attribute: str) -> list[Any]:
        offered = super().map_renderers(attribute)
        if offers_exports(self.view, self.method):
            return offered
        export_values = {getattr(renderer, attribute) for renderer in EXPORT_RENDERERS}
        return [value for value in offered if value not in export_values]

    def _get_format_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = gettext(
                "`json` (the default) answers one page. `csv` or `xlsx`: the whole filtered and ordered list as a "
                "file, up to %(csv)s rows in CSV and %(xlsx)s in Excel (a 400 beyond); nested objects as "
                "`parent.child` columns, beside each amount in yuan a `<field>_wan` column in 10,000 yuan. A longer "
                "Excel list, up to %(job)s rows, answers 202 with an export job (`/api/v1/exports/{id}/`, also in "
                "`Location`): its workbook is downloaded from the job once it is done."
            ) % {
                "csv": f"{exports.max_rows(exports.CSV):,}",
                "xlsx": f"{exports.max_rows(exports.XLSX):,}",
                "job": f"{exports.max_rows(exports.XLSX, background=True):,}",
            }
        return parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content", {})
        for renderer in EXPORT_RENDERERS:
            if renderer.media_type not in content:
                continue
            if str(status_code).startswith("2"):
                content[renderer.media_type] = {"schema": dict(renderer.schema)}
            else:
                del content[renderer.media_type]  # errors are JSON
        return response
