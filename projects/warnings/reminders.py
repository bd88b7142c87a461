"""Reminders to county liaisons: a due reminder before the report's due day, an overdue one after it, one email per
liaison, each (project, month, kind, liaison) sent once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role
from common.periods import month_before, month_of

from ..models import (
    STAGES_NEEDING_SIGNING,
    ProgressReport,
    Project,
    ReminderKind,
    ReportReminder,
    WarningRules,
)
from ..selectors import rules_by_program
from .classification import _submitted_periods, expected_periods, report_due_date

logger = logging.getLogger(__name__)


# --- Reminders -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reminder:
    project: Project
    period: str
    kind: str
    due: dt.date


def _reminders_due(projects: Sequence[Project], rules: dict[int, WarningRules], today: dt.date) -> list[_Reminder]:
    """The (project, month, kind) reminders that apply on ``today``, before checking what was already sent."""
    this_month = month_of(today)
    last_month = month_before(this_month)
    found = []
    for project in projects:
        project_rules = rules[project.pairing.program_id]
        submitted = _submitted_periods(project.reports.all())
        expected = set(expected_periods(project, through=this_month))
        for period in (last_month, this_month):
            if period not in expected or period in submitted:
                continue
            due = report_due_date(period, due_day=project_rules.report_due_day)
            if today > due:
                kind = ReminderKind.OVERDUE
            elif (due - today).days <= project_rules.reminder_days_before_due:
                kind = ReminderKind.DUE
            else:
                continue
            found.append(_Reminder(project=project, period=period, kind=kind, due=due))
    return found


def _reminder_email(user, reminders: list[_Reminder]) -> tuple[str, str]:
    """Subject and body of one liaison's email, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        count = len({r.project.pk for r in reminders})
        subject = ngettext(
            "Monthly progress report reminder: %(count)d project",
            "Monthly progress report reminders: %(count)d projects",
            count,
        ) % {"count": count}
        lines = [
            _("Hello %(name)s,") % {"name": user.get_full_name() or user.get_username()},
            "",
            _("These monthly progress reports need your attention:"),
            "",
        ]
        for reminder in reminders:
            values = {
                "code": reminder.project.code,
                "name": reminder.project.name,
                "period": reminder.period,
                "due": reminder.due.isoformat(),
            }
            if reminder.kind == ReminderKind.OVERDUE:
                lines.append(
                    _("- %(code)s %(name)s: the report for %(period)s was due by %(due)s and has not been submitted.")
                    % values
                )
            else:
                lines.append(_("- %(code)s %(name)s: the report for %(period)s is due by %(due)s.") % values)
        lines += [
            "",
            _("Please fill in and submit the reports on the liaison pages of the tracker."),
            "",
            _("Strong-county / weak-county industrial assistance tracker (sent automatically, do not reply)"),
        ]
        return subject, "\n".join(lines)


def reminders_send(*, today: dt.date | None = None) -> int:
    """Email each liaison about the reports of their county's projects that are due soon or overdue; one email per
    liaison. Returns the number of emails sent. Each reminder is sent once: run twice, the second run sends nothing.

    A liaison's reminders are recorded and the email handed over in one transaction: if the mail server refuses,
    nothing is recorded and the next run tries again. A liaison without an email address is skipped (and reminded
    once they have one).
    """
    today = today or timezone.localdate()
    this_month = month_of(today)
    periods = [month_before(this_month), this_month]
    reports = ProgressReport.objects.filter(period__in=periods).only("id", "project_id", "period", "first_submitted_at")
    projects = list(
        Project.objects.live()
        .filter(stage__in=STAGES_NEEDING_SIGNING)
        .select_related("pairing__program")
        .prefetch_related(Prefetch("reports", queryset=reports))
        .order_by("code")
    )
    rules = rules_by_program(p.pairing.program_id for p in projects)
    pending = _reminders_due(projects, rules, today)
    if not pending:
        return 0

    liaisons: dict[str, list] = defaultdict(list)
    memberships = (
        Membership.objects.filter(
            role=Role.LIAISON, county_id__in={r.project.county_id for r in pending}, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username")
    )
    for membership in memberships:
        liaisons[membership.county_id].append(membership.user)
    already_sent = set(
        ReportReminder.objects.filter(project_id__in={r.project.pk for r in pending}, period__in=periods).values_list(
            "project_id", "period", "kind", "recipient_id"
        )
    )

    by_user: dict[int, tuple[Any, list[_Reminder]]] = {}
    for reminder in pending:
        for user in liaisons.get(reminder.project.county_id, []):
            if (reminder.project.pk, reminder.period, reminder.kind, user.pk) in already_sent:
                continue
            by_user.setdefault(user.pk, (user, []))[1].append(reminder)

    sent = 0
    for user, reminders in by_user.values():
        reminders.sort(key=lambda r: (r.kind != ReminderKind.OVERDUE, r.project.code, r.period))
        subject, body = _reminder_email(user, reminders)
        try:
            with transaction.atomic():
                ReportReminder.objects.bulk_create(
                    [ReportReminder(project=r.project, period=r.period, kind=r.kind, recipient=user) for r in reminders]
                )
                send_mail(subject, body, None, [user.email])
        except IntegrityError:
            # Another run recorded (and sends) these reminders at the same moment.
            continue
        except (SMTPException, OSError):
            logger.exception("Reminder email to %s failed; it is tried again on the next run.", user.email)
            continue
        sent += 1
    return sent
