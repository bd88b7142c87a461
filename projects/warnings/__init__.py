"""The daily red / yellow / blue warnings (红黄蓝预警), the reminders to county liaisons, and the reporting rates.

Rules (DOMAIN §5; every threshold is a field of the program's ``WarningRules``, defaults in brackets):

- **red** when any of
  - a provincial officer marked the project stalled (health ``stalled``, 停滞);
  - the project is signed (stage ``signed``) and was signed more than ``red_signed_not_started_months`` [6]
    months ago;
  - at least ``red_overdue_reports`` [2] monthly reports are overdue;
  - its planned production date passed more than ``red_production_late_months`` [3] months ago and it is signed or
    under construction (not yet producing);
- **yellow** when any of
  - a provincial officer marked the project lagging (health ``lagging``, 滞后);
  - signed more than ``yellow_signed_not_started_months`` [4] months ago and not started;
  - at least ``yellow_overdue_reports`` [1] monthly report is overdue;
  - investment behind plan: it is signed or under construction, and its completed investment, as a share of the
    planned investment, is more than ``yellow_investment_behind_pct`` [20] percentage points below the straight-line
    share expected by today between the planned start and the planned production dates;
- **blue** otherwise ("On track.").

The officers' health mark is one of the rules, so a project the admin lists as 滞后 or 停滞 is never blue on the
liaison's card or in the bulletin: the stored warning is the one colour every page shows. Changing the health in the
admin refreshes that project's warning at once (``project_warning_refresh``).

"More than N months" means later than the same day N months on (``add_months``); 15 March + 6 months is 15
September, so a project signed on 15 March turns red on 16 September. The months quoted in a reason are the whole
months elapsed.

Every reason is stored in words with its numbers, all of them, worst first (red ones, then yellow ones; within a
colour in the order above), as ``[{"code", "text"}]``. The text is written in the site's language
(``settings.LANGUAGE_CODE``, Chinese) whoever triggers the refresh, so a refresh started from an English admin page
does not rewrite every row.

Which monthly reports are expected: every month from the **month after signing** (the first full month of a signed
project: a report says how the start of construction is going, so signed projects report too), but not before the
program's start month nor after its end month, for projects that are signed, under construction, in production or
at capacity. Pipeline projects report nothing; terminated projects are not active and get no warning (their warning
row is removed). The report for month M is due by day ``report_due_day`` [5] of month M+1 and is **overdue** when
today is after that day and no report for M has been submitted at least once (``first_submitted_at`` set; a report
returned for correction still counts as submitted). Months whose due day has not passed are never overdue.

Reminders (``reminders_send``): for the report of the month just ended (and of the current month when the due day
is closer than ``reminder_days_before_due``), each liaison of the project's county gets a "due" reminder from
``reminder_days_before_due`` [3] days before the due day until the due day, and an "overdue" reminder after it, in
one email per liaison listing their projects. Each (project, month, kind, liaison) is sent once: the
``ReportReminder`` row is recorded in the same transaction as the email is handed to the mail server, and its unique
constraint stops a second run racing the first.

One module per part: :mod:`.classification` (months owed, overdue, colour and reasons), :mod:`.refresh` (the daily
refresh), :mod:`.reminders` and :mod:`.rates`; the reads they share are in :mod:`projects.selectors`. Every name is
importable from ``projects.warnings`` as before.

Reporting rates (``reporting_rates``), per location county for one month: timeliness = reports first submitted by
the due day ÷ reports expected; completeness = reports submitted at all ÷ reports expected.
"""

from ..selectors import submitted_months, warning_rules_for
from .classification import (
    BEFORE_PRODUCTION,
    HUNDRED,
    SEVERITY,
    InvestmentProgress,
    ReasonCode,
    add_months,
    classify,
    expected_periods,
    investment_progress,
    last_overdue_period,
    overdue_periods,
    owes_report,
    periods_text,
    report_due_date,
    whole_months_between,
)
from .rates import (
    CountyReportingRate,
    ReportingFigures,
    reporting_rates,
    reporting_rates_total,
)
from .refresh import (
    WARNINGS_LOCK_KEY,
    RefreshResult,
    project_warning_refresh,
    warnings_refresh,
)
from .reminders import (
    reminders_send,
)

__all__ = [
    "BEFORE_PRODUCTION",
    "HUNDRED",
    "SEVERITY",
    "WARNINGS_LOCK_KEY",
    "CountyReportingRate",
    "InvestmentProgress",
    "ReasonCode",
    "RefreshResult",
    "ReportingFigures",
    "add_months",
    "classify",
    "expected_periods",
    "investment_progress",
    "last_overdue_period",
    "overdue_periods",
    "owes_report",
    "periods_text",
    "project_warning_refresh",
    "reminders_send",
    "report_due_date",
    "reporting_rates",
    "reporting_rates_total",
    "submitted_months",
    "warning_rules_for",
    "warnings_refresh",
    "whole_months_between",
]
