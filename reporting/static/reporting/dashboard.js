/* The dashboard: cards and charts filled from the reporting API (/api/v1/reports/…, /api/v1/targets/).
 * Every chart also has a table view and a CSV download of the rows it was drawn from.
 *
 * Names come from the database (regions, programs, targets): they are data, never markup. The page builds its own
 * HTML with text nodes only (el() below); an ECharts tooltip formatter returns HTML, so every value put into one
 * goes through esc(). Labels and axis texts are drawn on the canvas and need nothing. */
(function () {
  "use strict";

  // Choosing another program or period shows it (a plain submit button stands in without script).
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  const cfg = JSON.parse(document.getElementById("dashboard-config").textContent);
  const T = cfg.texts;
  if (!cfg.program) return;

  // --- Fetching and formatting -----------------------------------------------------------------------------------

  async function get(path, params) {
    const url = new URL(cfg.api + path, window.location.origin);
    Object.entries(params || {}).forEach(([key, value]) => url.searchParams.set(key, value));
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(response.status + " " + url.pathname);
    return response.json();
  }

  async function getAll(path, params) {
    // Every page of a paginated list.
    let page = await get(path, Object.assign({ page_size: 500 }, params));
    const rows = page.results.slice();
    while (page.next) {
      const response = await fetch(page.next, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.status);
      page = await response.json();
      rows.push(...page.results);
    }
    return rows;
  }

  const num = (value) => (value === null || value === undefined || value === "" ? null : Number(value));
  const grouped = (value, places) =>
    value.toLocaleString("zh-CN", { minimumFractionDigits: places, maximumFractionDigits: places });

  // Yuan (a decimal string) shown as 万元, or 亿元 from one hundred million — rounded for display only.
  function money(yuan) {
    const value = num(yuan);
    if (value === null) return "—";
    if (Math.abs(value) >= 99999999.995) return grouped(value / 1e8, 2) + " " + T.yi;
    return grouped(value / 1e4, 2) + " " + T.wan;
  }
  const pp = (value) => (num(value) === null ? "—" : (num(value) >= 0 ? "+" : "") + grouped(num(value), 1));
  const pct = (value) => (num(value) === null ? "—" : grouped(num(value), 1) + "%");
  const oneDecimal = (value) => (num(value) === null ? null : Math.round(num(value) * 10) / 10);
  // Text for an ECharts tooltip (HTML): & < > " ' escaped.
  const esc = (value) => echarts.format.encodeHTML(value === null || value === undefined ? "" : String(value));

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => node.appendChild(typeof child === "string" ? document.createTextNode(child) : child));
    return node;
  }

  // --- Panels: chart, table view, CSV download ----------------------------------------------------------------------

  const charts = [];

  function panel(name) {
    const section = document.querySelector(`[data-chart="${name}"]`);
    return {
      section: section,
      chartBox: section.querySelector(".chart"),
      tableBox: section.querySelector(".table-view"),
    };
  }

  // Text a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first, and not a plain number)
  // gets a leading apostrophe: the rule of common.exports.spreadsheet_text, which every file the server writes keeps.
  function spreadsheetText(text) {
    return /^[=+\-@\t\r]/.test(text) && !/^[+-]?[0-9]+(\.[0-9]+)?$/.test(text) ? "'" + text : text;
  }

  function csvOf(columns, rows) {
    const cell = (value) => {
      const text = spreadsheetText(value === null || value === undefined ? "" : String(value));
      return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    };
    const lines = [columns.map((c) => cell(c.key)).join(",")];
    rows.forEach((row) => lines.push(columns.map((c) => cell(row[c.key])).join(",")));
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function fill(name, { columns, rows, option, onChart }) {
    const p = panel(name);
    p.section.dataset.rows = String(rows.length);
    const header = p.section.querySelector("header");
    header.querySelectorAll(".panel-tools").forEach((node) => node.remove());

    // Table view: people's labels and formatted values; the download keeps the API's raw values and field names.
    const table = el("table", { class: "data-table" });
    table.appendChild(el("thead", {}, [el("tr", {}, columns.map((c) => el("th", { text: c.label })))]));
    const body = el("tbody");
    rows.forEach((row) => {
      body.appendChild(
        el("tr", {}, columns.map((c) => el("td", { text: c.format ? c.format(row[c.key], row) : row[c.key] ?? "—" })))
      );
    });
    table.appendChild(body);
    p.tableBox.replaceChildren(table);

    const toggle = el("button", { type: "button", class: "tool", "data-action": "table", text: T.table });
    toggle.addEventListener("click", () => {
      const showTable = p.tableBox.hidden;
      p.tableBox.hidden = !showTable;
      p.chartBox.hidden = showTable;
      toggle.textContent = showTable ? T.chart : T.table;
      if (!showTable) charts.forEach((c) => c.resize());
    });
    const download = el("a", { class: "tool", "data-action": "download", text: T.download });
    download.href = URL.createObjectURL(new Blob([csvOf(columns, rows)], { type: "text/csv;charset=utf-8" }));
    download.download = `${name}-${cfg.program}-${cfg.period}.csv`;
    header.appendChild(el("div", { class: "panel-tools" }, [toggle, download]));

    if (!rows.length) {
      p.chartBox.replaceChildren(el("p", { class: "empty", text: T.no_data }));
      return;
    }
    const chart = echarts.init(p.chartBox, null, { renderer: "canvas" });
    chart.setOption(option);
    if (onChart) onChart(chart);
    charts.push(chart);
    p.section.dataset.rendered = "true";
  }

  function failed(name, error) {
    const p = panel(name);
    p.section.dataset.error = String(error);
    p.chartBox.replaceChildren(el("p", { class: "error", text: T.load_failed }));
  }

  // --- Cards -------------------------------------------------------------------------------------------------------

  // A card whose figure has nothing behind it says so ("暂无数据") rather than showing a zero.
  function card(label, value, detail, tone) {
    if (value === null) {
      return el("article", { class: "card card-empty", "data-empty": "true" }, [
        el("h3", { text: label }),
        el("p", { class: "value", text: T.none_yet }),
        el("p", { class: "detail", text: "" }),
      ]);
    }
    return el("article", { class: "card" + (tone ? " card-" + tone : "") }, [
      el("h3", { text: label }),
      el("p", { class: "value", text: value }),
      el("p", { class: "detail", text: detail || "" }),
    ]);
  }

  async function cards() {
    const box = document.getElementById("cards");
    try {
      const s = await get("reports/program-summary/", { program: cfg.program, period: cfg.period });
      const stageText = s.projects.by_stage.map((row) => `${row.label} ${row.count}`).join(" · ");
      const gdp = s.gdp;
      const nothing = (value) => num(value) === null || num(value) === 0;
      const hasFund = !nothing(s.guidance_fund.total) || !nothing(s.guidance_fund.disbursed);
      box.replaceChildren(
        card(T.cards.pairings, String(s.pairings.active), T.cards.pairings_detail
          .replace("%(documented)s", s.pairings.documented).replace("%(sample)s", s.pairings.sample)),
        card(T.cards.weak_counties, String(s.weak_counties), ""),
        card(T.cards.projects, s.projects.total ? String(s.projects.total) : null, stageText),
        card(T.cards.investment, s.projects.total ? money(s.projects.completed_investment) : null,
          T.cards.investment_detail.replace("%(planned)s", money(s.projects.planned_investment))),
        card(T.cards.fund, hasFund ? money(s.guidance_fund.disbursed) : null,
          T.cards.fund_detail.replace("%(total)s", money(s.guidance_fund.total)).replace("%(used)s", pct(s.guidance_fund.used_pct))),
        card(T.cards.bonds, nothing(s.bonds.quota) && nothing(s.bonds.issued) ? null : money(s.bonds.issued), T.cards.bonds_detail.replace("%(quota)s", money(s.bonds.quota))),
        card(T.cards.orders, s.orders.count ? money(s.orders.amount) : null, T.cards.orders_detail.replace("%(count)s", s.orders.count)),
        card(T.cards.warnings, `${s.warnings.red} / ${s.warnings.yellow}`,
          T.cards.warnings_detail.replace("%(blue)s", s.warnings.blue), s.warnings.red ? "red" : ""),
        card(T.cards.gdp, gdp.group_growth_pct === null ? null : pct(gdp.group_growth_pct),
          gdp.gap_pp === null ? "" : T.cards.gdp_detail.replace("%(province)s", pct(gdp.province_growth_pct))
            .replace("%(gap)s", pp(gdp.gap_pp)).replace("%(covered)s", gdp.members_covered)
            .replace("%(total)s", gdp.members_total)),
      );
      box.dataset.state = "ready";
    } catch (error) {
      box.dataset.state = "error";
      box.replaceChildren(el("p", { class: "error", text: T.load_failed }));
    }
  }

  // --- Map ---------------------------------------------------------------------------------------------------------

  async function map() {
    const [geojson, data] = await Promise.all([
      get("reports/boundaries/", { province: cfg.province }),
      get("reports/map/", { program: cfg.program, period: cfg.period }),
    ]);
    echarts.registerMap("province-" + cfg.province, geojson);
    const weak = data.counties.filter((c) => c.role === "weak");
    const strong = data.counties.filter((c) => c.role === "strong");
    const gaps = weak.map((c) => num(c.gdp_gap_pp)).filter((v) => v !== null);
    const bound = Math.max(1, ...gaps.map(Math.abs));
    const point = (adcode) => {
      const link = data.links.find((l) => l.weak === adcode || l.strong === adcode);
      return link ? (link.weak === adcode ? link.to_point : link.from_point) : null;
    };
    const rows = data.counties.filter((c) => c.role || c.paired);
    fill("map", {
      rows: rows,
      columns: [
        { key: "adcode", label: T.columns.adcode },
        { key: "name", label: T.columns.county },
        { key: "role", label: T.columns.role, format: (v) => (v === "weak" ? T.weak : v === "strong" ? T.strong : "—") },
        { key: "gdp_gap_pp", label: T.gap_pp, format: pp },
        { key: "gdp_rank", label: T.rank },
      ],
      option: {
        tooltip: {
          trigger: "item",
          formatter: (item) => {
            const county = data.counties.find((c) => c.adcode === item.name);
            if (!county) return esc(item.name); // a pairing line: "strong → weak"
            const parts = [county.name];
            if (county.role) parts.push(county.role === "weak" ? T.weak : T.strong);
            if (county.gdp_gap_pp !== null) parts.push(`${T.gap_pp}: ${pp(county.gdp_gap_pp)}`);
            if (county.gdp_rank !== null) parts.push(`${T.rank}: ${county.gdp_rank}`);
            return parts.map(esc).join("<br>");
          },
        },
        visualMap: {
          type: "continuous",
          min: -bound,
          max: bound,
          seriesIndex: 0,
          calculable: true,
          left: 8,
          bottom: 8,
          text: [T.gap_pp + " +", "−"],
          inRange: { color: ["#c62828", "#fbe9e7", "#e8f5e9", "#2e7d32"] },
        },
        geo: {
          map: "province-" + cfg.province,
          nameProperty: "adcode",
          roam: true,
          layoutCenter: ["50%", "50%"],
          layoutSize: "95%",
          itemStyle: { areaColor: "#f4f4f4", borderColor: "#b0b0b0", borderWidth: 0.5 },
          emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffe082" } },
        },
        series: [
          {
            name: T.gap_pp,
            type: "map",
            geoIndex: 0,
            // Every county is listed so the ones without a gap keep the plain fill instead of a palette colour.
            data: data.counties.map((c) =>
              c.role === "weak" && num(c.gdp_gap_pp) !== null
                ? { name: c.adcode, value: oneDecimal(c.gdp_gap_pp) }
                : {
                    name: c.adcode,
                    value: NaN,
                    itemStyle: { areaColor: c.role === "strong" ? "#dce8f7" : "#f4f4f4" },
                  }
            ),
          },
          {
            name: T.strong,
            type: "scatter",
            coordinateSystem: "geo",
            symbolSize: 9,
            itemStyle: { color: "#1565c0" },
            label: { show: true, position: "right", formatter: (p) => p.data.label, fontSize: 11 },
            data: strong.filter((c) => point(c.adcode)).map((c) => ({ name: c.adcode, value: point(c.adcode), label: c.name })),
          },
          {
            name: T.weak,
            type: "effectScatter",
            coordinateSystem: "geo",
            symbolSize: 8,
            itemStyle: { color: "#e65100" },
            label: { show: true, position: "right", formatter: (p) => p.data.label, fontSize: 11 },
            data: weak.filter((c) => point(c.adcode)).map((c) => ({ name: c.adcode, value: point(c.adcode), label: c.name })),
          },
          {
            name: T.columns.pairing,
            type: "lines",
            coordinateSystem: "geo",
            zlevel: 2,
            effect: { show: true, period: 5, symbol: "arrow", symbolSize: 7, trailLength: 0 },
            lineStyle: { color: "#1565c0", width: 1.6, opacity: 0.8, curveness: 0.25 },
            data: data.links
              .filter((l) => l.from_point && l.to_point)
              .map((l) => ({ name: `${l.strong_name} → ${l.weak_name}`, coords: [l.from_point, l.to_point] })),
          },
        ],
      },
    });
  }

  // --- Gap bars ------------------------------------------------------------------------------------------------------

  async function gapBars() {
    const rows = await get("reports/gap-bars/", { program: cfg.program, period: cfg.period });
    const counties = [...new Map(rows.map((r) => [r.county, r.name])).entries()];
    const indicators = cfg.indicators.filter((i) => rows.some((r) => r.indicator === i.code));
    const shown = new Set(["gdp", "fai", "gpbr", "tax"]);
    fill("gaps", {
      rows: rows,
      columns: [
        { key: "county", label: T.columns.adcode },
        { key: "name", label: T.columns.county },
        { key: "indicator_label", label: T.columns.indicator },
        { key: "growth_pct", label: T.columns.growth, format: pct },
        { key: "province_growth_pct", label: T.columns.province_growth, format: pct },
        { key: "gap_pp", label: T.gap_pp, format: pp },
      ],
      option: {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => pp(v) },
        legend: {
          type: "scroll",
          top: 0,
          data: indicators.map((i) => i.label),
          selected: Object.fromEntries(indicators.map((i) => [i.label, shown.has(i.code)])),
        },
        grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
        xAxis: { type: "value", name: T.pp },
        yAxis: { type: "category", data: counties.map(([, name]) => name), inverse: true },
        series: indicators.map((i) => ({
          name: i.label,
          type: "bar",
          data: counties.map(([code]) => {
            const row = rows.find((r) => r.county === code && r.indicator === i.code);
            return row ? oneDecimal(row.gap_pp) : null;
          }),
        })),
      },
    });
  }

  // --- Trends --------------------------------------------------------------------------------------------------------

  async function trends() {
    const rows = await get("reports/trends/", { program: cfg.program, indicator: "gdp" });
    const periods = [...new Set(rows.map((r) => r.period))].sort();
    const counties = [...new Map(rows.map((r) => [r.county, r.name])).entries()];
    const series = (key, transform) =>
      counties.map(([code, name]) => ({
        name: name,
        type: "line",
        connectNulls: true,
        data: periods.map((period) => {
          const row = rows.find((r) => r.county === code && r.period === period);
          return row ? transform(row[key]) : null;
        }),
      }));
    const columns = [
      { key: "county", label: T.columns.adcode },
      { key: "name", label: T.columns.county },
      { key: "period", label: T.columns.period },
      { key: "gap_pp", label: T.gap_pp, format: pp },
      { key: "rank", label: T.rank },
      { key: "rank_change", label: T.columns.rank_change },
    ];
    const base = {
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: periods },
    };
    fill("gap-trend", {
      rows: rows,
      columns: columns,
      option: Object.assign({}, base, {
        yAxis: { type: "value", name: T.pp },
        series: series("gap_pp", oneDecimal),
      }),
    });
    // A year without a rank (no figure, or not ranked) is left out of the rank chart, never drawn as a rank.
    const ranked = (v) => (num(v) === null || num(v) < 1 ? null : num(v));
    const rankPeriods = periods.filter((period) => rows.some((r) => r.period === period && ranked(r.rank) !== null));
    const rankSeries = counties.map(([code, name]) => ({
      name: name,
      type: "line",
      connectNulls: true,
      data: rankPeriods.map((period) => {
        const row = rows.find((r) => r.county === code && r.period === period);
        return row ? ranked(row.rank) : null;
      }),
    }));
    fill("rank-trend", {
      rows: rows.filter((r) => ranked(r.rank) !== null),
      columns: columns,
      option: Object.assign({}, base, {
        xAxis: { type: "category", data: rankPeriods },
        yAxis: {
          type: "value",
          name: T.rank,
          inverse: true,
          min: (extent) => Math.max(1, extent.min - 5),
          max: (extent) => extent.max + 5,
        },
        series: rankSeries,
      }),
    });
  }

  // --- Funnel --------------------------------------------------------------------------------------------------------

  async function funnel() {
    const rows = await get("reports/funnel/", { program: cfg.program });
    const hasProjects = rows.some((r) => r.reached > 0);
    fill("funnel", {
      rows: hasProjects ? rows : [],
      columns: [
        { key: "label", label: T.columns.stage },
        { key: "reached", label: T.reached },
        { key: "now", label: T.now },
      ],
      option: {
        tooltip: { trigger: "item", formatter: (p) => esc(`${p.name}: ${p.value}`) },
        series: [
          {
            type: "funnel",
            sort: "none",
            left: "10%",
            width: "80%",
            minSize: "12%",
            label: { show: true, position: "inside", formatter: (p) => `${p.name} ${p.value}` },
            data: rows.map((r) => ({ name: r.label, value: r.reached })),
          },
        ],
      },
    });
  }

  // --- Targets -------------------------------------------------------------------------------------------------------

  function metricValue(value, row) {
    if (num(value) === null) return "—";
    if (row.unit === "yuan") return grouped(num(value) / 1e4, 2) + " " + T.wan; // a table column: one unit down it
    if (row.unit === "count" || row.unit === "rank") return grouped(num(value), 0);
    return grouped(num(value), 1);
  }

  async function targets() {
    const year = cfg.period.slice(0, 4);
    const rows = await getAll("targets/", { program: cfg.program, year: year });
    // A bar per target: the chart grows with the number of targets.
    panel("targets").chartBox.style.height = Math.max(240, 26 * rows.length + 40) + "px";
    fill("targets", {
      rows: rows,
      columns: [
        { key: "county", label: T.columns.adcode },
        { key: "county_name", label: T.columns.county },
        { key: "year", label: T.columns.year },
        { key: "metric_label", label: T.columns.metric },
        { key: "target", label: T.columns.target, format: (v, row) => (row.direction === "at_least" ? "≥ " : "≤ ") + metricValue(v, row) },
        { key: "actual", label: T.columns.actual, format: metricValue },
        { key: "progress_pct", label: T.progress, format: pct },
        { key: "met", label: T.columns.met, format: (v) => (v === null ? "—" : v ? T.met : T.not_met) },
      ],
      option: {
        tooltip: {
          trigger: "item",
          formatter: (p) => {
            const row = rows[p.dataIndex];
            return [
              `${row.county_name} · ${row.title || row.metric_label}`,
              `${T.columns.actual}: ${metricValue(row.actual, row)}`,
              `${T.columns.target}: ${metricValue(row.target, row)}`,
            ].map(esc).join("<br>");
          },
        },
        grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", max: 100, name: T.progress },
        yAxis: {
          type: "category",
          inverse: true,
          data: rows.map((r) => `${r.county_name} · ${r.title || r.metric_label}`),
          axisLabel: { width: 260, overflow: "truncate" },
        },
        series: [
          {
            type: "bar",
            data: rows.map((r) => ({
              value: num(r.progress_pct) === null ? 0 : Math.max(0, Math.min(100, oneDecimal(r.progress_pct))),
              itemStyle: { color: r.met ? "#2e7d32" : "#ef6c00" },
            })),
            label: { show: true, position: "right", formatter: (p) => pct(rows[p.dataIndex].progress_pct) },
          },
        ],
      },
    });
  }

  // --- Go ------------------------------------------------------------------------------------------------------------

  cards();
  [
    ["map", map],
    ["gaps", gapBars],
    ["funnel", funnel],
    ["gap-trend", trends],
    ["targets", targets],
  ].forEach(([name, load]) =>
    load().catch((error) => {
      failed(name, error);
      if (name === "gap-trend") failed("rank-trend", error);
    })
  );
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
