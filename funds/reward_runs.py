"""The year-end surplus reward run (结余奖励, docs/domain.md §4): services and the reads they need.

``reward_run_start`` reads the fund's total and disbursements and each weak county's main-tax figures from the
statistics store (the release in force, named on every line), applies the rule with ``funds.reward`` and stores the
run as a draft with its explainer; running it again recomputes the draft. A draft locks nothing: the fund's year
stays open and the draft can be discarded (``reward_run_discard``). Closing the year is a step of its own
(``funds.services.fund_close_year``, the only code that closes a year; ``fund_reopen_year`` undoes it while the run
is not approved). ``reward_run_approve`` — a provincial officer who had no hand in the draft — needs the year closed
and the draft computed on the figures as they are then (``reward_run_changes``: a draft made stale by a later
allocation, disbursement or statistics revision is refused with what changed), and records the payouts. The admin,
the API and the year-end task all call these.

Four eyes: every start, recomputation, rule change, closing and reopening of the year is recorded
(``RewardRunEdit``: who, when, what changed) and its person becomes an editor of the run (``RewardRunParticipant``).
An editor never approves: not the starter, not an officer who re-ran the draft with a rule of their own, not one who
only recomputed it, not the one who closed the year (``Fund.closed_by``, also when the year was closed before the
draft existed). A draft the scheduled job made has no person behind it, so it needs one officer to confirm or change
its rule (a re-run) and another to approve. The unique (run, user) participant row makes the database refuse an
approver who edited the draft.

Concurrency: both take the fund's row lock first (the order every money writer uses), so two starts at once give
one run, and an approval cannot interleave with a recomputation. The one-to-one fund → run and the unique
(fund, county) payout constraints are the database's last word: never two runs, never two payouts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.access import access_for
from accounts.models import Role
from common.audit import as_actor
from common.money import MoneyField
from pairing.models import CountyRole, ProgramCounty
from stats.models import Indicator
from stats.rules import growth_pct as resolve_growth
from stats.selectors import effective_values

from .models import (
    Allocation,
    Fund,
    FundKind,
    RewardBasis,
    RewardPayout,
    RewardRun,
    RewardRunAction,
    RewardRunEdit,
    RewardRunParticipant,
    RewardRunRole,
    RewardRunStatus,
    RewardShare,
)
from .reward import CountyInput, RewardRule, RewardRuleError, compute_reward
from .reward_paper import pct2, wan_fen

logger = logging.getLogger(__name__)


class RewardRunConflict(Exception):
    """The fund's run is already approved (it cannot be run, discarded or paid again), or cannot be approved as it
    stands: its year is open or its figures are out of date (HTTP 409)."""


class RewardRunStale(RewardRunConflict):
    """The draft was computed on figures that have changed since: ``reasons`` says which, in words."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            _("The draft was computed on figures that have changed since; run it again before approving: %(why)s")
            % {"why": " ".join(reasons)}
        )


@dataclass(frozen=True)
class RewardInputs:
    period: str
    previous_period: str
    counties: list[CountyInput]


def reward_inputs(*, fund: Fund) -> RewardInputs:
    """Every weak county of the fund's program with its main-tax revenue for the fund year and the year before, as
    the statistics store has them now (revised over preliminary), and the growth the gap rules resolve (reported,
    else derived from the two levels)."""
    period, previous = str(fund.year), str(fund.year - 1)
    weak = (
        ProgramCounty.objects.filter(program=fund.program, role=CountyRole.WEAK)
        .select_related("county")
        .order_by("county_id")
    )
    figures = {
        (value.region, value.period): value
        for value in effective_values(periods=[period, previous], provinces=[fund.program.province_id])
        if value.indicator == Indicator.MAIN_TAX
    }
    counties = []
    for member in weak:
        current = figures.get((member.county_id, period))
        before = figures.get((member.county_id, previous))
        level = current.value if current else None
        previous_level = before.value if before else None
        growth, _derived = resolve_growth(
            reported=current.growth_pct if current else None, level=level, previous_level=previous_level
        )
        releases = [
            f"{value.period} {value.release}" + (f" {value.as_of}" if value.as_of else "")
            for value in (current, before)
            if value is not None
        ]
        counties.append(
            CountyInput(
                adcode=member.county_id,
                name=member.county.name,
                main_tax_current=level,
                main_tax_previous=previous_level,
                growth_pct=growth,
                release="; ".join(releases),
            )
        )
    return RewardInputs(period=period, previous_period=previous, counties=counties)


def _disbursed(fund: Fund) -> Decimal:
    return Allocation.objects.filter(fund=fund).aggregate(
        total=Coalesce(Sum("disbursed"), Value(Decimal("0")), output_field=MoneyField())
    )["total"]


@transaction.atomic
def reward_run_start(
    *,
    fund: Fund,
    by=None,
    threshold_pct: Decimal | None = None,
    basis: str | None = None,
    cap: Decimal | None = None,
    clear_cap: bool = False,
) -> tuple[RewardRun, bool]:
    """Compute the fund's reward run as a draft (created, or recomputed if one exists). Locks nothing: the year is
    closed, when finance is done, by ``funds.services.fund_close_year`` alone.

    Returns (run, created). The rule fields given replace the draft's; those not given keep it. Raises
    ``RewardRunConflict`` if the run is already approved and ``ValidationError`` if the rule cannot be applied
    (nothing is saved then).
    """
    fund = Fund.objects.select_for_update().select_related("program").get(pk=fund.pk)
    if fund.kind != FundKind.GUIDANCE:
        raise ValidationError({"fund": _("Only a guidance fund has a year-end surplus reward.")})
    run = RewardRun.objects.filter(fund=fund).first()
    if run is not None and run.status == RewardRunStatus.APPROVED:
        raise RewardRunConflict(
            _("The %(year)s reward run is approved and paid: it cannot be run again.") % {"year": fund.year}
        )
    created = run is None
    person = by if by is not None and by.is_authenticated else None
    if created:
        run = RewardRun(fund=fund, created_by=person)
    rule_before = _rule_of(run)
    if threshold_pct is not None:
        run.threshold_pct = threshold_pct
    if basis is not None:
        if basis not in RewardBasis.values:
            raise ValidationError({"basis": _("Unknown weight basis %(basis)s.") % {"basis": basis}})
        run.basis = basis
    if cap is not None or clear_cap:
        run.cap = cap

    reason = "" if by is not None else "scheduled year-end reward run"
    disbursed = _disbursed(fund)
    inputs = reward_inputs(fund=fund)
    rule = RewardRule(threshold_pct=Decimal(run.threshold_pct), basis=run.basis, cap=run.cap)
    try:
        result = compute_reward(
            fund.total - disbursed, inputs.counties, rule, fund_total=fund.total, disbursed=disbursed
        )
    except RewardRuleError as exc:
        raise ValidationError(str(exc), code=exc.code) from exc

    run.period = inputs.period
    run.fund_total = fund.total
    run.disbursed = disbursed
    run.surplus = result.surplus
    with translation.override("zh-hans"):  # the explainer is stored as read in the admin, Chinese first
        run.explainer = result.as_json()["explainer"]
        reasons = {line.adcode: str(line.reason) if line.reason else "" for line in result.counties}
    run.computed_at = timezone.now()
    as_actor(run, by, reason)
    run.save()
    inputs_by_county = {county.adcode: county for county in inputs.counties}
    RewardShare.objects.filter(run=run).delete()
    RewardShare.objects.bulk_create(
        RewardShare(
            run=run,
            county_id=line.adcode,
            main_tax=inputs_by_county[line.adcode].main_tax_current,
            main_tax_previous=inputs_by_county[line.adcode].main_tax_previous,
            growth_pct=line.growth_pct,
            increment=line.increment,
            release=line.release[:64],
            eligible=line.eligible,
            reason=reasons[line.adcode][:255],
            weight=line.weight,
            exact_share=line.exact_share,
            capped=line.capped,
            share=line.share,
        )
        for line in result.counties
    )
    _record_edit(run=run, person=person, created=created, rule_before=rule_before)
    logger.info("reward run %s for fund %s %s", run.pk, fund.pk, "created" if created else "recomputed")
    return run, created


_RULE_FIELDS = ("threshold_pct", "basis", "cap")


def _rule_of(run: RewardRun | None) -> dict[str, str | None]:
    """The run's rule as text, so that 3.4 and 3.4000 compare equal and the changes store as JSON."""
    if run is None:
        return dict.fromkeys(_RULE_FIELDS)
    values = {}
    for name in _RULE_FIELDS:
        value = getattr(run, name)
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f") if name == "threshold_pct" else format(value, "f")
        values[name] = None if value is None else str(value)
    return values


def _record_edit(*, run: RewardRun, person, created: bool, rule_before: dict[str, str | None]) -> None:
    """Record a hand in the draft: the edit (who, when, what) and its person as an editor of the run."""
    rule_after = _rule_of(run)
    if created:
        action, changes = RewardRunAction.START, rule_after
    else:
        changes = {
            name: [rule_before[name], rule_after[name]]
            for name in _RULE_FIELDS
            if rule_before[name] != rule_after[name]
        }
        action = RewardRunAction.RULE if changes else RewardRunAction.RECOMPUTE
    RewardRunEdit.objects.create(run=run, by=person, action=action, changes=changes)
    if person is not None:
        RewardRunParticipant.objects.get_or_create(run=run, user=person, defaults={"role": RewardRunRole.EDITOR})


@transaction.atomic
def reward_run_approve(*, run: RewardRun, by) -> RewardRun:
    """Approve a draft run and record its payouts. Only a provincial officer who had no hand in the draft (started,
    recomputed or changed its rule, closed or reopened the year), only once a person has set or confirmed the rule,
    only with the fund's year closed, and only if the draft's figures are still the fund's and the statistics' now
    (else ``RewardRunStale`` says what changed: run the draft again)."""
    if access_for(by).role != Role.OFFICER:
        raise PermissionDenied(_("Only a provincial officer approves a reward run."))
    fund = Fund.objects.select_for_update().select_related("program").get(pk=run.fund_id)
    run = RewardRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RewardRunStatus.APPROVED:
        raise RewardRunConflict(_("This reward run is already approved and paid."))
    editors = set(run.participants.filter(role=RewardRunRole.EDITOR).values_list("user_id", flat=True))
    if by.pk in editors or (run.created_by_id is not None and run.created_by_id == by.pk):
        raise PermissionDenied(
            _(
                "You started, recomputed or changed this draft, or closed or reopened its year: another provincial "
                "officer must approve it."
            )
        )
    if fund.closed_by_id is not None and fund.closed_by_id == by.pk:
        raise PermissionDenied(_("You closed the fund's year: another provincial officer must approve the run."))
    if not editors:
        raise PermissionDenied(
            _(
                "The scheduled job drafted this run: a provincial officer must first confirm or change its rule "
                "(run it again), and another one approve it."
            )
        )
    if fund.frozen_at is None:
        raise RewardRunConflict(
            _(
                "Close the %(year)s fund year before approving its reward run: while it is open, money can still be "
                "allocated and paid, and the surplus can change."
            )
            % {"year": fund.year}
        )
    reasons = reward_run_changes(run=run, fund=fund)
    if reasons:
        raise RewardRunStale(reasons)
    # The fund's row lock taken above serialises this check-then-write with every re-run, payment, reopening and
    # second approval; the participant row below is the database's word on it.
    RewardRunParticipant.objects.create(run=run, user=by, role=RewardRunRole.APPROVER)
    run.status = RewardRunStatus.APPROVED
    run.approved_by = by
    run.approved_at = timezone.now()
    as_actor(run, by)
    run.save(update_fields=["status", "approved_by", "approved_at"])
    bulk_create_with_history(
        [
            RewardPayout(fund_id=run.fund_id, run=run, county_id=share.county_id, amount=share.share)
            for share in run.shares.filter(share__gt=0)
        ],
        RewardPayout,
        default_user=by,
    )
    return run


@transaction.atomic
def reward_run_discard(*, run: RewardRun, by) -> None:
    """Throw a draft away (its lines, edits and participants with it; the run's history keeps who discarded it). A
    provincial or finance officer; never an approved run (``RewardRunConflict``). The fund's year is left as it is."""
    if access_for(by).role not in (Role.OFFICER, Role.FINANCE):
        raise PermissionDenied(_("Only a provincial or finance officer discards a draft reward run."))
    Fund.objects.select_for_update().get(pk=run.fund_id)
    run = RewardRun.objects.select_for_update().filter(pk=run.pk).first()
    if run is None:
        return
    if run.status == RewardRunStatus.APPROVED:
        raise RewardRunConflict(_("This reward run is approved and paid: it cannot be discarded."))
    as_actor(run, by, "draft discarded")
    pk = run.pk
    run.delete()
    logger.info("reward run %s discarded", pk)


def _same(stored: Decimal | None, now: Decimal | None, places: int = 2) -> bool:
    if stored is None or now is None:
        return stored is None and now is None
    step = Decimal(1).scaleb(-places)
    return Decimal(stored).quantize(step) == Decimal(now).quantize(step)


def reward_run_changes(*, run: RewardRun, fund: Fund | None = None) -> list[str]:
    """What changed, in words, between the figures the draft was computed on and the fund's and the statistics'
    figures now; empty if nothing did. Compares every input of the computation (the rule is the run's own)."""
    fund = fund or Fund.objects.select_related("program").get(pk=run.fund_id)
    reasons: list[str] = []
    if fund.total != run.fund_total:
        reasons.append(
            _("The fund total is now %(now)s; the draft used %(then)s.")
            % {"now": wan_fen(fund.total), "then": wan_fen(run.fund_total)}
        )
    disbursed = _disbursed(fund)
    if disbursed != run.disbursed:
        reasons.append(
            _("%(now)s has been disbursed from the fund; the draft used %(then)s.")
            % {"now": wan_fen(disbursed), "then": wan_fen(run.disbursed)}
        )
    stored = {share.county_id: share for share in run.shares.select_related("county")}
    current = {county.adcode: county for county in reward_inputs(fund=fund).counties}
    for adcode in sorted(set(stored) | set(current)):
        if adcode not in stored:
            reasons.append(
                _("%(county)s is now a weak county of the program and has no line in the draft.")
                % {"county": current[adcode].name}
            )
            continue
        share = stored[adcode]
        if adcode not in current:
            reasons.append(_("%(county)s is no longer a weak county of the program.") % {"county": share.county.name})
            continue
        now = current[adcode]
        if not _same(share.main_tax, now.main_tax_current) or not _same(share.main_tax_previous, now.main_tax_previous):
            reasons.append(
                _(
                    "%(county)s's main-tax revenue is now %(now)s (previous year %(before)s); the draft used "
                    "%(then)s (previous year %(then_before)s)."
                )
                % {
                    "county": now.name,
                    "now": wan_fen(now.main_tax_current),
                    "before": wan_fen(now.main_tax_previous),
                    "then": wan_fen(share.main_tax),
                    "then_before": wan_fen(share.main_tax_previous),
                }
            )
        elif not _same(share.growth_pct, now.growth_pct, places=8):
            reasons.append(
                _("%(county)s's main-tax growth is now %(now)s; the draft used %(then)s.")
                % {"county": now.name, "now": pct2(now.growth_pct), "then": pct2(share.growth_pct)}
            )
    return reasons


def reward_runs_year_end(*, year: int) -> list[int]:
    """Draft the reward run of every guidance fund of ``year`` that has none approved (the scheduled path; it closes
    no year). Funds whose rule cannot be applied yet (e.g. no main-tax statistics) are logged and left for later."""
    drafted = []
    for fund in Fund.objects.filter(year=year, kind=FundKind.GUIDANCE).exclude(
        reward_run__status=RewardRunStatus.APPROVED
    ):
        try:
            run, _created = reward_run_start(fund=fund)
        except ValidationError as exc:
            logger.warning("reward run for fund %s not drafted: %s", fund.pk, "; ".join(exc.messages))
            continue
        drafted.append(run.pk)
    return drafted
