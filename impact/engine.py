"""The impact estimates on a yearly county panel, free of the database (docs/domain.md, "Impact"); the notes are
translated in the active language.

- **Synthetic control** per weak county (Abadie, Diamond & Hainmueller 2010), fitted by ``pysyncon``: non-negative
  donor weights summing to 1 that reproduce the county's pre-period path — its log level (×100) where every pre year
  has levels and the county lies within the donors' range, otherwise its growth rates. The counterfactual growth of a
  year is the donors' growth weighted the same way, and the effect is actual minus counterfactual growth (pp). RMSPE
  is measured on that growth gap, before and after treatment, so every county reads in the same unit; the
  placebo-in-space p-value is the share of donors whose post/pre RMSPE ratio, refitted as if they were treated, is at
  least the county's.
- **Difference-in-differences and event study** of growth with county and year fixed effects and standard errors
  clustered by county (``linearmodels.PanelOLS``), over the weak counties and the donor pool. The event study's
  reference year is the one before treatment; the pre-treatment coefficients are tested jointly (Wald), and a
  p-value under 5 % flags a pre-trend.

Where the data cannot support an answer the result carries a note in words and no number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

# numpy and pandas (some 40 MB, and half a second to import) are imported by the functions that compute, as
# pysyncon and linearmodels are: this module is loaded with the admin in every process, and only the recompute of
# the estimates (a management command or a Celery task) needs them.
if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MIN_PRE_PERIODS = 3  # fewer pre years than this cannot pin a synthetic county or a trend down
MIN_DONORS = 5
MAX_DONORS = 30  # per weak county: the nearest donors before the program (the pooled model keeps every donor)
MAX_PRE_RMSPE_PP = 2.0  # a synthetic county further than this from the real one before treatment is no counterfactual
PRE_TREND_ALPHA = 0.05
PLACES = 6


@dataclass(frozen=True)
class Observation:
    level: float | None  # yuan
    growth: float | None  # %, reported or derived from levels


Panel = Mapping[str, Mapping[int, Observation]]  # region → year → figures


@dataclass
class CountyEstimate:
    region: str
    effects: list[dict] = field(default_factory=list)  # [{"period", "effect_pp"}]
    pre_rmspe: float | None = None
    placebo_p: float | None = None
    donors: list[dict] = field(default_factory=list)  # [{"region", "weight"}], weight > 0, largest first
    path: list[dict] = field(default_factory=list)  # [{"period", "actual", "synthetic"}] growth (%)
    placebo_ratios: list[float] = field(default_factory=list)
    ratio: float | None = None
    fit: str = ""  # "log_level" or "growth"
    note: str = ""


@dataclass
class PooledEstimate:
    effect_pp: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    event_study: list[dict] = field(default_factory=list)  # [{"period", "coef", "ci_low", "ci_high"}]
    pre_trend_p: float | None = None
    pre_trend: bool = False
    note: str = ""


@dataclass
class Estimate:
    first_treated_period: int
    pre_periods: list[int]
    post_periods: list[int]
    pooled: PooledEstimate
    counties: list[CountyEstimate]


def _r(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), PLACES)


def estimate(*, panel: Panel, treated: Sequence[str], donors: Sequence[str], first_treated: int) -> Estimate:
    """Every estimate of one program and indicator. ``donors`` is the pool before the completeness check."""
    years = sorted({year for series in panel.values() for year in series})
    pre = [y for y in years if y < first_treated]
    post = [y for y in years if y >= first_treated]
    growth = _frame(panel, "growth", years)
    level = _frame(panel, "level", years)
    # A donor needs every pre year's growth (the counterfactual of every year is made of it) and the post years'.
    # The years some weak county has a growth for: a donor missing one of them cannot stand in for it.
    present = [c for c in treated if c in growth.columns]
    needed = [y for y in pre + post if present and growth.loc[y, present].notna().any()]
    complete = [d for d in donors if d in growth.columns and growth.loc[needed, d].notna().all()] if needed else []
    growth_pre = [y for y in pre if growth.loc[y, [*treated, *complete]].notna().all()] if complete else []
    pooled = _pooled(growth, treated, complete, pre, post, first_treated)
    placebo_cache: dict[tuple, list[float]] = {}
    counties = [_synthetic_control(growth, level, county, complete, pre, post, placebo_cache) for county in treated]
    return Estimate(
        first_treated_period=first_treated,
        pre_periods=growth_pre or pre,
        post_periods=post,
        pooled=pooled,
        counties=counties,
    )


def _frame(panel: Panel, attribute: str, years: list[int]) -> pd.DataFrame:
    import pandas as pd

    data = {
        region: [getattr(series.get(year), attribute, None) if series.get(year) else None for year in years]
        for region, series in panel.items()
    }
    return pd.DataFrame(data, index=years, dtype=float)


# --- Synthetic control ------------------------------------------------------------------------------------------------


def _weights(target: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Donor weights (≥ 0, Σ = 1) reproducing ``target`` (pre years) from ``pool`` (pre years × donors), with every
    pre year weighted alike: pysyncon's constrained quadratic programme."""
    import numpy as np
    import pandas as pd
    from pysyncon import Synth

    names = [f"d{i}" for i in range(pool.shape[1])]
    index = [f"t{i}" for i in range(pool.shape[0])]
    x0 = pd.DataFrame(pool, index=index, columns=names)
    x1 = pd.Series(target, index=index, name="treated")
    synth = Synth()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a year with no spread among units scales to nan: dropped
        keep = x0.std(axis=1) > 0
        x0, x1 = x0[keep], x1[keep]
        synth.fit(X0=x0, X1=x1, Z0=x0, Z1=x1, custom_V=np.ones(len(x0)))
    weights = np.clip(np.asarray(synth.W, dtype=float), 0, None)
    return weights / weights.sum()


def _fit_series(growth, level, unit: str, pool: list[str], pre: list[int]) -> tuple[str, np.ndarray, np.ndarray]:
    """What the weights are fitted on: log levels where every pre year has them and the unit lies within the
    donors' range (a convex combination cannot reach outside it), else the growth rates of the pre years."""
    import numpy as np

    lv = level.loc[pre, [unit, *pool]] if pre else level.iloc[0:0]
    if len(pre) >= MIN_PRE_PERIODS and lv.notna().all().all() and (lv > 0).all().all():
        logs = np.log(lv.to_numpy()) * 100
        inside = (logs[:, 0] >= logs[:, 1:].min(axis=1)).all() and (logs[:, 0] <= logs[:, 1:].max(axis=1)).all()
        if inside:
            return "log_level", logs[:, 0], logs[:, 1:]
    years = [y for y in pre if growth.loc[y, [unit, *pool]].notna().all()]
    g = growth.loc[years, [unit, *pool]].to_numpy()
    return "growth", g[:, 0], g[:, 1:]


def _gap_rmspe(growth, unit: str, pool: list[str], weights: np.ndarray, years: list[int]) -> float | None:
    import numpy as np
    import pandas as pd

    years = [y for y in years if pd.notna(growth.loc[y, unit])]
    if not years:
        return None
    gap = growth.loc[years, unit].to_numpy() - growth.loc[years, pool].to_numpy() @ weights
    return float(np.sqrt(np.mean(gap**2)))


def _ratio(pre_rmspe: float | None, post_rmspe: float | None) -> float | None:
    if pre_rmspe is None or post_rmspe is None:
        return None
    return post_rmspe / max(pre_rmspe, 1e-9)


def _placebos(growth, level, donors: list[str], pre: list[int], post: list[int], cache: dict) -> list[float]:
    """Every donor refitted against the others as if it were treated: its post/pre RMSPE ratio. The same for every
    weak county of a program (the pool excludes them all), so computed once."""
    key = (tuple(donors), tuple(pre), tuple(post))
    if key not in cache:
        ratios = []
        for donor in donors:
            others = [d for d in donors if d != donor]
            _fit, target, pool = _fit_series(growth, level, donor, others, pre)
            if len(target) < 2:
                continue
            weights = _weights(target, pool)
            ratio = _ratio(
                _gap_rmspe(growth, donor, others, weights, pre), _gap_rmspe(growth, donor, others, weights, post)
            )
            if ratio is not None:
                ratios.append(ratio)
        cache[key] = ratios
    return cache[key]


def _synthetic_control(growth, level, county, donors, pre, post, placebo_cache) -> CountyEstimate:
    import numpy as np
    import pandas as pd

    result = CountyEstimate(region=county)
    if county not in growth.columns or growth[county].isna().all():
        result.note = _("There are no statistics for this county: no estimate.")
        return result
    if not post:
        result.note = _("There are no figures yet for a year under the program: no estimate.")
        return result
    if len(donors) < MIN_DONORS:
        result.note = _(
            "Only %(count)d donor counties (in no pairing, with complete figures); a synthetic control needs at "
            "least %(minimum)d."
        ) % {"count": len(donors), "minimum": MIN_DONORS}
        return result
    fit, target, pool = _fit_series(growth, level, county, donors, pre)
    if len(target) < MIN_PRE_PERIODS:
        result.note = _(
            "Only %(count)d years with figures before the program; a synthetic control needs at least %(minimum)d."
        ) % {"count": len(target), "minimum": MIN_PRE_PERIODS}
        return result
    if len(donors) > MAX_DONORS:
        # The donors nearest to the county's pre-period path (Abadie 2021: a pool of similar units limits
        # interpolation bias and over-fitting), which also bounds the size of every fit and placebo run.
        distance = np.sqrt(((pool - target[:, None]) ** 2).sum(axis=0))
        nearest = sorted(np.argsort(distance, kind="stable")[:MAX_DONORS])
        donors = [donors[i] for i in nearest]
        fit, target, pool = _fit_series(growth, level, county, donors, pre)
    weights = _weights(target, pool)
    result.fit = fit
    pre_rmspe = _gap_rmspe(growth, county, donors, weights, pre)
    post_rmspe = _gap_rmspe(growth, county, donors, weights, post)
    result.pre_rmspe = _r(pre_rmspe)
    result.donors = [
        {"region": donor, "weight": _r(w)}
        for w, donor in sorted(zip(weights, donors, strict=True), key=lambda item: (-item[0], item[1]))
        if w >= 0.001
    ]
    synthetic = growth.loc[:, donors].to_numpy() @ weights
    for year, synth_g in zip(growth.index, synthetic, strict=True):
        actual = growth.loc[year, county]
        if year in pre or year in post:
            result.path.append({"period": str(year), "actual": _r(actual), "synthetic": _r(synth_g)})
    if pre_rmspe is None or pre_rmspe > MAX_PRE_RMSPE_PP:
        result.note = (
            _(
                "Before the program the synthetic county misses the real one by %(rmspe).1f pp a year (RMSPE), more "
                "than %(limit)s pp: it is no counterfactual, and no effect is given."
            )
            % {"rmspe": pre_rmspe, "limit": f"{MAX_PRE_RMSPE_PP:g}"}
            if pre_rmspe is not None
            else _("No growth before the program to check the fit against: no effect is given.")
        )
        result.effects = []
        return result
    for year in post:
        actual = growth.loc[year, county]
        if pd.isna(actual):
            continue
        effect = actual - float(growth.loc[year, donors].to_numpy() @ weights)
        result.effects.append({"period": str(year), "effect_pp": _r(effect)})
    ratio = _ratio(pre_rmspe, post_rmspe)
    result.ratio = _r(ratio)
    ratios = _placebos(growth, level, donors, pre, post, placebo_cache)
    result.placebo_ratios = [_r(r) for r in sorted(ratios)]
    if ratio is not None and ratios:
        result.placebo_p = _r(sum(1 for r in ratios if r >= ratio - 1e-12) / len(ratios))
    return result


# --- Difference-in-differences and event study ---------------------------------------------------------------------


def _pooled(growth, treated, donors, pre, post, first_treated) -> PooledEstimate:
    result = PooledEstimate()
    present = [c for c in treated if c in growth.columns and growth[c].notna().any()]
    pre_years = [y for y in pre if growth.loc[y, [*present, *donors]].notna().any()]
    if not present or not post:
        result.note = _(
            "No weak county has a growth figure for a year under the program: no difference-in-differences."
        )
        return result
    if len(donors) < MIN_DONORS:
        result.note = _("Only %(count)d donor counties; a difference-in-differences needs at least %(minimum)d.") % {
            "count": len(donors),
            "minimum": MIN_DONORS,
        }
        return result
    if len(pre_years) < 2:
        result.note = _(
            "Only %(count)d years of growth before the program: no difference-in-differences or event study."
        ) % {"count": len(pre_years)}
        return result
    from linearmodels.panel import PanelOLS

    years = [*pre_years, *post]
    long = growth.loc[years, [*present, *donors]].stack().rename("growth").reset_index()
    long.columns = ["year", "region", "growth"]
    long["treated"] = long["region"].isin(present)
    long["post"] = long["year"] >= first_treated
    long["did"] = (long["treated"] & long["post"]).astype(float)
    relative = sorted({y - first_treated for y in years} - {-1})
    if -1 not in {y - first_treated for y in years}:
        # The year just before treatment is the reference; without it, the last pre year is.
        reference = max(pre_years) - first_treated
        relative = sorted({y - first_treated for y in years} - {reference})
    event_columns = []
    for k in relative:
        name = f"k{k}".replace("-", "m")
        long[name] = (long["treated"] & (long["year"] - first_treated == k)).astype(float)
        event_columns.append((k, name))
    data = long.set_index(["region", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        did = PanelOLS(data["growth"], data[["did"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True, group_debias=True, debiased=True
        )
        names = [name for _k, name in event_columns]
        event = PanelOLS(data["growth"], data[names], entity_effects=True, time_effects=True, drop_absorbed=True).fit(
            cov_type="clustered", cluster_entity=True, group_debias=True, debiased=True
        )
    effect, se = float(did.params["did"]), float(did.std_errors["did"])
    if not math.isfinite(se) or se == 0:
        result.note = _("The standard error cannot be estimated (too little variation among the counties): no number.")
        return result
    ci = did.conf_int().loc["did"]
    result.effect_pp, result.ci_low, result.ci_high = _r(effect), _r(ci["lower"]), _r(ci["upper"])
    result.p_value = _r(float(did.pvalues["did"]))
    intervals = event.conf_int()
    for k, name in event_columns:
        if name not in event.params.index:
            continue
        result.event_study.append(
            {
                "period": k,
                "coef": _r(float(event.params[name])),
                "ci_low": _r(float(intervals.loc[name, "lower"])),
                "ci_high": _r(float(intervals.loc[name, "upper"])),
            }
        )
    # The pre-trend test: one differential linear trend of the weak counties before treatment (with both fixed
    # effects, clustered by county). One coefficient stays testable with a handful of treated clusters, where a
    # joint Wald test of every lead would rest on a rank-deficient clustered covariance.
    before = long[~long["post"]].copy()
    if len(pre_years) >= MIN_PRE_PERIODS:
        before["trend"] = before["treated"] * (before["year"] - first_treated).astype(float)
        frame = before.set_index(["region", "year"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trend = PanelOLS(frame["growth"], frame[["trend"]], entity_effects=True, time_effects=True).fit(
                cov_type="clustered", cluster_entity=True, group_debias=True, debiased=True
            )
        result.pre_trend_p = _r(float(trend.pvalues["trend"]))
        result.pre_trend = result.pre_trend_p is not None and result.pre_trend_p < PRE_TREND_ALPHA
        if result.pre_trend:
            slope = float(trend.params["trend"])
            result.note = _(
                "Before the program the weak counties' growth already drifted from the donors' by %(slope)+.2f pp a "
                "year (pre-trend test p = %(p).3f): parallel trends do not hold, and the average effect should not be "
                "read as the program's."
            ) % {"slope": slope, "p": result.pre_trend_p}
    return result
