"""The tracker's admin site: the apps in the program's order and a per-program overview on the index.

It is the default admin site (``config.apps.TrackerAdminConfig``), so apps register their admins with
``@admin.register`` as usual.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from common.admin_exports import export_urls

# (group title, [(app_label, model_name), …]) in the order the program is run. Models not listed here are appended
# to their app's group; apps not listed get their own group after the program's groups.
PROGRAM_ORDER: list[tuple[Any, list[tuple[str, str]]]] = [
    (
        _("Programs & pairings"),
        [("pairing", "program"), ("pairing", "programcounty"), ("pairing", "pairing"), ("pairing", "park")],
    ),
    (
        _("Projects & cooperation"),
        [
            ("projects", "project"),
            ("projects", "progressreport"),
            ("projects", "crosscountyorder"),
            ("projects", "promotionevent"),
            ("projects", "secondment"),
            ("projects", "financesupport"),
        ],
    ),
    (
        _("Warnings & bulletins"),
        [
            ("projects", "projectwarning"),
            ("projects", "bulletin"),
            ("projects", "warningchange"),
            ("projects", "reportreminder"),
            ("projects", "warningrules"),
            ("projects", "closedperiod"),
        ],
    ),
    (
        _("Funds & bonds"),
        [
            ("funds", "fund"),
            ("funds", "allocation"),
            ("funds", "disbursement"),
            ("funds", "rewardrun"),
            ("funds", "bondplan"),
            ("funds", "bondquota"),
            ("funds", "bondissue"),
            ("funds", "fundcontribution"),
            ("funds", "fundinvestment"),
            ("funds", "parkledgerentry"),
        ],
    ),
    (_("Reference data"), [("pairing", "region"), ("pairing", "source")]),
]
LAST_APPS = ["accounts", "auth"]  # users and their API tokens close the list


@dataclass
class ProgramOverview:
    program: Any
    pairings_documented: int = 0
    pairings_sample: int = 0
    weak_counties: int = 0
    projects_by_stage: list[tuple[Any, int, str]] = field(default_factory=list)  # label, count, url
    planned_investment: Decimal = Decimal("0")
    funds: list[dict[str, Any]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


def _changelist(model: str, **params: Any) -> str:
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def program_overviews() -> list[ProgramOverview]:
    """One block per program; five grouped queries whatever the number of programs (the pairings' and funds' reads
    are their apps' selectors)."""
    from funds.models import FundKind
    from funds.selectors import guidance_fund_balances
    from pairing.models import CountyRole, PairingStatus, Program
    from pairing.selectors import active_pairing_counts_by_program, weak_county_counts_by_program
    from projects.models import Project, Stage

    overviews = {p.pk: ProgramOverview(program=p) for p in Program.objects.order_by("-start_date", "code")}
    for program_id, counts in active_pairing_counts_by_program().items():
        overviews[program_id].pairings_documented = counts.documented
        overviews[program_id].pairings_sample = counts.sample
    for program_id, weak in weak_county_counts_by_program().items():
        overviews[program_id].weak_counties = weak

    stage_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Project.objects.live()
        .values("pairing__program", "stage")
        .annotate(n=Count("pk"), invested=Sum("planned_investment"))
        .order_by()
    ):
        program_id = row["pairing__program"]
        stage_counts[program_id][row["stage"]] = row["n"]
        overviews[program_id].planned_investment += row["invested"] or Decimal("0")

    for row in guidance_fund_balances():
        row["url"] = reverse("admin:funds_fund_change", args=[row["pk"]])
        overviews[row["program"]].funds.append(row)

    for program_id, overview in overviews.items():
        overview.projects_by_stage = [
            (
                label,
                stage_counts[program_id].get(value, 0),
                _changelist("projects_project", pairing__program__id__exact=program_id, stage__exact=value),
            )
            for value, label in Stage.choices
        ]
        overview.links = {
            "documented": _changelist(
                "pairing_pairing", program__id__exact=program_id, status__exact=PairingStatus.ACTIVE, sample="no"
            ),
            "sample": _changelist(
                "pairing_pairing", program__id__exact=program_id, status__exact=PairingStatus.ACTIVE, sample="yes"
            ),
            "weak_counties": _changelist(
                "pairing_programcounty", program__id__exact=program_id, role__exact=CountyRole.WEAK
            ),
            "projects": _changelist("projects_project", pairing__program__id__exact=program_id),
            "funds": _changelist("funds_fund", program__id__exact=program_id, kind__exact=FundKind.GUIDANCE),
        }
    return list(overviews.values())


class TrackerAdminSite(admin.AdminSite):
    site_header = settings.ADMIN_SITE_HEADER
    site_title = settings.ADMIN_SITE_HEADER
    index_title = _("Program overview")
    index_template = "admin/tracker_index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff of a provincial role only. ``is_staff`` follows the role (``user_set_role``), but a flag set by hand
        must not let a county liaison or an account without a role into the admin, whatever permissions it holds:
        a liaison's rows are scoped in the API and the liaison pages, not in the admin."""
        from accounts.access import access_for

        return super().has_permission(request) and access_for(request.user).sees_everything

    def get_urls(self):
        # Every changelist's CSV and Excel export, before the models' own URLs (their catch-all is an object's key).
        return [*export_urls(self), *super().get_urls()]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        return self.group_in_program_order(app_list)

    @staticmethod
    def group_in_program_order(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
        apps = {app["app_label"]: app for app in app_list}
        models = {
            (app["app_label"], model["object_name"].lower()): model for app in app_list for model in app["models"]
        }
        placed: set[tuple[str, str]] = set()
        groups = []
        for title, keys in PROGRAM_ORDER:
            entries = [models[key] for key in keys if key in models]
            if not entries:
                continue
            placed.update(key for key in keys if key in models)
            first_app = apps[next(key for key in keys if key in models)[0]]
            groups.append({**first_app, "name": title, "models": entries})
        # Whatever the program's groups do not name keeps its own app, between the program and the users.
        leftovers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for key, model in models.items():
            if key not in placed:
                leftovers[key[0]].append(model)
        reference_at = len(groups) - 1 if groups and groups[-1]["name"] == PROGRAM_ORDER[-1][0] else len(groups)
        middle, last = [], []
        for label, entries in leftovers.items():
            group = {**apps[label], "models": entries}
            (last if label in LAST_APPS else middle).append(group)
        last.sort(key=lambda app: LAST_APPS.index(app["app_label"]))
        return [*groups[:reference_at], *middle, *groups[reference_at:], *last]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        context = dict(extra_context or {})
        if request.user.has_perm("pairing.view_pairing"):
            context["program_overviews"] = program_overviews()
        if request.user.has_perm("projects.view_progressreport"):
            from projects.review import waiting_counts

            context["review_waiting"] = waiting_counts()
            context["review_waiting_total"] = sum(count.waiting for count in context["review_waiting"])
        return super().index(request, extra_context=context)
