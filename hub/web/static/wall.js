// The wall screen (/wall?site=...): every station of one site on one screen, read from across the hall. The same
// live data as the dashboard (snapshot and updates from the hub's event stream, today's chart from the history),
// read through /api/v1/wall/..., which a paired screen's token may read for its own site and nothing else.
// Plain JS, no build step; all data goes into the page as text, never as HTML.
"use strict";

const WALL_PICTOGRAMS = "/static/pictograms/";
const WALL_LANG_KEY = "sortcentre.wall.lang";
const WALL_TIME_ZONE = "Europe/Amsterdam"; // the sites' own zone, whatever the screen's clock is set to
const WALL_REFRESH_MS = 60_000; // the hour chart sums whole hours: once a minute keeps it current
const WALL_TICK_MS = 15_000; // the clock and "12 min" ages
const WALL_REOPEN_MS = 3_000; // a refused stream is reopened this soon
const WALL_CHART_AFTER_MS = 5_000; // after an item is sorted, the hour chart is asked again this soon (once)
const WALL_SEVERITY = { critical: 0, warning: 1 };
const PHONE_QUERY = "(max-width: 600px)"; // wall.css: the same width

// The wall's own words; stream, category and alert names come from i18n.js (the dashboard's), so they read the same.
const WALL_TEXT = Object.freeze({
  nl: {
    docTitle: "Sortcentre · wandscherm {site}",
    language: "Taal",
    lost: "Verbinding met de hub verbroken, opnieuw verbinden…",
    connecting: "Verbinden met de hub…",
    alertsHeading: "Meldingen",
    allFine: "Alle stations in orde",
    notice: "Ter info",
    moreAlerts: "+ {n} meldingen",
    stationsHeading: "Stations",
    noStations: "Nog geen stations op deze locatie",
    todayTotal: "Vandaag",
    perStream: "Vandaag per stroom",
    chartToday: "Vandaag per uur (kg)",
    chartEmpty: "Nog niets verwerkt vandaag",
    kg: "kg",
    kgPerHour: "kg/u",
    itemsPerHour: "stuks/u",
    today: "vandaag",
    unpairedHeading: "Dit scherm is niet gekoppeld",
    unpairedWhy: "Een beheerder koppelt het met ‘sortcentre screens add --site …’ en opent de link één keer op dit scherm. Of log in.",
    revokedWhy: "De koppeling van dit scherm is ingetrokken of onbekend. Een beheerder koppelt het opnieuw, of log in.",
    otherSiteWhy: "Dit scherm is gekoppeld aan een andere locatie dan in het adres staat.",
    noSiteWhy: "Het adres noemt geen locatie: /wall?site=…",
    logIn: "Inloggen",
  },
  en: {
    docTitle: "Sortcentre · wall screen {site}",
    language: "Language",
    lost: "Connection to the hub lost, reconnecting…",
    connecting: "Connecting to the hub…",
    alertsHeading: "Alerts",
    allFine: "All stations fine",
    notice: "Notice",
    moreAlerts: "+ {n} alerts",
    stationsHeading: "Stations",
    noStations: "No stations at this site yet",
    todayTotal: "Today",
    perStream: "Today per stream",
    chartToday: "Today by hour (kg)",
    chartEmpty: "Nothing processed today yet",
    kg: "kg",
    kgPerHour: "kg/h",
    itemsPerHour: "items/h",
    today: "today",
    unpairedHeading: "This screen is not paired",
    unpairedWhy: "An admin pairs it with ‘sortcentre screens add --site …’ and opens the link once on this screen. Or log in.",
    revokedWhy: "This screen's pairing was revoked or is unknown. An admin pairs it again, or log in.",
    otherSiteWhy: "This screen is paired with another site than the address names.",
    noSiteWhy: "The address names no site: /wall?site=…",
    logIn: "Log in",
  },
});

const wall = {
  lang: "nl",
  site: "",
  received: false,
  tiles: new Map(), // station id -> tile as the hub sent it
  alerts: [],
  today: null, // GET /api/v1/wall/today
  offsetMs: 0, // hub clock minus the screen's clock
  source: null,
  reopenTimer: 0,
  chart: null,
  chartTimer: 0,
  stopped: false,
};

const q = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------------------------------------- words, numbers

function wt(key, vars) {
  let text = WALL_TEXT[wall.lang][key] ?? key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
  return text;
}

function shared(path) {
  return path.split(".").reduce((node, part) => (node != null && Object.hasOwn(node, part) ? node[part] : undefined),
    I18N[wall.lang]);
}

const wallSiteName = (slug) => (Object.hasOwn(SITE_NAMES, slug) ? SITE_NAMES[slug] : String(slug ?? ""));
const wallStreamName = (slug) => shared(`streams.${slug}`) ?? String(slug ?? "");

const wallFormats = new Map();
function wallNumber(value, digits = 0) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  const key = `${wall.lang}|${digits}`;
  if (!wallFormats.has(key)) {
    wallFormats.set(key, new Intl.NumberFormat(shared("locale"), { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return wallFormats.get(key).format(value);
}

const hubNow = () => Date.now() + wall.offsetMs;

function noteHubClock(generated) {
  const at = Date.parse(generated);
  if (Number.isFinite(at)) wall.offsetMs = at - Date.now();
}

function age(iso) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return "";
  const s = Math.max(0, Math.floor((hubNow() - at) / 1000));
  if (s < 3600) return shared("minutes").replace("{m}", s < 60 ? "< 1" : String(Math.floor(s / 60)));
  if (s < 86400) return shared("hours").replace("{h}", Math.floor(s / 3600)).replace("{m}", Math.floor((s % 3600) / 60));
  return shared("days").replace("{d}", Math.floor(s / 86400)).replace("{h}", Math.floor((s % 86400) / 3600));
}

function node(tag, attributes, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value == null || value === false) continue;
    if (name === "class") made.className = value;
    else made.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child != null && child !== false) made.append(child);
  return made;
}

const picto = (name, cls = "picto") => node("img", { src: `${WALL_PICTOGRAMS}${name}.svg`, alt: "", class: cls, width: 32, height: 32 });

// ------------------------------------------------------------------------------------------------------ tiles

/** The stream a station sorts: its heaviest today, else its last item's. */
function stationStream(tile) {
  const rows = [...(tile.today?.by_category || [])].sort((a, b) => b.kg - a.kg);
  return rows[0]?.stream ?? tile.last_event?.stream ?? null;
}

/** The stations an alert is about: its station, or every station of a grouped alert. */
const alertStations = (alert) => (Array.isArray(alert.stations) ? alert.stations : [alert.station]).filter(Boolean);

function alertLevel(station) {
  const own = wall.alerts.filter((alert) => alertStations(alert).includes(station));
  if (own.some((alert) => alert.severity === "critical")) return "critical";
  return own.some((alert) => alert.severity === "warning") ? "warning" : "none";
}

/** A station's name without its site's prefix: the site is in the header ("zwolle-plastic-1" -> "plastic-1"). */
function shortName(station) {
  const prefix = `${wall.site}-`;
  return wall.site && station.startsWith(prefix) && station.length > prefix.length ? station.slice(prefix.length) : station;
}

function renderTile(tile) {
  const status = tile.state || "unknown";
  const stream = stationStream(tile);
  const style = stream ? SHARED.streamStyle(stream) : null;
  const icon = status === "online" ? "online" : status === "unknown" ? "hourglass" : "offline";
  const rate = tile.last_15min || {};
  const today = tile.today || {};
  return node("article", {
    class: "wtile", "data-station": tile.station, "data-state": status, "data-alert": alertLevel(tile.station),
    "data-stream": stream, style: style ? `border-top-color: ${style.colour}` : null,
  },
  node("header", { class: "wtile-head" },
    node("h3", { class: "wname", title: shortName(tile.station) }, shortName(tile.station)),
    node("span", { class: "wstate", "data-field": "state" }, picto(icon, "picto"),
      node("span", {}, shared(`states.${status}`) ?? status))),
  node("p", { class: "wrate" },
    node("span", { class: "wbig", "data-field": "kg_per_h" }, wallNumber(rate.kg_per_h, 1)),
    node("span", { class: "wunit" }, wt("kgPerHour"))),
  node("div", { class: "wfigures" },
    node("p", { class: "wfig" },
      node("strong", { "data-field": "kg_today" }, `${wallNumber(today.kg, 1)} ${wt("kg")}`),
      node("span", {}, wt("today"))),
    node("p", { class: "wfig" },
      node("strong", { "data-field": "items_per_h" }, wallNumber(rate.items_per_h, 0)),
      node("span", {}, wt("itemsPerHour")))));
}

/** Columns and rows for n tiles on a wide screen: as square as the space allows, 4 to 16 without scrolling. */
function gridFor(n, width, height) {
  let best = { cols: 1, rows: Math.max(1, n), score: -1 };
  for (let cols = 1; cols <= Math.max(1, n); cols += 1) {
    const rows = Math.ceil(n / cols);
    const w = width / cols;
    const h = height / rows;
    const score = Math.min(w / 1.5, h); // a tile reads best about 3:2 wide
    if (score > best.score) best = { cols, rows, score };
  }
  return best;
}

function layoutTiles() {
  const box = q("#wall-tiles");
  const n = Math.max(1, wall.tiles.size);
  const { cols, rows } = gridFor(n, box.clientWidth || 1, box.clientHeight || 1);
  box.style.setProperty("--cols", String(cols));
  box.style.setProperty("--rows", String(rows));
  box.dataset.count = String(wall.tiles.size);
}

function renderTiles() {
  const tiles = [...wall.tiles.values()].sort((a, b) => a.station.localeCompare(b.station));
  q("#wall-tiles").replaceChildren(...tiles.map(renderTile));
  const empty = q("#wall-empty");
  empty.hidden = tiles.length > 0;
  empty.textContent = wt(wall.received ? "noStations" : "connecting");
  layoutTiles();
  renderStreams();
}

// ------------------------------------------------------------------------------------------- streams, chart

function streamTotals() {
  const totals = new Map();
  for (const tile of wall.tiles.values()) {
    for (const row of tile.today?.by_category || []) totals.set(row.stream, (totals.get(row.stream) || 0) + (row.kg || 0));
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function swatch(stream) {
  const style = SHARED.streamStyle(stream);
  // The chart's line, drawn small: colour and dash, so the list is the chart's legend.
  const dash = style.dash.length ? `${style.dash[0] / 2}px` : "0";
  return node("span", {
    class: "swatch", "data-stream": stream, "aria-hidden": "true",
    style: `background: ${style.colour}; --dash: ${dash}`,
  });
}

function renderStreams() {
  const totals = streamTotals();
  const all = [...wall.tiles.values()].reduce((sum, tile) => sum + (tile.today?.kg || 0), 0);
  q("#wall-today-kg").textContent = wall.received ? wallNumber(all, 1) : "–";
  q("#stream-totals").replaceChildren(...totals.map(([stream, kg]) =>
    node("li", { "data-stream": stream },
      swatch(stream),
      node("span", { class: "sname" }, wallStreamName(stream)),
      node("strong", { class: "skg", "data-field": "kg" }, `${wallNumber(kg, 1)} ${wt("kg")}`))));
}

function bucketHour(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(shared("locale"), { timeZone: WALL_TIME_ZONE, hour: "2-digit", minute: "2-digit" }).format(date);
}

/** As many decimals as the axis' step needs: 0, 0,5, 1 rather than 0, 1, 1. */
function axisDigits(splits) {
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 1;
  return step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
}

function drawChart() {
  const box = q("#wall-chart");
  if (wall.chart) wall.chart.destroy();
  wall.chart = null;
  const data = wall.today;
  const series = (data?.series || []).filter((s) => (s.kg || []).some((kg) => kg > 0));
  const buckets = data?.buckets || [];
  if (!series.length || !buckets.length) {
    box.replaceChildren(node("p", { class: "empty" }, wt(data ? "chartEmpty" : "connecting")));
    return;
  }
  box.replaceChildren();
  const width = box.clientWidth;
  const height = box.clientHeight;
  if (width < 50 || height < 50) return;
  const size = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const font = `${Math.round(size * 0.85)}px "DejaVu Sans", "Liberation Sans", Arial, sans-serif`;
  const n = buckets.length;
  const axis = { stroke: "#111", font, grid: { stroke: "#c8c8c8", width: 1 }, ticks: { stroke: "#c8c8c8", width: 1 } };
  wall.chart = new uPlot({
    width,
    height,
    legend: { show: false }, // the stream list above names the lines, in the same colours
    cursor: { show: false },
    scales: { x: { time: false, range: [-0.5, n - 0.5] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { ...axis, space: 70, incrs: [1, 2, 3, 4, 6, 12],
        values: (u, splits) => splits.map((i) => (Number.isInteger(i) && i >= 0 && i < n ? bucketHour(buckets[i]) : "")) },
      { ...axis, size: 64, space: 48, values: (u, splits) => splits.map((v) => wallNumber(v, axisDigits(splits))) },
    ],
    series: [
      {},
      ...series.map((s) => {
        const style = SHARED.streamStyle(s.key);
        return { label: wallStreamName(s.key), stroke: style.colour, dash: style.dash, width: 4,
          points: { show: true, size: 8, fill: style.colour } };
      }),
    ],
  }, [buckets.map((_, i) => i), ...series.map((s) => s.kg)], box);
  box.dataset.lines = String(series.length);
  box.dataset.keys = series.map((s) => s.key).join(" ");
}

new ResizeObserver(() => {
  if (wall.chart) {
    const box = q("#wall-chart");
    if (Math.abs(wall.chart.width - box.clientWidth) > 1 || Math.abs(wall.chart.height - box.clientHeight) > 1) drawChart();
  }
  layoutTiles();
}).observe(q("#wall-main"));
window.matchMedia(PHONE_QUERY).addEventListener("change", () => renderAlerts());

async function loadToday() {
  try {
    const response = await fetch(`/api/v1/wall/today?site=${encodeURIComponent(wall.site)}`, { headers: { Accept: "application/json" } });
    if (response.status === 401 || response.status === 403) {
      unpaired(response.status === 403 ? "otherSiteWhy" : "revokedWhy");
      return;
    }
    if (!response.ok) return; // the store is down: keep the last chart, try again in a minute
    wall.today = await response.json();
  } catch (err) {
    return;
  }
  drawChart();
}

// ----------------------------------------------------------------------------------------------------- alerts

function alertChip(alert) {
  const severity = alert.severity === "critical" ? "critical" : alert.severity === "warning" ? "warning" : "notice";
  const what = shared(`alertKinds.${alert.kind}`) ?? shared("unknownAlert") ?? alert.kind;
  return node("li", { class: "walert", "data-alert": alert.id, "data-kind": alert.kind, "data-severity": severity, title: alert.detail || null },
    node("strong", {}, shared(severity) ?? wt("notice")),
    node("span", {}, what),
    node("span", { class: "where" }, alertStations(alert).map(shortName).join(", ")),
    alert.since ? node("time", { datetime: alert.since, "data-age": "" }, age(alert.since)) : null);
}

/** One band: as many alerts as fit on one line, worst first, then "+ n alerts" for the rest. */
function renderAlerts() {
  const band = q("#alert-band");
  const alerts = [...wall.alerts].sort((a, b) =>
    (WALL_SEVERITY[a.severity] ?? 2) - (WALL_SEVERITY[b.severity] ?? 2) ||
    String(a.since ?? "").localeCompare(String(b.since ?? "")) || String(a.id).localeCompare(String(b.id)));
  document.body.dataset.alerts = String(alerts.length);
  if (!wall.received) {
    band.replaceChildren(node("p", { class: "all-fine" }, wt("connecting")));
    return;
  }
  if (!alerts.length) {
    band.replaceChildren(node("p", { class: "all-fine" }, picto("confirm"), node("span", {}, wt("allFine"))));
    return;
  }
  // A phone has room for one alert; a wider screen for as many as fit on one line.
  const phone = window.matchMedia(PHONE_QUERY).matches;
  const shown = phone ? alerts.slice(0, 1) : alerts;
  const list = node("ul", { class: "walerts" }, ...shown.map(alertChip));
  band.replaceChildren(list);
  let hidden = alerts.length - shown.length;
  const more = () => node("li", { class: "walert more", "data-field": "more_alerts" }, wt("moreAlerts", { n: hidden }));
  if (hidden) list.append(more());
  while (!phone && list.scrollWidth > list.clientWidth + 1 && list.querySelectorAll(".walert:not(.more)").length > 1) {
    list.querySelector(".more")?.remove();
    list.lastElementChild.remove();
    hidden += 1;
    list.append(more());
  }
}

// ------------------------------------------------------------------------------------------------ live stream

function setConnection(status) {
  document.body.dataset.conn = status;
  q("#lost").hidden = status !== "lost";
}

function applySnapshot(data) {
  noteHubClock(data.generated);
  wall.received = true;
  wall.tiles = new Map((data.stations || []).map((tile) => [tile.station, tile]));
  wall.alerts = Array.isArray(data.alerts) ? data.alerts : [];
  renderTiles();
  renderAlerts();
}

function applyUpdate(data) {
  noteHubClock(data.generated);
  const sorted = (data.stations || []).some((tile) => (tile.today?.kg ?? 0) !== (wall.tiles.get(tile.station)?.today?.kg ?? 0));
  for (const tile of data.stations || []) wall.tiles.set(tile.station, tile);
  if (Array.isArray(data.alerts)) wall.alerts = data.alerts;
  renderTiles();
  renderAlerts();
  // Something was sorted: the hour chart follows soon, without a query per item.
  if (sorted && !wall.chartTimer) {
    wall.chartTimer = setTimeout(() => {
      wall.chartTimer = 0;
      loadToday();
    }, WALL_CHART_AFTER_MS);
  }
}

function listen(source, apply) {
  return (event) => {
    if (wall.source !== source) return;
    setConnection("live");
    try {
      apply(JSON.parse(event.data));
    } catch (err) {
      console.error("wall: bad live event", err);
    }
  };
}

function connect() {
  clearTimeout(wall.reopenTimer);
  if (wall.source) wall.source.close();
  if (wall.stopped) return;
  const source = new EventSource(`/api/v1/wall/live?site=${encodeURIComponent(wall.site)}`);
  wall.source = source;
  source.addEventListener("open", () => {
    if (wall.source === source) setConnection("live");
  });
  source.addEventListener("snapshot", listen(source, applySnapshot));
  source.addEventListener("update", listen(source, applyUpdate));
  source.addEventListener("error", () => {
    if (wall.source !== source || wall.stopped) return;
    setConnection("lost");
    if (source.readyState === EventSource.CLOSED) refused(source);
  });
}

/** EventSource hides why the hub refused: ask the dashboard read, then pair again, or retry. */
async function refused(source) {
  source.close();
  try {
    const probe = await fetch(`/api/v1/wall/dashboard?site=${encodeURIComponent(wall.site)}`, { headers: { Accept: "application/json" } });
    if (probe.status === 401 || probe.status === 403) {
      unpaired(probe.status === 403 ? "otherSiteWhy" : "revokedWhy");
      return;
    }
  } catch (err) {
    // The hub is unreachable: try again below.
  }
  if (wall.source === source) wall.reopenTimer = setTimeout(connect, WALL_REOPEN_MS);
}

function unpaired(why) {
  wall.stopped = true;
  if (wall.source) wall.source.close();
  document.body.dataset.paired = "no";
  q("#wall-unpaired").hidden = false;
  q("#wall-unpaired-why").dataset.w = why;
  q("#wall-unpaired-why").textContent = wt(why);
  const next = `/wall?site=${encodeURIComponent(wall.site)}`;
  q("#wall-login").href = `/login?next=${encodeURIComponent(next)}`;
}

// ------------------------------------------------------------------------------------------- pairing, start

/** The pairing link's token (#pair=..., or ?screen=...): handed to the hub once for the screen cookie, then wiped
 *  from the address bar and the history, so it is not on the screen for anyone to photograph. */
async function pairFromLink() {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const query = new URLSearchParams(window.location.search);
  const token = hash.get("pair") || query.get("screen");
  if (!token) return true;
  window.history.replaceState(null, "", `/wall?site=${encodeURIComponent(wall.site)}`);
  try {
    const response = await fetch("/api/v1/wall/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token }),
    });
    if (!response.ok) {
      unpaired("revokedWhy");
      return false;
    }
    const paired = await response.json();
    if (!wall.site && paired.site) {
      wall.site = paired.site;
      window.history.replaceState(null, "", `/wall?site=${encodeURIComponent(wall.site)}`);
    }
  } catch (err) {
    unpaired("revokedWhy");
    return false;
  }
  return true;
}

function translate() {
  document.documentElement.lang = wall.lang;
  document.title = wt("docTitle", { site: wallSiteName(wall.site) });
  for (const item of document.querySelectorAll("[data-w]")) item.textContent = wt(item.dataset.w);
  for (const item of document.querySelectorAll("[data-w-aria]")) item.setAttribute("aria-label", wt(item.dataset.wAria));
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === wall.lang));
  }
  q("#wall-site").textContent = wall.site ? wallSiteName(wall.site) : "Sortcentre";
}

function setLanguage(lang, remember) {
  wall.lang = Object.hasOwn(WALL_TEXT, lang) ? lang : "nl";
  wallFormats.clear();
  if (remember) {
    try {
      localStorage.setItem(WALL_LANG_KEY, wall.lang);
    } catch (err) {
      // No storage: the choice lasts for this page.
    }
  }
  translate();
  renderTiles();
  renderAlerts();
  drawChart();
  tick();
}

function initialLanguage() {
  const asked = new URLSearchParams(window.location.search).get("lang");
  if (asked && Object.hasOwn(WALL_TEXT, asked)) return asked;
  try {
    const stored = localStorage.getItem(WALL_LANG_KEY);
    if (stored && Object.hasOwn(WALL_TEXT, stored)) return stored;
  } catch (err) {
    // No storage: the browser's language.
  }
  return String(navigator.language || "").toLowerCase().startsWith("en") ? "en" : "nl";
}

function tick() {
  const clock = q("#wall-clock");
  const now = new Date(hubNow());
  clock.setAttribute("datetime", now.toISOString());
  clock.textContent = new Intl.DateTimeFormat(shared("locale"), { timeZone: WALL_TIME_ZONE, hour: "2-digit", minute: "2-digit" }).format(now);
  for (const item of document.querySelectorAll("time[data-age]")) item.textContent = age(item.getAttribute("datetime"));
}

async function start() {
  wall.site = new URLSearchParams(window.location.search).get("site") || "";
  setLanguage(initialLanguage(), false);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang, true));
  }
  if (!(await pairFromLink())) return;
  translate();
  if (!wall.site) {
    unpaired("noSiteWhy");
    return;
  }
  connect();
  loadToday();
  setInterval(tick, WALL_TICK_MS);
  setInterval(() => {
    if (!wall.stopped) loadToday();
  }, WALL_REFRESH_MS);
}

start();
