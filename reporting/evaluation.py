"""The annual evaluation report (县域经济发展评价报告) of a program: requested by a provincial officer, generated in the
background as HTML and PDF.

- ``evaluation_report_request`` records a queued report, or returns the one already queued or running for the
  program, year and scope (the partial unique indexes ``evaluation_report_one_pending_per_program_year`` and
  ``…_per_county_year`` decide between two concurrent requests), and enqueues the task once the transaction commits.
- A report's scope is the whole program (``county`` empty: for the provincial roles) or one weak county: a county
  report is gathered from that county's rows alone, so it can be given to the liaisons of its pairing without
  carrying any other county's figures (no group figures, no list of other counties, no fund-wide totals).
- ``evaluation_report_generate`` claims the row with a conditional ``UPDATE … WHERE status = 'queued'`` (a second
  run of the task changes nothing), gathers the figures, draws the charts, renders the HTML and the PDF and stores
  both in the default storage. Progress is written with single-row UPDATEs in autocommit, so a page polling the row
  sees it move: 10 % figures gathered, 40 % charts drawn, 70 % HTML written, 100 % PDF stored.
- ``evaluation_figures`` reads everything the report states, at full precision (decimals as strings);
  ``evaluation_document`` rounds for display (1 decimal for % and pp, money in 万元 / 亿元) and the narrative is
  assembled from the same figures, saying plainly when a figure is missing.

The HTML is rendered from the stored figures alone, so the document, the PDF and ``figures`` agree, and the gap
figures are those of ``/api/v1/gaps/`` and ``/api/v1/gaps/summary/`` (same GapResult rows, same ``gaps_summary``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from common.money import FEN, format_money
from pairing.models import CountyRole, Pairing, PairingStatus, Program, ProgramCounty, Region, RegionLevel
from stats.models import GapResult, Indicator, StatValue
from stats.selectors import gaps_summary

from .charts import Bar, RankPoint, gap_bar_chart, rank_trend_chart
from .models import EvaluationReport, ReportStatus, Target, Unit
from .targets import targets_progress

logger = logging.getLogger(__name__)

PENDING = (ReportStatus.QUEUED, ReportStatus.RUNNING)
# Errors worth another attempt: the database went away for a moment. Anything else is a failure to look at.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# A report still queued or running this long after it was requested / started will not finish: the task's hard
# time limit has killed it, or its message was lost. A new request gives it up and starts afresh.
STALE_AFTER = dt.timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 30 * 60)) + dt.timedelta(minutes=5)
RANK_HISTORY_YEARS = 5
ONE_PLACE = Decimal("0.1")
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
PDF_CONTENT_TYPE = "application/pdf"
TEMPLATE = "reporting/evaluation_report.html"
FIGURES_VERSION = 1

STEP_QUEUED = gettext_lazy("Waiting for a worker")
STEP_GATHER = gettext_lazy("Gathering the figures")
STEP_CHARTS = gettext_lazy("Drawing the charts")
STEP_HTML = gettext_lazy("Writing the HTML document")
STEP_PDF = gettext_lazy("Rendering the PDF")
STEP_DONE = gettext_lazy("Ready")
STEP_FAILED = gettext_lazy("Failed")
STEP_RETRY = gettext_lazy("Interrupted; will try again")


# --- Requesting -------------------------------------------------------------------------------------------------------


def _stored_text(message, values: dict[str, Any] | None = None) -> str:
    """A step or error as stored on the row: in the site's language, whoever's request wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return text % values if values else text


def evaluation_report_check_year(*, year: int) -> None:
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError(
            {"year": _("Choose a year between 2000 and %(year)d.") % {"year": timezone.localdate().year}}
        )


def _same_scope(program: Program, year: int, county: Region | None) -> Q:
    return Q(program=program, year=year) & (Q(county__isnull=True) if county is None else Q(county=county))


def _pending(program: Program, year: int, county: Region | None = None) -> EvaluationReport | None:
    return EvaluationReport.objects.filter(_same_scope(program, year, county), status__in=PENDING).first()


def evaluation_report_check_county(*, program: Program, county: Region | None) -> None:
    if county is None:
        return
    if not ProgramCounty.objects.filter(program=program, county=county, role=CountyRole.WEAK).exists():
        raise ValidationError(
            {"county": _("%(name)s is not a weak county of %(program)s.") % {"name": county.name, "program": program}}
        )


def _give_up_stale(program: Program, year: int, county: Region | None) -> int:
    now = timezone.now()
    cutoff = now - STALE_AFTER
    stale = Q(status=ReportStatus.RUNNING, started_at__lt=cutoff) | Q(
        status=ReportStatus.QUEUED, requested_at__lt=cutoff
    )
    return EvaluationReport.objects.filter(stale, _same_scope(program, year, county)).update(
        status=ReportStatus.FAILED,
        step=_stored_text(STEP_FAILED),
        error=_stored_text(
            gettext_lazy("Given up: not finished within %(minutes)d minutes of being queued or started."),
            {"minutes": STALE_AFTER.total_seconds() // 60},
        ),
        finished_at=now,
    )


def evaluation_report_request(
    *, program: Program, year: int, county: Region | None = None, requested_by=None
) -> EvaluationReport:
    """A queued report of ``program`` for ``year`` — of the whole program, or of ``county`` (one of its weak
    counties) alone — or the one already queued or running for that scope. The task is enqueued when the caller's
    transaction commits (never before, or a worker could look for a row that is not there yet)."""
    evaluation_report_check_year(year=year)
    evaluation_report_check_county(program=program, county=county)
    _give_up_stale(program, year, county)
    if (pending := _pending(program, year, county)) is not None:
        return pending
    try:
        with transaction.atomic():
            report = EvaluationReport.objects.create(
                program=program, year=year, county=county, requested_by=requested_by, step=_stored_text(STEP_QUEUED)
            )
    except IntegrityError:
        # A concurrent request inserted its row first; the partial unique index refused ours.
        if (pending := _pending(program, year, county)) is not None:
            return pending
        raise
    report_id = report.pk
    transaction.on_commit(lambda: _enqueue(report_id))
    return report


def _enqueue(report_id: int) -> None:
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from .tasks import generate_evaluation_report

    try:
        generate_evaluation_report.delay(report_id)
    except BrokerUnavailable as exc:
        logger.exception("evaluation report %s could not be queued", report_id)
        evaluation_report_fail(
            report_id=report_id,
            error=_stored_text(gettext_lazy("Could not be queued: %(error)s"), {"error": exc}),
        )


# --- Generating -------------------------------------------------------------------------------------------------------


def _progress(report_id: int, progress: int, step) -> None:
    EvaluationReport.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(progress=progress, step=str(step))


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text[:4000]


def _store(report: EvaluationReport, kind: str, content: bytes) -> str:
    field = report._meta.get_field(kind)
    name = field.generate_filename(report, f"evaluation-report-{report.pk}.{kind}")
    return field.storage.save(name, ContentFile(content))


def _discard(report: EvaluationReport, names: Iterable[str]) -> None:
    storage = report._meta.get_field("html").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - nothing more to do about a file that cannot be removed
            logger.warning("could not remove %s", name)


def evaluation_report_fail(*, report_id: int, error: str) -> bool:
    """Mark a queued or running report failed with ``error`` (what the task does when its retries are spent)."""
    return bool(
        EvaluationReport.objects.filter(pk=report_id, status__in=PENDING).update(
            status=ReportStatus.FAILED, step=_stored_text(STEP_FAILED), error=error, finished_at=timezone.now()
        )
    )


def evaluation_report_generate(*, report_id: int) -> bool:
    """Generate a queued report. Returns False when there was nothing to do (not queued: already taken by another
    run, done, failed or given up) or when it failed; the error is then on the row. A transient database error
    puts the row back in the queue and is raised again, for the task to retry."""
    with translation.override(settings.LANGUAGE_CODE):
        claimed = EvaluationReport.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
            status=ReportStatus.RUNNING,
            started_at=timezone.now(),
            finished_at=None,
            progress=0,
            step=str(STEP_GATHER),
            error="",
        )
        if not claimed:
            return False
        report = EvaluationReport.objects.select_related("program", "county").get(pk=report_id)
        written: list[str] = []
        try:
            figures = evaluation_figures(program=report.program, year=report.year, county=report.county)
            _progress(report_id, 10, STEP_CHARTS)
            charts = evaluation_charts(figures)
            _progress(report_id, 40, STEP_HTML)
            html = evaluation_html(figures, charts=charts)
            written.append(_store(report, "html", html.encode("utf-8")))
            _progress(report_id, 70, STEP_PDF)
            written.append(_store(report, "pdf", evaluation_pdf(html)))
            finished = EvaluationReport.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
                status=ReportStatus.DONE,
                progress=100,
                step=str(STEP_DONE),
                figures=figures,
                html=written[0],
                pdf=written[1],
                finished_at=timezone.now(),
            )
        except TRANSIENT_ERRORS as exc:
            _discard(report, written)
            try:
                EvaluationReport.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
                    status=ReportStatus.QUEUED, step=str(STEP_RETRY), error=_error_text(exc)
                )
            except TRANSIENT_ERRORS:
                logger.warning("evaluation report %s could not be put back in the queue", report_id)
            raise
        except Exception as exc:
            logger.exception("evaluation report %s failed", report_id)
            _discard(report, written)
            EvaluationReport.objects.filter(pk=report_id, status=ReportStatus.RUNNING).update(
                status=ReportStatus.FAILED, step=str(STEP_FAILED), error=_error_text(exc), finished_at=timezone.now()
            )
            return False
        if not finished:  # given up as stale meanwhile: keep nothing of this run
            _discard(report, written)
            return False
        return True


def evaluation_html(figures: dict[str, Any], *, charts: dict[str, Any] | None = None) -> str:
    """The printable A4 document, from the figures alone."""
    charts = charts if charts is not None else evaluation_charts(figures)
    return render_to_string(TEMPLATE, {"doc": evaluation_document(figures, charts=charts)})


def evaluation_pdf(html: str) -> bytes:
    """The HTML document as PDF (WeasyPrint: needs Pango and a CJK font such as Noto Sans CJK on the machine)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --- The figures ------------------------------------------------------------------------------------------------------


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money(value: Decimal | None) -> str:
    return str(Decimal(value or 0).quantize(FEN))


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _partners(program: Program, weak: list[str]) -> dict[str, Pairing]:
    """Each weak county's pairing in the program: the active one, else the one that started last."""
    chosen: dict[str, Pairing] = {}
    pairings = (
        Pairing.objects.filter(program=program, weak_county__in=weak)
        .select_related("strong_county")
        .order_by("weak_county", "-start_date", "-pk")
    )
    for pairing in pairings:
        current = chosen.get(pairing.weak_county_id)
        if current is None or (current.status != PairingStatus.ACTIVE and pairing.status == PairingStatus.ACTIVE):
            chosen[pairing.weak_county_id] = pairing
    return chosen


def _gap_figures(result: GapResult) -> dict[str, Any]:
    return {
        "growth_pct": _s(result.growth_pct),
        "growth_derived": result.growth_derived,
        "province_growth_pct": _s(result.province_growth_pct),
        "gap_pp": _s(result.gap_pp),
        "level": _s(result.level),
        "previous_level": _s(result.previous_level),
        "rank": result.rank,
        "previous_rank": result.previous_rank,
        "rank_change": result.rank_change,
        "ranked_count": result.ranked_count,
        "in_bottom_ten": result.in_bottom_ten,
        "was_in_bottom_ten": result.was_in_bottom_ten,
        "exited_bottom_ten": result.exited_bottom_ten,
        "release": result.release,
    }


def _rank_history(weak: list[str], year: int) -> dict[str, list[dict[str, Any]]]:
    """GDP rank by year, up to ``year`` (the last ``RANK_HISTORY_YEARS`` years); the year before the first result
    comes from that result's previous rank when the engine has no row for it."""
    first_year = year - RANK_HISTORY_YEARS + 1
    results = GapResult.objects.filter(
        region__in=weak,
        indicator=Indicator.GDP,
        period__regex=r"^[0-9]{4}$",
        period__gte=str(first_year),
        period__lte=str(year),
    ).order_by("region", "period")
    history: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for result in results:
        history[result.region_id][int(result.period)] = {
            "period": result.period,
            "rank": result.rank,
            "ranked_count": result.ranked_count or None,
        }
        before = int(result.period) - 1
        if result.previous_rank is not None and before >= first_year:
            history[result.region_id].setdefault(
                before, {"period": str(before), "rank": result.previous_rank, "ranked_count": None}
            )
    return {county: [points[y] for y in sorted(points)] for county, points in history.items()}


def _project_figures(program: Program, weak: list[str], year: int) -> dict[str, dict[str, Any]]:
    """Per weak county, the projects of its pairings in the program (as in ``reporting.targets``): live projects by
    stage as they stand today, planned investment, investment completed as of the year's last approved monthly
    report, and what was signed / started / went into production in the year. Terminated projects are counted
    apart and left out of everything else."""
    from projects.models import Health, ProgressReport, Project, Stage
    from projects.models import ReportStatus as ProgressReportStatus

    last_approved = (
        ProgressReport.objects.filter(
            project=OuterRef("pk"), status=ProgressReportStatus.APPROVED, period__lte=f"{year}-12"
        )
        .order_by("-period")
        .values("cumulative_investment")[:1]
    )
    rows = (
        Project.objects.filter(pairing__program=program, pairing__weak_county__in=weak)
        .annotate(done=Subquery(last_approved))
        .values_list(
            "pairing__weak_county",
            "stage",
            "health",
            "planned_investment",
            "done",
            "signed_date",
            "actual_start_date",
            "actual_production_date",
        )
        .order_by("pk")
    )

    def empty() -> dict[str, Any]:
        return {
            "count": 0,
            "stages": dict.fromkeys(Stage.values, 0),
            "stalled": 0,
            "terminated": 0,
            "planned_investment": Decimal(0),
            "completed_investment": Decimal(0),
            "signed_in_year": 0,
            "started_in_year": 0,
            "producing_in_year": 0,
        }

    figures: dict[str, dict[str, Any]] = {county: empty() for county in weak}
    for county, stage, health, planned, done, signed, started, producing in rows:
        entry = figures[county]
        if health == Health.TERMINATED:
            entry["terminated"] += 1
            continue
        entry["count"] += 1
        entry["stages"][stage] += 1
        entry["stalled"] += health == Health.STALLED
        entry["planned_investment"] += planned or 0
        entry["completed_investment"] += done or 0
        entry["signed_in_year"] += bool(signed and signed.year == year)
        entry["started_in_year"] += bool(started and started.year == year)
        entry["producing_in_year"] += bool(producing and producing.year == year)
    for entry in figures.values():
        entry["planned_investment"] = _money(entry["planned_investment"])
        entry["completed_investment"] = _money(entry["completed_investment"])
    return figures


def _money_figures(program: Program, weak: list[str], year: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The year's guidance fund, what each weak county received from the program's guidance funds in the year
    (disbursements paid in it, as ``reporting.targets`` counts them), its allocations from the year's fund, and its
    special-bond quota of the year's plan with the bonds issued against its quotas in the year."""
    from funds.models import Allocation, BondIssue, BondQuota, Disbursement, Fund, FundKind

    fund = Fund.objects.filter(program=program, year=year, kind=FundKind.GUIDANCE).first()
    received = {
        row["allocation__county"]: (row["total"], row["n"])
        for row in Disbursement.objects.filter(
            allocation__fund__program=program,
            allocation__fund__kind=FundKind.GUIDANCE,
            allocation__county__in=weak,
            paid_on__year=year,
        )
        .values("allocation__county")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by()
    }
    allocated: dict[str, Decimal] = {}
    if fund is not None:
        allocated = dict(
            Allocation.objects.filter(fund=fund, county__in=weak)
            .values("county")
            .annotate(total=Sum("amount"))
            .values_list("county", "total")
            .order_by()
        )
    quotas = dict(
        BondQuota.objects.filter(plan__program=program, plan__year=year, county__in=weak)
        .values_list("county", "quota")
        .order_by()
    )
    issued = dict(
        BondIssue.objects.filter(quota__plan__program=program, quota__county__in=weak, issue_date__year=year)
        .values("quota__county")
        .annotate(total=Sum("amount"))
        .values_list("quota__county", "total")
        .order_by()
    )
    per_county = {
        county: {
            "guidance_received": _money(received.get(county, (None, 0))[0]),
            "disbursements": int(received.get(county, (None, 0))[1] or 0),
            "guidance_allocated": _money(allocated.get(county)),
            "bond_quota": _s(quotas[county]) if county in quotas else None,
            "bonds_issued": _money(issued.get(county)),
        }
        for county in weak
    }
    program_money = {
        "guidance_fund": None
        if fund is None
        else {"total": _s(fund.total), "allocated": _s(fund.allocated), "is_sample": fund.is_sample},
        "guidance_received": _money(sum((Decimal(c["guidance_received"]) for c in per_county.values()), Decimal(0))),
        "bond_quota": _money(sum((Decimal(q) for q in quotas.values()), Decimal(0))) if quotas else None,
        "bonds_issued": _money(sum((Decimal(c["bonds_issued"]) for c in per_county.values()), Decimal(0))),
    }
    return program_money, per_county


def _target_figures(program: Program, weak: list[str], year: int) -> dict[str, list[dict[str, Any]]]:
    targets = Target.objects.filter(program=program, year=year, county__in=weak).order_by(
        "county", "metric", "indicator"
    )
    figures: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for progress in targets_progress(targets):
        target = progress.target
        figures[target.county_id].append(
            {
                "metric": target.metric,
                "indicator": target.indicator,
                "title": target.title,
                "unit": target.unit,
                "direction": target.direction,
                "threshold": _s(target.threshold),
                "baseline": _s(target.baseline),
                "target": _s(target.target),
                "actual": _s(progress.actual),
                "met": progress.met,
                "progress_pct": _s(progress.progress_pct),
                "is_sample": target.is_sample,
            }
        )
    return figures


def evaluation_figures(*, program: Program, year: int, county: Region | None = None) -> dict[str, Any]:
    """Everything the report states about ``program``'s weak counties in ``year`` — or about ``county`` alone — at
    full precision (decimals as strings), JSON-ready. A fixed number of queries whatever the number of counties.

    A county's figures are read from its own rows only: the group figures, the rank lists and the guidance fund's
    totals, which are made of every county's, are left out rather than narrowed."""
    from stats.demo import DEMO_SOURCE

    period = str(year)
    designated = ProgramCounty.objects.filter(program=program, role=CountyRole.WEAK)
    if county is not None:
        designated = designated.filter(county=county)
    designations = list(designated.select_related("county__parent").order_by("county_id"))
    weak = [row.county_id for row in designations]
    partners = _partners(program, weak)
    results: dict[str, dict[str, GapResult]] = defaultdict(dict)
    for result in GapResult.objects.filter(region__in=weak, period=period):
        results[result.region_id][result.indicator] = result
    history = _rank_history(weak, year)
    if county is None:
        summary = gaps_summary(program=program, period=period)
    else:
        own = results[county.adcode].get(Indicator.GDP)
        summary = {
            "indicators": {},
            "moved_up": [county.adcode] if own and own.rank_change is not None and own.rank_change > 0 else [],
            "exited_bottom_ten": [county.adcode] if own and own.exited_bottom_ten else [],
        }
    projects = _project_figures(program, weak, year)
    program_money, money = _money_figures(program, weak, year)
    if county is not None:
        program_money["guidance_fund"] = None  # its allocated total is every county's allocations
    targets = _target_figures(program, weak, year)
    sample_statistics = StatValue.objects.filter(region__in=weak, period=period, source=DEMO_SOURCE).exists()

    shown = {code for county in results.values() for code in county} | set(summary["indicators"])
    indicators = [code for code in Indicator.values if code in shown]
    counties = []
    for row in designations:
        weak_county = row.county
        pairing = partners.get(weak_county.adcode)
        gdp = results[weak_county.adcode].get(Indicator.GDP)
        county_targets = targets.get(weak_county.adcode, [])
        parent = weak_county.parent
        counties.append(
            {
                "adcode": weak_county.adcode,
                "name": weak_county.name,
                "city": parent.name if parent and parent.level == RegionLevel.CITY else "",
                "is_sample": row.is_sample,
                "partner": None
                if pairing is None
                else {
                    "adcode": pairing.strong_county_id,
                    "name": pairing.strong_county.name,
                    "status": pairing.status,
                    "start_date": pairing.start_date.isoformat(),
                    "leader": pairing.leader,
                    "is_sample": pairing.is_sample,
                },
                "indicators": {
                    code: _gap_figures(result) for code, result in sorted(results[weak_county.adcode].items())
                },
                "gdp_rank_history": history.get(weak_county.adcode, []),
                "gdp_ranked_count": gdp.ranked_count if gdp and gdp.ranked_count else None,
                "projects": projects[weak_county.adcode],
                "money": money[weak_county.adcode],
                "targets": county_targets,
                "targets_met": sum(1 for t in county_targets if t["met"] is True),
                "targets_not_met": sum(1 for t in county_targets if t["met"] is False),
                "targets_without_actual": sum(1 for t in county_targets if t["met"] is None),
            }
        )

    gdp_results = [county[Indicator.GDP] for county in results.values() if Indicator.GDP in county]
    group = {
        code: {
            "group_growth_pct": _s(item.group_growth_pct),
            "province_growth_pct": _s(item.province_growth_pct),
            "gap_pp": _s(item.gap_pp),
            "members_covered": item.members_covered,
            "members_total": item.members_total,
            "release": item.release,
        }
        for code, item in summary["indicators"].items()
    }
    project_totals: dict[str, Any] = {
        "count": sum(c["projects"]["count"] for c in counties),
        "stages": {
            stage: sum(c["projects"]["stages"][stage] for c in counties)
            for stage in (counties[0]["projects"]["stages"] if counties else {})
        },
    }
    for key in ("stalled", "terminated", "signed_in_year", "started_in_year", "producing_in_year"):
        project_totals[key] = sum(c["projects"][key] for c in counties)
    for key in ("planned_investment", "completed_investment"):
        project_totals[key] = _money(sum((Decimal(c["projects"][key]) for c in counties), Decimal(0)))
    all_targets = [t for c in counties for t in c["targets"]]
    province = program.province
    figures: dict[str, Any] = {
        "version": FIGURES_VERSION,
        "program": {
            "code": program.code,
            "name": program.name,
            "province": program.province_id,
            "province_name": province.name if province else "",
            "start_date": program.start_date.isoformat(),
        },
        "year": year,
        "period": period,
        "scope": None if county is None else {"county": county.adcode, "name": county.name},
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),  # Beijing time: its date is printed
        "language": translation.get_language(),
        "indicators": indicators,
        "sample": {
            "designations": sum(1 for row in designations if row.is_sample),
            "pairings": sum(1 for c in counties if c["partner"] and c["partner"]["is_sample"]),
            "targets": sum(1 for t in all_targets if t["is_sample"]),
            "statistics": sample_statistics,
        },
        "group": group,
        "weak_total": len(weak),
        "moved_up": summary["moved_up"],
        "moved_down": sorted(r.region_id for r in gdp_results if r.rank_change is not None and r.rank_change < 0),
        "exited_bottom_ten": summary["exited_bottom_ten"],
        "entered_bottom_ten": sorted(r.region_id for r in gdp_results if r.in_bottom_ten and not r.was_in_bottom_ten),
        "in_bottom_ten": sorted(r.region_id for r in gdp_results if r.in_bottom_ten),
        "gdp_ranked": sum(1 for r in gdp_results if r.rank is not None),
        "gdp_rank_compared": sum(1 for r in gdp_results if r.rank_change is not None),
        "projects": project_totals,
        "money": program_money,
        "targets": {
            "total": len(all_targets),
            "met": sum(1 for t in all_targets if t["met"] is True),
            "not_met": sum(1 for t in all_targets if t["met"] is False),
            "without_actual": sum(1 for t in all_targets if t["met"] is None),
        },
        "counties": counties,
    }
    figures["narrative"] = evaluation_narrative(figures)
    return figures


# --- Display ----------------------------------------------------------------------------------------------------------


def rounded(value: Decimal | str | None) -> Decimal | None:
    """One decimal place, half up: how % and pp are shown."""
    if value is None:
        return None
    result = Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    return result if result != 0 else Decimal("0.0")


def pct_text(value: Decimal | str | None) -> str:
    """5.4% (one decimal place), or — when missing."""
    shown = rounded(value)
    return "—" if shown is None else f"{shown}%"


def pp_text(value: Decimal | str | None) -> str:
    """+0.4 / -1.2 / 0.0 percentage points (one decimal place), or — when missing."""
    shown = rounded(value)
    if shown is None:
        return "—"
    return f"+{shown}" if shown > 0 else str(shown)


def rank_change_text(change: int | None) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "0"


def indicator_label(code: str) -> str:
    return str(Indicator(code).label) if code in Indicator.values else code


def _names(codes: Iterable[str], names: dict[str, str]) -> str:
    return pgettext("list separator", ", ").join(names.get(code, code) for code in codes)


def _growth_sentence(*, subject: str, growth: Decimal | None, gap: Decimal | None, province: Decimal | None) -> str:
    """One indicator's growth against the province, decided on the rounded gap (what the reader sees)."""
    values = {"subject": subject, "growth": pct_text(growth), "province": pct_text(province)}
    shown_gap = rounded(gap)
    if shown_gap is None:
        return _("%(subject)s grew %(growth)s; the province's own growth is not recorded.") % values
    values["gap"] = str(abs(shown_gap))
    if shown_gap > 0:
        return _("%(subject)s grew %(growth)s, %(gap)s percentage points faster than the province (%(province)s).") % (
            values
        )
    if shown_gap < 0:
        return _("%(subject)s grew %(growth)s, %(gap)s percentage points slower than the province (%(province)s).") % (
            values
        )
    return _("%(subject)s grew %(growth)s, as fast as the province (%(province)s).") % values


def evaluation_narrative(figures: dict[str, Any]) -> dict[str, Any]:
    """The program's paragraph and each county's, assembled from the figures alone: every number in them is one of
    the figures, rounded as the tables show it, and a missing figure is said to be missing."""
    year, weak_total = figures["year"], figures["weak_total"]
    counties, group = figures["counties"], figures["group"]
    names = {c["adcode"]: c["name"] for c in counties}
    lines: list[str] = []
    values: dict[str, Any] = {"year": year, "count": weak_total}
    if weak_total == 0:
        lines.append(_("The program has no weak counties designated."))
    for code in figures["indicators"]:
        item = group.get(code)
        label = indicator_label(code)
        if item is None or item["group_growth_pct"] is None:
            if weak_total:
                lines.append(
                    _("No %(indicator)s growth of the weak counties is recorded for %(year)s.")
                    % {"indicator": label, "year": year}
                )
            continue
        if code == Indicator.GDP:
            subject = (
                ngettext(
                    "In %(year)s the %(count)d weak county's GDP",
                    "In %(year)s the %(count)d weak counties' GDP, taken together,",
                    weak_total,
                )
                % values
            )
        else:
            subject = _("Their %(indicator)s") % {"indicator": label}
        sentence = _growth_sentence(
            subject=subject,
            growth=_dec(item["group_growth_pct"]),
            gap=_dec(item["gap_pp"]),
            province=_dec(item["province_growth_pct"]),
        )
        if item["members_covered"] < item["members_total"]:
            sentence += " " + _("(Figures for %(covered)d of the %(total)d counties.)") % {
                "covered": item["members_covered"],
                "total": item["members_total"],
            }
        lines.append(sentence)
    if weak_total and not figures["indicators"]:
        lines.append(_("No growth figures of the weak counties are recorded for %(year)s.") % values)
    if weak_total and not figures["gdp_ranked"]:
        lines.append(_("No GDP ranking of the weak counties is recorded for %(year)s.") % values)
    elif figures["gdp_ranked"]:
        moved_up = figures["moved_up"]
        if moved_up:
            lines.append(
                ngettext(
                    "%(moved)d of the %(count)d weak counties moved up in the provincial GDP ranking: %(names)s.",
                    "%(moved)d of the %(count)d weak counties moved up in the provincial GDP ranking: %(names)s.",
                    len(moved_up),
                )
                % {"moved": len(moved_up), "count": weak_total, "names": _names(moved_up, names)}
            )
        elif figures["gdp_rank_compared"]:
            lines.append(_("None of the weak counties moved up in the provincial GDP ranking."))
        else:
            lines.append(_("The previous year's GDP ranking is not recorded, so rank changes cannot be stated."))
        exited = figures["exited_bottom_ten"]
        if exited:
            lines.append(
                _("%(names)s left the bottom ten of the provincial GDP ranking.") % {"names": _names(exited, names)}
            )
        elif figures["gdp_rank_compared"]:
            lines.append(_("No weak county left the bottom ten of the provincial GDP ranking."))
        still = figures["in_bottom_ten"]
        if still:
            lines.append(
                ngettext(
                    "%(number)d weak county is in the bottom ten: %(names)s.",
                    "%(number)d weak counties are in the bottom ten: %(names)s.",
                    len(still),
                )
                % {"number": len(still), "names": _names(still, names)}
            )
    lines.extend(_project_sentences(figures["projects"], year, whose="program"))
    lines.extend(_money_sentences_program(figures["money"], year))
    targets = figures["targets"]
    if targets["total"]:
        sentence = ngettext(
            "%(met)d of the %(total)d target was met.", "%(met)d of the %(total)d targets were met.", targets["total"]
        ) % {"met": targets["met"], "total": targets["total"]}
        if targets["without_actual"]:
            sentence += " " + ngettext(
                "%(number)d has no actual figure yet.",
                "%(number)d have no actual figure yet.",
                targets["without_actual"],
            ) % {"number": targets["without_actual"]}
        lines.append(sentence)
    elif weak_total:
        lines.append(_("No targets are set for %(year)s.") % values)
    if figures.get("scope"):
        lines = []  # a county's report has no program paragraph: the program's figures are every county's
    return {"program": lines, "counties": {c["adcode"]: _county_narrative(c, year) for c in counties}}


def _stage_text(stages: dict[str, int]) -> str:
    from projects.models import Stage

    parts = [
        _("%(stage)s %(count)d") % {"stage": Stage(stage).label, "count": count}
        for stage, count in stages.items()
        if count
    ]
    return pgettext("list separator", ", ").join(parts)


def _project_sentences(projects: dict[str, Any], year: int, *, whose: str) -> list[str]:
    values = {
        "count": projects["count"],
        "stages": _stage_text(projects["stages"]),
        "planned": format_money(Decimal(projects["planned_investment"])),
        "completed": format_money(Decimal(projects["completed_investment"])),
        "year": year,
        "started": projects["started_in_year"],
        "producing": projects["producing_in_year"],
        "signed": projects["signed_in_year"],
    }
    if projects["count"] == 0:
        if whose == "program":
            return [_("No projects are recorded for the weak counties' pairings.")]
        return [_("No projects are recorded for its pairing.")]
    return [
        ngettext(
            "%(count)d live project (%(stages)s) with a planned investment of %(planned)s; %(completed)s invested "
            "by the end of %(year)s according to the approved monthly reports.",
            "%(count)d live projects (%(stages)s) with a planned investment of %(planned)s; %(completed)s invested "
            "by the end of %(year)s according to the approved monthly reports.",
            projects["count"],
        )
        % values,
        _("In %(year)s: %(signed)d signed, %(started)d started construction, %(producing)d went into production.")
        % values,
    ]


def _money_sentences_program(money: dict[str, Any], year: int) -> list[str]:
    lines = []
    fund = money["guidance_fund"]
    values = {"year": year, "received": format_money(Decimal(money["guidance_received"]))}
    if fund is None:
        lines.append(_("No guidance fund is recorded for %(year)s.") % values)
    else:
        values["total"] = format_money(Decimal(fund["total"]))
        lines.append(_("The %(year)s guidance fund totals %(total)s.") % values)
    lines.append(_("The weak counties received %(received)s from the guidance fund in %(year)s.") % values)
    if money["bond_quota"] is None:
        lines.append(_("No special-bond quota is recorded for %(year)s.") % values)
    else:
        values.update(
            quota=format_money(Decimal(money["bond_quota"])), issued=format_money(Decimal(money["bonds_issued"]))
        )
        lines.append(_("Special bonds: %(issued)s issued in %(year)s against a quota of %(quota)s.") % values)
    return lines


def _county_narrative(county: dict[str, Any], year: int) -> list[str]:
    lines: list[str] = []
    partner = county["partner"]
    if partner is None:
        lines.append(_("No partner county is recorded for it."))
    else:
        lines.append(_("Assisted by %(partner)s.") % {"partner": partner["name"]})
    gdp = county["indicators"].get(Indicator.GDP)
    if gdp is None or gdp["growth_pct"] is None:
        lines.append(_("No GDP growth is recorded for it for %(year)s.") % {"year": year})
    else:
        lines.append(
            _growth_sentence(
                subject=_("Its GDP in %(year)s") % {"year": year},
                growth=_dec(gdp["growth_pct"]),
                gap=_dec(gdp["gap_pp"]),
                province=_dec(gdp["province_growth_pct"]),
            )
        )
    if gdp is not None and gdp["rank"] is not None:
        values = {
            "rank": gdp["rank"],
            "count": gdp["ranked_count"],
            "previous": gdp["previous_rank"],
            "places": abs(gdp["rank_change"] or 0),
        }
        change = gdp["rank_change"]
        if change is None:
            lines.append(_("It ranks %(rank)d of %(count)d in the province by GDP.") % values)
        elif change > 0:
            lines.append(
                ngettext(
                    "It ranks %(rank)d of %(count)d in the province by GDP, up %(places)d place from %(previous)d.",
                    "It ranks %(rank)d of %(count)d in the province by GDP, up %(places)d places from %(previous)d.",
                    values["places"],
                )
                % values
            )
        elif change < 0:
            lines.append(
                ngettext(
                    "It ranks %(rank)d of %(count)d in the province by GDP, down %(places)d place from %(previous)d.",
                    "It ranks %(rank)d of %(count)d in the province by GDP, down %(places)d places from %(previous)d.",
                    values["places"],
                )
                % values
            )
        else:
            lines.append(_("It ranks %(rank)d of %(count)d in the province by GDP, as the year before.") % values)
        if gdp["exited_bottom_ten"]:
            lines.append(_("It left the bottom ten."))
        elif gdp["in_bottom_ten"] and gdp["was_in_bottom_ten"]:
            lines.append(_("It remains in the bottom ten."))
        elif gdp["in_bottom_ten"]:
            lines.append(_("It is in the bottom ten."))
    elif gdp is not None:
        lines.append(_("Its GDP rank for %(year)s is not recorded.") % {"year": year})
    for code, figures in county["indicators"].items():
        if code == Indicator.GDP or figures["growth_pct"] is None:
            continue
        lines.append(
            _growth_sentence(
                subject=indicator_label(code),
                growth=_dec(figures["growth_pct"]),
                gap=_dec(figures["gap_pp"]),
                province=_dec(figures["province_growth_pct"]),
            )
        )
    lines.extend(_project_sentences(county["projects"], year, whose="county"))
    money = county["money"]
    values = {
        "year": year,
        "received": format_money(Decimal(money["guidance_received"])),
        "issued": format_money(Decimal(money["bonds_issued"])),
    }
    if Decimal(money["guidance_received"]):
        lines.append(_("It received %(received)s from the guidance fund in %(year)s.") % values)
    else:
        lines.append(_("No guidance-fund payment to it is recorded for %(year)s.") % values)
    if money["bond_quota"] is not None:
        values["quota"] = format_money(Decimal(money["bond_quota"]))
        lines.append(_("Special bonds: %(issued)s issued in %(year)s against a quota of %(quota)s.") % values)
    elif Decimal(money["bonds_issued"]):
        lines.append(_("Special bonds issued in %(year)s: %(issued)s.") % values)
    total = len(county["targets"])
    if total == 0:
        lines.append(_("No targets are set for it for %(year)s.") % {"year": year})
    else:
        sentence = ngettext(
            "%(met)d of its %(total)d target was met.", "%(met)d of its %(total)d targets were met.", total
        ) % {"met": county["targets_met"], "total": total}
        if county["targets_without_actual"]:
            sentence += " " + ngettext(
                "%(number)d has no actual figure yet.",
                "%(number)d have no actual figure yet.",
                county["targets_without_actual"],
            ) % {"number": county["targets_without_actual"]}
        lines.append(sentence)
    return lines


def evaluation_charts(figures: dict[str, Any]) -> dict[str, Any]:
    """The SVGs of the document: the group's gap per indicator, each county's GDP gap, and per county its gap per
    indicator and its GDP rank over the years."""
    indicators = figures["indicators"]
    counties = figures["counties"]
    group_chart = gap_bar_chart(
        [Bar(indicator_label(code), _dec(figures["group"].get(code, {}).get("gap_pp"))) for code in indicators],
        title="弱县整体增速与全省增速之差(百分点)",
    )
    gdp_gaps = [(c["name"], _dec(c["indicators"].get(Indicator.GDP, {}).get("gap_pp"))) for c in counties]
    # Widest lead first, counties without a figure last; the name breaks ties so the order never depends on the input.
    gdp_gaps.sort(key=lambda item: (item[1] is None, -(item[1] or 0), item[0]))
    gdp_chart = gap_bar_chart(
        [Bar(name, gap) for name, gap in gdp_gaps], title="各弱县地区生产总值增速与全省之差(百分点)"
    )
    per_county = {}
    for c in counties:
        per_county[c["adcode"]] = {
            "gaps": gap_bar_chart(
                [Bar(indicator_label(code), _dec(c["indicators"].get(code, {}).get("gap_pp"))) for code in indicators],
                title=f"{c['name']}:各指标增速与全省之差(百分点)",
                width=360,
                label_width=110,
            ),
            "ranks": rank_trend_chart(
                [RankPoint(point["period"], point["rank"]) for point in c["gdp_rank_history"]],
                title=f"{c['name']}:地区生产总值全省位次",
                ranked_count=c["gdp_ranked_count"],
                width=300,
            ),
        }
    return {"group": group_chart, "gdp": gdp_chart, "counties": per_county}


def _target_value_text(value: str | None, unit: str) -> str:
    if value is None:
        return "—"
    amount = Decimal(value)
    if unit == Unit.YUAN:
        return format_money(amount)
    if unit in (Unit.COUNT, Unit.RANK):
        return f"{amount:,.0f}"
    if unit == Unit.PERCENT:
        return pct_text(amount)
    return pp_text(amount)


def evaluation_document(figures: dict[str, Any], *, charts: dict[str, Any]) -> dict[str, Any]:
    """The figures arranged for the template: labels resolved, numbers rounded for display."""
    from projects.models import Stage

    from .models import Direction, Metric

    names = {c["adcode"]: c["name"] for c in figures["counties"]}
    indicators = [{"code": code, "label": indicator_label(code)} for code in figures["indicators"]]

    def indicator_rows(source: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        rows = []
        for code in figures["indicators"]:
            item = source.get(code)
            rows.append(
                {
                    "code": code,
                    "label": indicator_label(code),
                    "present": item is not None,
                    "growth": pct_text(item and item["growth_pct"]),
                    "derived": bool(item and item["growth_derived"]),
                    "province": pct_text(item and item["province_growth_pct"]),
                    "gap": pp_text(item and item["gap_pp"]),
                    "rank": item["rank"] if item and item["rank"] is not None else "—",
                    "ranked_count": item["ranked_count"] if item and item["rank"] is not None else None,
                    "previous_rank": item["previous_rank"] if item and item["previous_rank"] is not None else "—",
                    "rank_change": rank_change_text(item and item["rank_change"]),
                    # Among ten or fewer ranked units every one is "in the bottom ten": the mark would say nothing.
                    "bottom_ten": bool(item and item["in_bottom_ten"] and item["ranked_count"] > 10),
                }
            )
        return rows

    group_rows = []
    for code in figures["indicators"]:
        item = figures["group"].get(code)
        group_rows.append(
            {
                "code": code,
                "label": indicator_label(code),
                "growth": pct_text(item and item["group_growth_pct"]),
                "province": pct_text(item and item["province_growth_pct"]),
                "gap": pp_text(item and item["gap_pp"]),
                "covered": item["members_covered"] if item else 0,
                "total": item["members_total"] if item else figures["weak_total"],
            }
        )
    metric_labels = dict(Metric.choices)
    direction_signs = {Direction.AT_LEAST: "≥", Direction.AT_MOST: "≤"}
    counties = []
    for c in figures["counties"]:
        gdp = c["indicators"].get(Indicator.GDP, {})
        counties.append(
            {
                **c,
                "gdp_growth": pct_text(gdp.get("growth_pct")),
                "gdp_gap": pp_text(gdp.get("gap_pp")),
                "gdp_rank": gdp.get("rank") if gdp.get("rank") is not None else "—",
                "gdp_rank_change": rank_change_text(gdp.get("rank_change")),
                "gdp_bottom_ten": bool(gdp.get("in_bottom_ten")),
                "gdp_exited": bool(gdp.get("exited_bottom_ten")),
                "indicator_rows": indicator_rows(c["indicators"]),
                "planned": format_money(Decimal(c["projects"]["planned_investment"])),
                "completed": format_money(Decimal(c["projects"]["completed_investment"])),
                "received": format_money(Decimal(c["money"]["guidance_received"])),
                "allocated": format_money(Decimal(c["money"]["guidance_allocated"])),
                "bonds_issued": format_money(Decimal(c["money"]["bonds_issued"])),
                "bond_quota": format_money(_dec(c["money"]["bond_quota"])),
                "stage_counts": [c["projects"]["stages"][stage] for stage in Stage.values],
                "target_rows": [
                    {
                        **t,
                        "label": t["title"]
                        or (
                            f"{metric_labels.get(t['metric'], t['metric'])}"
                            + (f"({indicator_label(t['indicator'])})" if t["indicator"] else "")
                        ),
                        "target_text": f"{direction_signs.get(t['direction'], '')} "
                        f"{_target_value_text(t['target'], t['unit'])}",
                        "actual_text": _target_value_text(t["actual"], t["unit"]),
                        "progress_text": pct_text(t["progress_pct"]),
                    }
                    for t in c["targets"]
                ],
                "narrative": figures["narrative"]["counties"].get(c["adcode"], []),
                "chart_gaps": mark_safe(charts["counties"][c["adcode"]]["gaps"]),  # built with every text escaped
                "chart_ranks": mark_safe(charts["counties"][c["adcode"]]["ranks"]),  # built with every text escaped
            }
        )
    # The impact chapter (synthetic control and difference-in-differences) is built by the impact app.
    from impact.narrative import impact_chapter

    impact = impact_chapter(program_code=figures["program"]["code"], year=figures["year"], counties=names)
    projects = figures["projects"]
    money = figures["money"]
    fund = money["guidance_fund"]
    sample = figures["sample"]
    return {
        **figures,
        "title": f"{figures['program']['name']} {figures['year']}年度"
        + (f"{scope['name']}" if (scope := figures.get("scope")) else "")
        + "县域经济发展评价报告",
        "generated_on": figures["generated_at"][:10],
        "indicator_columns": indicators,
        "group_rows": group_rows,
        "moved_up_names": [names.get(code, code) for code in figures["moved_up"]],
        "moved_down_names": [names.get(code, code) for code in figures["moved_down"]],
        "exited_names": [names.get(code, code) for code in figures["exited_bottom_ten"]],
        "bottom_ten_names": [names.get(code, code) for code in figures["in_bottom_ten"]],
        "stage_titles": [Stage(stage).label for stage in Stage.values],
        "project_stage_rows": [(Stage(stage).label, projects["stages"].get(stage, 0)) for stage in Stage.values],
        # Sentences of a paragraph: a space in English, nothing between Chinese sentences (the translation's).
        "sentence_separator": pgettext("sentence separator", " "),
        "planned": format_money(Decimal(projects["planned_investment"])),
        "completed": format_money(Decimal(projects["completed_investment"])),
        "fund_total": format_money(_dec(fund["total"])) if fund else "—",
        "fund_allocated": format_money(_dec(fund["allocated"])) if fund else "—",
        "received": format_money(Decimal(money["guidance_received"])),
        "bond_quota": format_money(_dec(money["bond_quota"])),
        "bonds_issued": format_money(Decimal(money["bonds_issued"])),
        "has_sample": bool(sample["designations"] or sample["pairings"] or sample["targets"] or sample["statistics"]),
        "counties": counties,
        "program_narrative": figures["narrative"]["program"],
        "chart_group": mark_safe(charts["group"]),  # built with every text escaped
        "chart_gdp": mark_safe(charts["gdp"]),  # built with every text escaped
        "impact": impact,
    }
