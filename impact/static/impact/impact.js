/* The impact panel of the dashboard: for the chosen weak county its actual growth against its synthetic control,
 * the donors' placebo RMSPE ratios with the county's own, and the program's event study with its 95 % intervals,
 * all from /api/v1/impact/chart/ (scoped to the signed-in user).
 *
 * County names and notes are data, never markup: the page gets them as text nodes, and every value put into an
 * ECharts tooltip (HTML) goes through esc(). */
(function () {
  "use strict";

  const section = document.getElementById("impact-panel");
  const config = document.getElementById("dashboard-config");
  if (!section || !config || typeof echarts === "undefined") return;
  const cfg = JSON.parse(config.textContent);
  if (!cfg.program) return;
  const T = section.dataset;
  const esc = (value) => echarts.format.encodeHTML(value === null || value === undefined ? "" : String(value));
  const fixed = (value, places) => (value === null || value === undefined ? "—" : Number(value).toFixed(places));
  const box = (name) => section.querySelector(`[data-impact-chart="${name}"]`);
  const select = section.querySelector("[data-impact-county]");
  const summary = section.querySelector("[data-impact-summary]");
  const note = section.querySelector("[data-impact-note]");
  const charts = {};

  function draw(name, option) {
    if (!charts[name]) charts[name] = echarts.init(box(name), null, { renderer: "canvas" });
    charts[name].setOption(option, true);
  }

  function pathChart(county, firstTreated) {
    const periods = county.path.map((p) => p.period);
    draw("path", {
      title: { text: T.titlePath, textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: "axis",
        formatter: (items) =>
          [esc(items[0].axisValue)].concat(items.map((i) => `${esc(i.seriesName)}: ${esc(fixed(i.value, 1))}`)).join("<br>"),
      },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "category", data: periods },
      yAxis: { type: "value", scale: true },
      series: [
        {
          name: T.actual,
          type: "line",
          data: county.path.map((p) => p.actual),
          markLine: { symbol: "none", label: { show: false }, data: [{ xAxis: firstTreated }] },
        },
        { name: T.synthetic, type: "line", lineStyle: { type: "dashed" }, data: county.path.map((p) => p.synthetic) },
      ],
    });
  }

  function placeboChart(county) {
    const ratios = county.placebo_ratios.map((r, i) => [i, r]);
    draw("placebo", {
      title: { text: T.titlePlacebo, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "item", formatter: (p) => `${esc(p.seriesName)}: ${esc(fixed(p.value[1], 2))}` },
      legend: { bottom: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "value", show: false },
      yAxis: { type: "value", name: "RMSPE" },
      series: [
        { name: T.donors, type: "bar", data: ratios, itemStyle: { color: "#9db4cf" } },
        {
          name: T.countyRatio,
          type: "line",
          symbol: "none",
          data: county.ratio === null ? [] : [[0, county.ratio], [Math.max(ratios.length - 1, 1), county.ratio]],
          lineStyle: { color: "#c23531", width: 2 },
        },
      ],
    });
  }

  function eventChart(pooled) {
    const rows = pooled.event_study;
    const periods = rows.map((r) => String(r.period));
    draw("event", {
      title: { text: T.titleEvent, textStyle: { fontSize: 13 } },
      tooltip: {
        trigger: "axis",
        formatter: (items) => {
          const row = rows[items[0].dataIndex];
          return `${esc(T.year)} ${esc(row.period)}<br>${esc(T.coef)}: ${esc(fixed(row.coef, 2))}<br>` +
            `${esc(T.interval)}: ${esc(fixed(row.ci_low, 2))} … ${esc(fixed(row.ci_high, 2))}`;
        },
      },
      grid: { left: 40, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "category", data: periods, name: T.year, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value" },
      series: [
        { name: "low", type: "line", stack: "ci", stackStrategy: "all", symbol: "none", lineStyle: { opacity: 0 }, data: rows.map((r) => r.ci_low) },
        {
          name: T.interval,
          type: "line",
          stack: "ci",
          stackStrategy: "all",
          symbol: "none",
          lineStyle: { opacity: 0 },
          areaStyle: { color: "rgba(84,112,198,0.25)" },
          data: rows.map((r) => (r.ci_high === null || r.ci_low === null ? null : r.ci_high - r.ci_low)),
        },
        {
          name: T.coef,
          type: "line",
          data: rows.map((r) => r.coef),
          markLine: { symbol: "none", label: { show: false }, lineStyle: { color: "#888" }, data: [{ yAxis: 0 }] },
        },
      ],
    });
  }

  function show(data, county) {
    note.textContent = county ? county.note : "";
    if (county) {
      pathChart(county, data.first_treated_period);
      placeboChart(county);
    }
  }

  function describePooled(data) {
    const pooled = data.pooled;
    if (pooled.effect_pp === null) {
      summary.textContent = pooled.note;
      return;
    }
    summary.textContent =
      `${T.effect}: ${fixed(pooled.effect_pp, 1)} pp (${fixed(pooled.ci_low, 1)} … ${fixed(pooled.ci_high, 1)}, ` +
      `p = ${fixed(pooled.p_value, 3)})` + (pooled.note ? ` — ${pooled.note}` : "");
  }

  async function load() {
    if (!cfg.impact_ready) {
      // Nothing estimated yet for this program (recompute_impact, or the job after the next gap recomputation).
      summary.textContent = T.none;
      section.dataset.state = "empty";
      return;
    }
    const url = new URL(cfg.api + "impact/chart/", window.location.origin);
    url.searchParams.set("program", cfg.program);
    url.searchParams.set("indicator", "gdp");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 404) {
      summary.textContent = T.none;
      section.dataset.state = "empty";
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    describePooled(data);
    eventChart(data.pooled);
    select.replaceChildren(
      ...data.counties.map((c) => {
        const option = document.createElement("option");
        option.value = c.region;
        option.textContent = c.name;
        return option;
      })
    );
    select.addEventListener("change", () => show(data, data.counties.find((c) => c.region === select.value)));
    show(data, data.counties[0]);
    section.dataset.state = "ready";
  }

  load().catch(() => {
    summary.textContent = T.failed;
    section.dataset.state = "failed";
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((chart) => chart.resize()));
})();
