"""The monthly bulletin (月通报): the figures of one program for one month, the Excel workbook built from them, and
the stored ``Bulletin`` that keeps both.

What a bulletin of month P says (DOMAIN §5):

- per pairing (strong → weak county): the projects by stage, the investment completed against the plan and the
  completion rate; program totals. Terminated projects (health ``terminated``) are counted apart and left out of
  the stage counts and the investment, as on the admin's overview;
- the projects signed more than ``red_signed_not_started_months`` [6] months ago and still not under construction;
- the red and yellow projects with their reasons, as ``ProjectWarning`` holds them;
- the monthly reports overdue, per project;
- the timeliness and completeness of the reports per location county.

The figures describe the program as it stands on the day the bulletin is generated (``as_of``): stages, investment
and warnings are current values, not a reconstruction of the past. The reporting figures cover the reports that
fell due during month P: the reports **of month P−1** (due by day ``report_due_day`` of P) for the rates, and the
reports of months up to P−1 for the overdue list. The reports of P itself are not due yet when the bulletin is made
on the 1st of P+1, so counting them would always show a program behind. Which reports are owed, and when one is
overdue, is decided by ``projects.warnings`` (the same rules as the yellow and red warnings).

Amounts in the figures are yuan as decimal strings; rates are percentages as decimal strings (six places), ``None``
where nothing was expected or planned. The workbook and the printable page are both drawn from the stored figures,
so they always agree.

The package: :mod:`.figures` (the figures and the page's view of them), :mod:`.workbook` (the Excel file, in the
look of ``common.exports``'s report workbooks) and :mod:`.services` (generating). Every name is importable from
``projects.bulletins`` as before.
"""

from .figures import (
    COLOUR_TITLES,
    FIGURES_VERSION,
    HUNDRED,
    PAIRING_STATUS_TITLES,
    RATE_PLACES,
    STAGE_TITLES,
    ZERO,
    bulletin_display,
    bulletin_figures,
    bulletin_filename,
    bulletin_period_check,
    period_title,
)
from .services import (
    bulletin_generate,
    bulletin_month,
    bulletin_programs,
    bulletins_generate_monthly,
)
from .workbook import (
    COLOUR_FILLS,
    COUNT_FORMAT,
    DATE_FORMAT,
    PERCENT_FORMAT,
    PROJECT_COLUMNS,
    SAMPLE_NOTE,
    SHEET_OVERDUE,
    SHEET_PAIRINGS,
    SHEET_REPORTING,
    SHEET_SIGNED,
    SHEET_SUMMARY,
    SHEET_WARNINGS,
    SHEETS,
    SUMMARY_COLUMNS,
    TOTAL_LABEL,
    WAN_FORMAT,
    XLSX_CONTENT_TYPE,
    YUAN_FORMAT,
    bulletin_workbook,
    bulletin_workbook_bytes,
)

__all__ = [
    "COLOUR_FILLS",
    "COLOUR_TITLES",
    "COUNT_FORMAT",
    "DATE_FORMAT",
    "FIGURES_VERSION",
    "HUNDRED",
    "PAIRING_STATUS_TITLES",
    "PERCENT_FORMAT",
    "PROJECT_COLUMNS",
    "RATE_PLACES",
    "SAMPLE_NOTE",
    "SHEETS",
    "SHEET_OVERDUE",
    "SHEET_PAIRINGS",
    "SHEET_REPORTING",
    "SHEET_SIGNED",
    "SHEET_SUMMARY",
    "SHEET_WARNINGS",
    "STAGE_TITLES",
    "SUMMARY_COLUMNS",
    "TOTAL_LABEL",
    "WAN_FORMAT",
    "XLSX_CONTENT_TYPE",
    "YUAN_FORMAT",
    "ZERO",
    "bulletin_display",
    "bulletin_figures",
    "bulletin_filename",
    "bulletin_generate",
    "bulletin_month",
    "bulletin_period_check",
    "bulletin_programs",
    "bulletin_workbook",
    "bulletin_workbook_bytes",
    "bulletins_generate_monthly",
    "period_title",
]
