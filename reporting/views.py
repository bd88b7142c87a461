"""The dashboard page (``/dashboard/``): a frame the browser fills from the reporting API, so every number on it is
the API's, scoped to the signed-in user."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import access_for, pairing_q
from accounts.models import Role
from impact.selectors import impact_result
from pairing.models import Pairing, Program
from projects.review import waiting_counts
from stats.models import Indicator

from .selectors import default_period, periods_with_results


def _programs_for(access) -> list[Program]:
    programs = Program.objects.order_by("-start_date", "code")
    if access.is_liaison:
        mine = Pairing.objects.filter(pairing_q(access.county)).values("program")
        programs = programs.filter(pk__in=mine)
    return list(programs)


def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("liaison:login"))
    access = access_for(request.user)
    if not access.has_role:
        return render(request, "reporting/forbidden.html", status=403)
    programs = _programs_for(access)
    program = next((p for p in programs if p.code == request.GET.get("program")), programs[0] if programs else None)
    periods = periods_with_results(program) if program else []
    opening = default_period(program, periods) if program else ""
    period = request.GET.get("period") if request.GET.get("period") in periods else opening
    has_sample = bool(program) and Pairing.objects.filter(program=program, is_sample=True).exists()
    review_waiting = None
    if program and access.role == Role.OFFICER:
        # The officers' review queue in the admin, counted for this program per county.
        review_waiting = [count for count in waiting_counts() if count.program_id == program.pk]
    # The impact panel asks for its charts only when there is an estimate to draw (no request that must fail).
    impact_ready = bool(program) and impact_result(program=program, indicator=Indicator.GDP) is not None
    config = {
        "program": program.code if program else None,
        "impact_ready": impact_ready,
        "period": period,
        "province": program.province_id if program else None,
        "api": reverse("api-root"),
        "indicators": [{"code": code, "label": str(label)} for code, label in Indicator.choices],
        "texts": {
            "table": _("Table"),
            "chart": _("Chart"),
            "download": _("Download CSV"),
            "no_data": _("No data for this selection."),
            "none_yet": _("No data yet"),
            "load_failed": _("The data could not be loaded."),
            "weak": _("Weak county"),
            "strong": _("Strong county"),
            "gap_pp": _("Gap to the province (pp)"),
            "rank": _("Rank in the province"),
            "reached": _("Reached the stage or beyond"),
            "now": _("At the stage now"),
            "progress": _("Progress (%)"),
            "met": _("met"),
            "not_met": _("not yet"),
            "pp": _("pp"),
            "wan": _("10k yuan"),
            "yi": _("100M yuan"),
            "cards": {
                "pairings": _("Active pairings"),
                "pairings_detail": _("%(documented)s documented, %(sample)s sample"),
                "weak_counties": _("Weak counties"),
                "projects": _("Projects"),
                "investment": _("Investment completed"),
                "investment_detail": _("of %(planned)s planned"),
                "fund": _("Guidance fund paid"),
                "fund_detail": _("of %(total)s, %(used)s used"),
                "bonds": _("Special bonds issued"),
                "bonds_detail": _("quota %(quota)s"),
                "orders": _("Cross-county orders"),
                "orders_detail": _("%(count)s orders this year"),
                "warnings": _("Red / yellow warnings"),
                "warnings_detail": _("%(blue)s on track (blue)"),
                "gdp": _("Weak counties' GDP growth"),
                "gdp_detail": _("province %(province)s, gap %(gap)s pp (%(covered)s of %(total)s counties)"),
            },
            "columns": {
                "adcode": _("adcode"),
                "county": _("county"),
                "role": _("role"),
                "pairing": _("pairing"),
                "indicator": _("indicator"),
                "growth": _("growth (%)"),
                "province_growth": _("province growth (%)"),
                "period": _("period"),
                "rank_change": _("rank change"),
                "stage": _("stage"),
                "year": _("year"),
                "metric": _("metric"),
                "target": _("target"),
                "actual": _("actual (computed)"),
                "met": _("met?"),
            },
        },
    }
    return render(
        request,
        "reporting/dashboard.html",
        {
            "programs": programs,
            "program": program,
            "periods": periods,
            "period": period,
            "access": access,
            "has_sample": has_sample,
            "review_waiting": review_waiting,
            "review_waiting_total": sum(count.waiting for count in review_waiting or []),
            "config": config,
        },
    )
