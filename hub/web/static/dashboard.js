// The supervisors' dashboard: live station tiles and alerts (server-sent events from /api/v1/live), charts per
// stream, a history view (#history) and the vision agreement view (#vision). Plain JS, no build step, nothing
// fetched from outside the hub. All data goes into the page as text (textContent, attributes), never as HTML.
"use strict";

const PICTOGRAMS = "/static/pictograms/";
const LANG_KEY = "sortcentre.dashboard.lang";
const SITE_KEY = "sortcentre.dashboard.site";
const LOGIN_URL = "/login?next=/";
// The charts summarise whole hours and days: once a minute keeps them current without loading the hub.
const REFRESH_MS = 60_000;
// "2 min ago" and "for 12 min" are whole minutes; a quarter-minute tick keeps them at most 15 s behind.
const TICK_MS = 15_000;
// An EventSource that the hub refused (not 200, not an event stream) stops for good; open a new one this soon.
const REOPEN_MS = 3_000;
// The sites' own time zone: an hour bucket is "08:00" in Zwolle, whatever the browser's clock is set to.
const TIME_ZONE = "Europe/Amsterdam";
// Resin identification codes (ISO 1043 / the recycling triangle), as on the stations' category pictograms.
const RESIN = Object.freeze({ pet: 1, hdpe: 2, pvc: 3, ldpe: 4, pp: 5, ps: 6, other: 7 });
const ALERT_PICTOGRAMS = Object.freeze({
  offline: "offline",
  journal_backlog: "journal",
  sequence_gap: "warning",
  clock_skew: "hourglass",
  clock_unsynced: "hourglass",
  scale_fault: "scale",
  camera_fault: "camera",
  lights_fault: "camera",
  model_refused: "warning",
  unregistered: "warning",
  config_refused: "warning",
  config_pending: "hourglass",
});
// Colours and dashes come from shared.js: a stream has one colour in every view (tiles, charts, the wall screen).
// More lines than this is a tangle: the smallest ones are summed into one "others" line (the table has them all).
const MAX_LINES = SHARED.PALETTE.length;
// A tile lists this many category lines at most; more categories end in one "+ n more" line with the rest's kg.
const MAX_CATEGORY_LINES = 4;

const state = {
  lang: "nl",
  me: null,
  site: "", // "" = every site this user may see
  sites: [],
  received: false,
  tiles: new Map(), // "site/station" -> tile as sent by the hub
  alerts: [],
  acking: new Set(), // alert ids whose acknowledgement is on its way
  alertsShown: null, // what the alert bar shows now, so an unchanged list is not re-read by screen readers
  offsetMs: 0, // hub clock minus browser clock: relative times follow the hub, not a phone's clock
  source: null,
  reopenTimer: 0,
  leaving: false,
  view: "live",
  data: { today: null, week: null, history: null, vision: null },
  failed: { today: false, week: false, history: false, vision: false },
  requests: { history: 0, vision: 0 },
  charts: new Map(), // chart name -> uPlot instance
};

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------------------------------------- words, numbers

function lookup(path) {
  return path.split(".").reduce((node, part) => (node != null && Object.hasOwn(node, part) ? node[part] : undefined),
    I18N[state.lang]);
}

function t(path, vars) {
  let text = lookup(path);
  if (typeof text !== "string") text = path;
  if (vars) text = text.replace(/\{(\w+)\}/g, (match, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : match));
  return text;
}

function named(table, slug) {
  const names = I18N[state.lang][table];
  return slug != null && Object.hasOwn(names, slug) ? names[slug] : String(slug ?? "");
}

const siteName = (slug) => (Object.hasOwn(SITE_NAMES, slug) ? SITE_NAMES[slug] : String(slug ?? ""));
const streamName = (slug) => named("streams", slug);
const categoryName = (slug) => named("categories", slug);

/** A history key for a grouping, readable: "plastic/pp" -> "Plastic · PP", "zwolle" -> "Zwolle". */
function keyName(group, key) {
  if (group === "site") return siteName(key);
  if (group === "stream") return streamName(key);
  if (group === "category") {
    const [stream, category] = key.includes("/") ? key.split("/", 2) : [null, key];
    return stream ? `${streamName(stream)} · ${categoryName(category)}` : categoryName(category);
  }
  return key;
}

const formatters = new Map();
function formatter(kind, options) {
  const key = `${state.lang}|${kind}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) {
    const make = kind === "date" ? Intl.DateTimeFormat : Intl.NumberFormat;
    formatters.set(key, new make(t("locale"), options));
  }
  return formatters.get(key);
}

function number(value, digits = 0, minDigits = digits) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return formatter("number", { minimumFractionDigits: minDigits, maximumFractionDigits: digits }).format(value);
}

function percent(share) {
  if (typeof share !== "number" || !Number.isFinite(share)) return "–";
  return formatter("number", { style: "percent", maximumFractionDigits: 1 }).format(share);
}

function bucketLabel(iso, bucket, long = false) {
  const options = { timeZone: TIME_ZONE };
  if (bucket === "hour") Object.assign(options, { hour: "2-digit", minute: "2-digit" });
  else if (bucket === "month") Object.assign(options, { month: "short", year: "numeric" });
  else Object.assign(options, { weekday: "short", day: "numeric" }, long ? { month: "short" } : {});
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : formatter("date", options).format(date);
}

// ------------------------------------------------------------------------------------------------------ times

const hubNow = () => Date.now() + state.offsetMs;

function noteHubClock(generated) {
  const at = Date.parse(generated);
  if (Number.isFinite(at)) state.offsetMs = at - Date.now();
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 3600) return t("minutes", { m: s < 60 ? "< 1" : Math.floor(s / 60) });
  if (s < 86400) return t("hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  return t("days", { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600) });
}

function relative(iso, mode) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return "";
  const seconds = (hubNow() - at) / 1000;
  if (mode === "ago") return seconds < 45 ? t("justNow") : t("ago", { t: duration(seconds) });
  if (mode === "since") return t("since", { t: duration(seconds) });
  return duration(seconds);
}

/** A <time> whose text says how long ago `iso` was; refreshTimes() keeps it current. */
function timeElement(iso, mode) {
  const node = el("time", { datetime: iso, "data-rel": mode }, relative(iso, mode));
  const at = new Date(iso);
  if (!Number.isNaN(at.getTime())) {
    node.title = formatter("date", { timeZone: TIME_ZONE, dateStyle: "short", timeStyle: "medium" }).format(at);
  }
  return node;
}

function refreshTimes() {
  for (const node of document.querySelectorAll("time[data-rel]")) {
    node.textContent = relative(node.getAttribute("datetime"), node.dataset.rel);
  }
}

// ------------------------------------------------------------------------------------------------------- DOM

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value == null || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child != null && child !== false) node.append(child);
  }
  return node;
}

function pictogram(name, cls = "picto") {
  return el("img", { src: `${PICTOGRAMS}${name}.svg`, alt: "", class: cls, width: 32, height: 32 });
}

/** The stations' pictogram for what was sorted: the resin code for plastics, else one per stream. */
function streamPictogram(stream, category) {
  const words = String(stream || "").toLowerCase().split(/[^a-z0-9]+/);
  const has = (...names) => names.some((name) => words.includes(name));
  if (category === "residual") return "bin";
  if (has("plastic", "plastics", "kunststof")) return Object.hasOwn(RESIN, category) ? `resin-${RESIN[category]}` : "recycle";
  if (has("textile", "textiles", "textiel", "clothes")) return "cloth";
  if (has("cd", "cds", "dvd", "dvds", "disc", "discs", "media")) return "disc";
  if (has("duvet", "duvets", "dekbed", "dekbedden")) return "duvet";
  if (has("shampoo", "bottle", "bottles")) return "bottle";
  return "generic";
}

function translateStatic() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
}

// ------------------------------------------------------------------------------------------------------ tiles

const tileKey = (tile) => `${tile.site}/${tile.station}`;

function tileAlertLevel(key, alerts) {
  // A notice (a clock NTP has not synchronised, still close to the hub's) does not colour the tile.
  const own = alerts.filter((alert) => `${alert.site}/${alert.station}` === key && alert.severity !== "notice");
  if (own.some((alert) => alert.severity === "critical")) return "critical";
  return own.length ? "warning" : "none";
}

function rate(field, value, digits, unit) {
  return el("p", { class: "rate" },
    el("span", { class: "big", "data-field": field }, number(value, digits)),
    el("span", { class: "unit" }, unit));
}

function healthItem(field, icon, label, value, bad) {
  const word = value == null ? t("noData") : (lookup(`health.${value}`) ?? String(value));
  return el("li", { class: bad ? "bad" : value == null ? "quiet" : "good", "data-field": field, "data-value": value ?? "" },
    pictogram(icon, "picto small"), el("span", {}, `${label}: `), el("strong", {}, word));
}

function renderLastEvent(event) {
  if (!event) return el("p", { class: "last", "data-field": "last_event" }, el("span", { class: "quiet" }, t("nothingYet")));
  const undo = event.type === "undo";
  const parts = [
    el("span", { class: "label" }, `${t("lastEvent")}:`),
    pictogram(undo ? "undo" : streamPictogram(event.stream, event.category), "picto small"),
    el("strong", { class: "category" }, categoryName(event.category)),
    el("span", { class: "weight" }, `${number(event.weight_kg, 2, 2)} kg`),
  ];
  if (undo) parts.push(el("span", { class: "note" }, t("undone")));
  parts.push(timeElement(event.time, "ago"));
  const suggestion = event.suggestion;
  if (suggestion && event.accepted === true) {
    parts.push(el("span", { class: "note suggestion" }, `✓ ${t("suggestionAccepted")}`));
  } else if (suggestion && event.accepted === false) {
    parts.push(el("span", { class: "note suggestion" }, t("suggestionCorrected", { label: categoryName(suggestion.label) })));
  }
  return el(
    "p",
    { class: "last", "data-field": "last_event", "data-category": event.category, "data-seq": String(event.seq) },
    ...parts,
  );
}

function renderTile(tile) {
  const key = tileKey(tile);
  const status = tile.state || "unknown";
  const id = `tile-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const icon = status === "online" ? "online" : status === "unknown" ? "hourglass" : "offline";
  const stateWord = lookup(`states.${status}`) ?? status;
  const last15 = tile.last_15min || {};
  const today = tile.today || {};
  const categories = SHARED.categoryLines(today.by_category, MAX_CATEGORY_LINES);

  const health = [];
  if (tile.journal_depth > 0) {
    health.push(el("li", { class: "bad", "data-field": "journal", "data-value": tile.journal_depth },
      pictogram("journal", "picto small"), el("span", {}, `${t("journal")}: `),
      el("strong", {}, number(tile.journal_depth)),
      tile.oldest_unsent_age_s > 0 ? el("span", {}, ` (${t("oldest", { t: duration(tile.oldest_unsent_age_s) })})`) : null));
  }
  health.push(healthItem("scale", "scale", t("scale"), tile.scale, tile.scale != null && tile.scale !== "ok"));
  health.push(healthItem("camera", "camera", t("camera"), tile.camera,
    tile.camera != null && tile.camera !== "ok" && tile.camera !== "absent"));
  if (tile.clock_suspect) {
    // The same words as the alert (one wording per alert), with how far off.
    health.push(el("li", { class: "bad", "data-field": "clock" }, pictogram("hourglass", "picto small"),
      el("strong", {}, t("alertKinds.clock_skew")),
      el("span", {}, ` (${duration(Math.abs(tile.clock_offset_s ?? 0))})`)));
  }
  if (tile.missing_events > 0) {
    health.push(el("li", { class: "bad", "data-field": "missing" }, pictogram("warning", "picto small"),
      el("strong", {}, t("missing", { n: number(tile.missing_events) }))));
  }
  if (tile.unregistered) {
    health.push(el("li", { class: "bad", "data-field": "unregistered" }, pictogram("warning", "picto small"),
      el("strong", {}, t("unregisteredTile"))));
  }
  // Remote config (docs/fleet.md): refused (the station names the key), or another version than the hub holds.
  if (tile.config_error) {
    health.push(el("li", { class: "bad", "data-field": "config" }, pictogram("warning", "picto small"),
      el("strong", {}, t("configRefusedTile", { why: tile.config_error }))));
  } else if (tile.config_held && tile.heartbeat_received && tile.config_version !== tile.config_held) {
    health.push(el("li", { class: "bad", "data-field": "config" }, pictogram("hourglass", "picto small"),
      el("strong", {}, t("configPendingTile", { running: tile.config_version || t("configFromFile"), held: tile.config_held }))));
  }

  return el("article", {
    class: "tile", id, "data-station": key, "data-state": status,
    "data-alert": tileAlertLevel(key, state.alerts), "aria-labelledby": `${id}-name`,
  },
  el("header", { class: "tile-head" },
    el("h3", { class: "name", id: `${id}-name` }, tile.station),
    el("span", { class: "site" }, siteName(tile.site)),
    el("span", { class: "state", "data-field": "state" }, pictogram(icon, "picto"),
      el("strong", {}, stateWord),
      status !== "online" && tile.state_since ? timeElement(tile.state_since, "since") : null)),
  el("div", { class: "rates" },
    rate("kg_per_h", last15.kg_per_h, 1, t("kgPerHour")),
    rate("items_per_h", last15.items_per_h, 0, t("itemsPerHour"))),
  el("p", { class: "note rates-note" }, t("last15")),
  el("p", { class: "today" },
    el("span", { class: "label" }, `${t("today")}:`),
    el("span", { class: "num" }, el("strong", { "data-field": "kg_today" }, number(today.kg, 1, 1)), ` ${t("kg")}`),
    el("span", { class: "num" }, el("strong", { "data-field": "items_today" }, number(today.items)), ` ${t("items")}`)),
  categories.shown.length ? el("ul", { class: "cats", "data-field": "by_category" }, ...categories.shown.map((row) =>
    el("li", {
      "data-category": `${row.stream}/${row.category}`, "data-stream": row.stream,
      style: `border-left-color: ${SHARED.streamStyle(row.stream).colour}`,
    },
    pictogram(streamPictogram(row.stream, row.category), "picto small"),
    el("span", { class: "cat-name" }, categoryName(row.category)),
    el("span", { class: "num" }, `${number(row.kg, 1, 1)} kg`))),
  categories.more ? el("li", { class: "more", "data-field": "more_categories", "data-count": categories.more.count },
    el("span", { class: "cat-name" }, t("moreCategories", { n: number(categories.more.count) })),
    el("span", { class: "num" }, `${number(categories.more.kg, 1, 1)} kg`)) : null) : null,
  renderLastEvent(tile.last_event),
  el("ul", { class: "health" }, ...health));
}

function sortedTiles() {
  return [...state.tiles.values()].sort((a, b) => a.site.localeCompare(b.site) || a.station.localeCompare(b.station));
}

function renderTiles() {
  const tiles = sortedTiles();
  $("#tiles").replaceChildren(...tiles.map(renderTile));
  const empty = $("#tiles-empty");
  empty.hidden = tiles.length > 0;
  empty.dataset.i18n = state.received ? "noStations" : "connecting";
  empty.textContent = t(empty.dataset.i18n);
}

function replaceTile(key) {
  const tile = state.tiles.get(key);
  const old = $(`#tiles [data-station="${CSS.escape(key)}"]`);
  if (!tile || !old) {
    renderTiles();
    return;
  }
  old.replaceWith(renderTile(tile));
}

// ----------------------------------------------------------------------------------------------------- alerts

const SEVERITY_ORDER = { critical: 0, warning: 1, notice: 2 };

/** One line per cause (kind and severity), as the hub's alert_groups: "3 stations: scale fault". */
function alertGroups() {
  const groups = new Map();
  for (const alert of state.alerts) {
    const key = `${alert.severity}|${alert.kind}`;
    if (!groups.has(key)) groups.set(key, { kind: alert.kind, severity: alert.severity, members: [] });
    groups.get(key).members.push(alert);
  }
  const byStation = (a, b) => String(a.since ?? "").localeCompare(String(b.since ?? "")) ||
    String(a.id).localeCompare(String(b.id));
  return [...groups.values()].map((group) => ({ ...group, members: group.members.sort(byStation) }))
    .sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) ||
      String(a.members[0].since ?? "").localeCompare(String(b.members[0].since ?? "")) ||
      String(a.kind).localeCompare(String(b.kind)));
}

async function acknowledge(ids) {
  for (const id of ids) state.acking.add(id);
  renderAlerts(true);
  try {
    const response = await fetch("/api/v1/alerts/ack", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify({ ids }),
    });
    if (response.status === 401) return toLogin();
    // 404: cleared meanwhile; the live stream brings the new list either way.
    if (response.ok) state.alerts = (await response.json()).alerts;
  } catch (error) {
    console.warn("acknowledging alerts failed", error);
  } finally {
    for (const id of ids) state.acking.delete(id);
    renderAlerts(true);
  }
}

function ackPart(group) {
  const open = group.members.filter((alert) => !alert.acknowledged_by).map((alert) => alert.id);
  if (!open.length) {
    // All taken on: who, and when (the first of them for a group).
    const first = group.members[0];
    const at = new Date(first.acknowledged_at);
    const time = Number.isNaN(at.getTime()) ? "" :
      formatter("date", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit" }).format(at);
    return el("span", { class: "acked" }, pictogram("confirm", "picto small"),
      t("acknowledgedBy", { who: first.acknowledged_by, t: time }));
  }
  const busy = open.some((id) => state.acking.has(id));
  const button = el("button", { type: "button", class: "ack", disabled: busy }, t("acknowledge"));
  button.addEventListener("click", () => acknowledge(open));
  const some = group.members.length - open.length;
  return el("span", { class: "ack-part" },
    some ? el("span", { class: "acked" }, t("acknowledgedSome", { n: some, total: group.members.length })) : null, button);
}

function renderAlerts(force = false) {
  const groups = alertGroups();
  const shown = JSON.stringify([state.lang, state.received, groups, [...state.acking]]);
  if (!force && shown === state.alertsShown) return; // the live region is re-read only when something changed
  state.alertsShown = shown;
  const list = $("#alert-list");
  document.body.dataset.alerts = String(state.alerts.filter((alert) => alert.severity !== "notice").length);
  if (!state.received) {
    // Nothing heard from the hub yet: no news is not good news.
    list.replaceChildren(el("p", { class: "all-fine quiet" }, t("connecting")));
    return;
  }
  if (!groups.length) {
    list.replaceChildren(el("p", { class: "all-fine" }, pictogram("confirm"), el("span", {}, t("allFine"))));
    return;
  }
  list.replaceChildren(el("ul", { class: "alerts" }, ...groups.map((group) => {
    const [first] = group.members;
    const severity = ["critical", "warning", "notice"].includes(group.severity) ? group.severity : "warning";
    const what = lookup(`alertKinds.${group.kind}`) ?? `${t("unknownAlert")}: ${group.kind}`;
    const one = group.members.length === 1;
    const where = one ? `${first.station} · ${siteName(first.site)}` : t("stationsCount", { n: group.members.length });
    const details = group.members.map((alert) => `${alert.station} · ${siteName(alert.site)}: ${alert.detail}`);
    return el("li", {
      class: "alert", "data-alert": one ? first.id : null, "data-kind": group.kind, "data-severity": severity,
      "data-count": group.members.length, "data-acked": group.members.every((alert) => alert.acknowledged_by) || null,
      title: details.join("\n"),
    },
    pictogram(ALERT_PICTOGRAMS[group.kind] || "warning"),
    el("strong", { class: "severity" }, t(severity)),
    el("span", { class: "what" }, what),
    one ? el("span", { class: "where" }, where) : el("details", { class: "where" }, el("summary", {}, where),
      el("ul", {}, ...group.members.map((alert) => el("li", { "data-alert": alert.id },
        `${alert.station} · ${siteName(alert.site)}`)))),
    // A refused model's reason is the station's own sentence: shown, not only on hover.
    one && group.kind === "model_refused" && first.detail ? el("span", { class: "detail" }, first.detail) : null,
    one && first.since ? timeElement(first.since, "plain") : null,
    ackPart(group));
  })));
}

// ------------------------------------------------------------------------------------------------ live stream

function siteQuery(prefix) {
  return state.site ? `${prefix}site=${encodeURIComponent(state.site)}` : "";
}

function setConnection(status) {
  document.body.dataset.conn = status;
  $("#lost").hidden = status !== "lost";
}

function toLogin() {
  if (state.leaving) return;
  state.leaving = true;
  if (state.source) state.source.close();
  window.location.assign(LOGIN_URL);
}

function applySnapshot(data) {
  noteHubClock(data.generated);
  state.received = true;
  state.sites = Array.isArray(data.sites) ? data.sites : [];
  state.tiles = new Map((data.stations || []).map((tile) => [tileKey(tile), tile]));
  state.alerts = Array.isArray(data.alerts) ? data.alerts : [];
  if (state.site && state.sites.length && !state.sites.includes(state.site)) {
    // A remembered site this user no longer sees: show everything they may see instead.
    chooseSite("");
    return;
  }
  renderSites();
  renderTiles();
  renderAlerts();
}

function applyUpdate(data) {
  noteHubClock(data.generated);
  const changed = new Set((data.stations || []).map(tileKey));
  for (const tile of data.stations || []) state.tiles.set(tileKey(tile), tile);
  if (Array.isArray(data.alerts)) {
    // A tile's border follows its alerts: redraw the tiles whose alert level changed as well.
    for (const key of state.tiles.keys()) {
      if (tileAlertLevel(key, state.alerts) !== tileAlertLevel(key, data.alerts)) changed.add(key);
    }
    state.alerts = data.alerts;
  }
  for (const key of changed) replaceTile(key);
  renderAlerts();
}

function handleEvent(source, apply) {
  return (event) => {
    if (state.source !== source) return;
    setConnection("live");
    try {
      apply(JSON.parse(event.data));
    } catch (err) {
      console.error("dashboard: bad live event", err);
    }
  };
}

function connect() {
  clearTimeout(state.reopenTimer);
  if (state.source) state.source.close();
  const source = new EventSource(`/api/v1/live${siteQuery("?")}`);
  state.source = source;
  source.addEventListener("open", () => {
    if (state.source === source) setConnection("live");
  });
  source.addEventListener("snapshot", handleEvent(source, applySnapshot));
  source.addEventListener("update", handleEvent(source, applyUpdate));
  source.addEventListener("error", () => {
    if (state.source !== source || state.leaving) return;
    setConnection("lost");
    // CONNECTING: the browser retries by itself. CLOSED: the hub answered with something else than a stream.
    if (source.readyState === EventSource.CLOSED) refused(source);
  });
}

/** EventSource hides the status code of a refused stream: ask the hub why, then open a new stream. */
async function refused(source) {
  source.close();
  try {
    const me = await fetch("/api/v1/me", { headers: { Accept: "application/json" } });
    if (me.status === 401) {
      toLogin();
      return;
    }
    if (state.site) {
      const probe = await fetch(`/api/v1/dashboard${siteQuery("?")}`, { headers: { Accept: "application/json" } });
      if (probe.status === 401) {
        toLogin();
        return;
      }
      // A site this user may not (or no longer) see: fall back to all of theirs.
      if (probe.status >= 400 && probe.status < 500) {
        chooseSite("");
        return;
      }
    }
  } catch (err) {
    // The hub is unreachable: try again below.
  }
  if (state.source === source) state.reopenTimer = setTimeout(connect, REOPEN_MS);
}

// ------------------------------------------------------------------------------------------------ JSON, sites

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (response.status === 401) {
    toLogin();
    throw Object.assign(new Error("not logged in"), { login: true });
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function loadMe() {
  try {
    state.me = await getJSON("/api/v1/me");
  } catch (err) {
    return;
  }
  $("#username").textContent = state.me.username || "";
  $("#fleet-link").hidden = state.me.role !== "admin"; // the station registry is for admins (GET /api/v1/fleet)
  renderSites();
}

/** The wall screen of the site in view (docs/dashboard.md, "Wall screen"); none while every site is shown. */
function renderWallLink(sites) {
  const site = state.site || (sites.length === 1 ? sites[0] : "");
  const link = $("#wall-link");
  link.hidden = !site;
  if (site) link.href = `/wall?site=${encodeURIComponent(site)}&lang=${state.lang}`;
}

function renderSites() {
  const select = $("#site");
  const label = $("#site-label");
  const only = $("#site-only");
  const sites = state.sites.length ? state.sites : (state.me?.sites || []);
  renderWallLink(sites);
  const choice = Boolean(state.me?.all_sites) || sites.length > 1;
  select.hidden = label.hidden = !choice;
  only.hidden = choice || !sites.length;
  if (!choice) {
    only.textContent = sites.length ? siteName(sites[0]) : "";
    return;
  }
  select.replaceChildren(el("option", { value: "" }, t("allSites")),
    ...sites.map((site) => el("option", { value: site }, siteName(site))));
  select.value = sites.includes(state.site) ? state.site : "";
}

function chooseSite(site) {
  state.site = site;
  try {
    if (site) localStorage.setItem(SITE_KEY, site);
    else localStorage.removeItem(SITE_KEY);
  } catch (err) {
    // Private mode: the choice lasts for this page only.
  }
  state.received = false;
  state.tiles = new Map();
  state.alerts = [];
  renderSites();
  renderTiles();
  renderAlerts();
  connect();
  loadLiveCharts();
  loadView();
}

// ---------------------------------------------------------------------------------------------------- charts

function axisFont() {
  const size = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  return `${Math.round(size * 0.9)}px "DejaVu Sans", "Liberation Sans", Arial, sans-serif`;
}

function chartLines(data, group) {
  const buckets = data.buckets || [];
  const series = (data.series || []).filter((s) => (s.kg || []).some((kg) => kg > 0));
  // By stream, a line wears its stream's colour (shared.js), the same as on the tiles and the wall screen.
  const style = (key, i) => (group === "stream" ? SHARED.streamStyle(key) : SHARED.lineStyle(i));
  let lines = series.map((s, i) => ({ label: keyName(group, s.key), key: s.key, kg: s.kg, ...style(s.key, i) }));
  if (lines.length > MAX_LINES) {
    const rest = series.slice(MAX_LINES - 1);
    lines = lines.slice(0, MAX_LINES - 1);
    lines.push({ label: t("rest"), key: "", kg: buckets.map((_, i) => rest.reduce((sum, s) => sum + (s.kg[i] || 0), 0)),
      ...SHARED.OTHERS });
  }
  return lines;
}

function chartHeight(width) {
  return Math.round(Math.min(340, Math.max(200, width * 0.42)));
}

function destroyChart(name) {
  const chart = state.charts.get(name);
  if (chart) chart.destroy();
  state.charts.delete(name);
}

/** Draws kg per bucket per key as one line each; a message instead when there is nothing to draw. */
function drawChart(name, group) {
  const box = $(`[data-chart="${name}"]`);
  const data = state.data[name];
  destroyChart(name);
  const message = (key) => box.replaceChildren(el("p", { class: "chart-msg", "data-i18n": key }, t(key)));
  if (!data) {
    message(state.failed[name] ? "loadFailed" : "loading");
    return;
  }
  const lines = chartLines(data, group);
  const buckets = data.buckets || [];
  if (!lines.length || !buckets.length) {
    message(state.failed[name] ? "loadFailed" : "chartEmpty");
    return;
  }
  const width = box.clientWidth;
  box.replaceChildren();
  if (width < 50) return; // hidden view: drawn when it is shown
  const ink = "#111";
  const grid = "#c8c8c8";
  const font = axisFont();
  const n = buckets.length;
  const options = {
    width,
    height: chartHeight(width),
    // The wall screen has no pointer: the legend names the lines and the axes carry the numbers.
    legend: { live: false },
    cursor: { drag: { x: false, y: false }, points: { size: 9 } },
    scales: {
      x: { time: false, range: [-0.5, n - 0.5] },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      {
        stroke: ink, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, space: 56,
        incrs: [1, 2, 3, 4, 6, 12, 24, 48, 96],
        values: (u, splits) => splits.map((i) => (Number.isInteger(i) && i >= 0 && i < n ? bucketLabel(buckets[i], data.bucket) : "")),
      },
      {
        stroke: ink, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, size: width < 500 ? 56 : 72,
        label: "kg", labelFont: font, labelSize: 24,
        values: (u, splits) => splits.map((v) => number(v, 2, 0)),
      },
    ],
    series: [
      { label: t("time"), value: (u, i) => (i == null || !buckets[i] ? "–" : bucketLabel(buckets[i], data.bucket, true)) },
      ...lines.map((line) => ({
        label: line.label,
        stroke: line.colour,
        width: 3,
        dash: line.dash,
        points: { show: true, size: 8, fill: line.colour },
        value: (u, v) => (v == null ? "–" : `${number(v, 1, 1)} kg`),
      })),
    ],
  };
  const chart = new uPlot(options, [buckets.map((_, i) => i), ...lines.map((line) => line.kg)], box);
  state.charts.set(name, chart);
  // The legend's rows name their key, so a test (and a curious supervisor's inspector) can match colours to streams.
  // (uPlot leaves out the x series' row when the legend is not live: count from the end.)
  const rows = [...chart.root.querySelectorAll(".u-legend .u-series")].slice(-lines.length);
  rows.forEach((row, i) => {
    if (lines[i].key) row.dataset.key = lines[i].key;
  });
  box.dataset.lines = String(lines.length);
  if (state.failed[name]) box.append(el("p", { class: "chart-msg", "data-i18n": "loadFailed" }, t("loadFailed")));
}

const resized = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const name = entry.target.dataset.chart;
    const chart = state.charts.get(name);
    const width = entry.target.clientWidth;
    if (chart && width >= 50 && Math.abs(chart.width - width) > 1) chart.setSize({ width, height: chartHeight(width) });
    else if (!chart && width >= 50 && state.data[name]) redraw(name);
  }
});
for (const box of document.querySelectorAll("[data-chart]")) resized.observe(box);

function redraw(name) {
  if (name === "history") drawChart("history", state.data.history?.group || $("#history-group").value);
  else drawChart(name, "stream");
}

async function loadChart(name, period) {
  try {
    state.data[name] = await getJSON(`/api/v1/history?period=${period}&group=stream${siteQuery("&")}`);
    state.failed[name] = false;
  } catch (err) {
    if (err.login) return;
    state.failed[name] = true;
  }
  drawChart(name, "stream");
}

function loadLiveCharts() {
  return Promise.all([loadChart("today", "day"), loadChart("week", "week")]);
}

// --------------------------------------------------------------------------------------------------- history

function historyUrl(csv) {
  const period = encodeURIComponent($("#history-period").value);
  const group = encodeURIComponent($("#history-group").value);
  return `/api/v1/history?period=${period}&group=${group}${siteQuery("&")}${csv ? "&format=csv" : ""}`;
}

async function loadHistory() {
  const request = ++state.requests.history;
  $("#history-csv").href = historyUrl(true);
  let data = null;
  try {
    data = await getJSON(historyUrl(false));
  } catch (err) {
    if (err.login || request !== state.requests.history) return;
    state.failed.history = true;
    renderHistory();
    return;
  }
  if (request !== state.requests.history) return; // a newer choice is on its way
  state.data.history = data;
  state.failed.history = false;
  renderHistory();
}

function renderHistory() {
  const data = state.data.history;
  const group = data?.group || $("#history-group").value;
  const groupWord = t(`groups.${group}`);
  $("#history-caption").textContent = t("historyChart", { group: groupWord.toLowerCase() });
  $("#history-key").textContent = groupWord;
  const rows = data?.table || [];
  $("#history-table tbody").replaceChildren(...rows.map((row) =>
    el("tr", { "data-key": row.key },
      el("th", { scope: "row" }, keyName(group, row.key)),
      el("td", { class: "num", "data-field": "kg" }, number(row.kg, 1, 1)),
      el("td", { class: "num", "data-field": "items" }, number(row.items)))));
  const kg = rows.reduce((sum, row) => sum + (row.kg || 0), 0);
  const items = rows.reduce((sum, row) => sum + (row.items || 0), 0);
  $("#history-table tfoot").replaceChildren(el("tr", {},
    el("th", { scope: "row" }, t("total")),
    el("td", { class: "num", "data-field": "kg" }, number(kg, 1, 1)),
    el("td", { class: "num", "data-field": "items" }, number(items))));
  drawChart("history", group);
}

// ---------------------------------------------------------------------------------------------------- vision

async function loadVision() {
  const request = ++state.requests.vision;
  const period = encodeURIComponent($("#vision-period").value);
  let data = null;
  try {
    data = await getJSON(`/api/v1/vision/agreement?period=${period}${siteQuery("&")}`);
  } catch (err) {
    if (err.login || request !== state.requests.vision) return;
    state.failed.vision = true;
    renderVision();
    return;
  }
  if (request !== state.requests.vision) return;
  state.data.vision = data;
  state.failed.vision = false;
  renderVision();
  loadRollout();
}

// Admins: the latest model rollout and the canary's decision with its figures (docs/fleet.md).
async function loadRollout() {
  const box = $("#vision-rollout");
  if (state.me?.role !== "admin") return;
  let rollouts = [];
  try {
    rollouts = await getJSON("/api/fleet/rollouts?limit=1");
  } catch (err) {
    return; // a hub that does not train models: nothing to show
  }
  const last = rollouts[0];
  box.hidden = !last;
  if (!last) return;
  box.dataset.state = last.state;
  box.textContent = `${t("rollout")} ${last.new_version} (${last.site}, ${t(`rolloutStates.${last.state}`)}): ${last.reason}`;
}

function stat(field, value, label, extra) {
  return el("div", { class: "stat" }, el("span", { class: "big", "data-field": field }, value),
    el("span", { class: "stat-label" }, label), extra || null);
}

function confusionTable(model) {
  const suggested = [];
  const chosen = [];
  const add = (list, label) => {
    if (!list.includes(label)) list.push(label);
  };
  for (const row of model.categories || []) add(suggested, row.category);
  for (const cell of model.confusion || []) add(suggested, cell.suggested);
  // Columns in the rows' order first, so that the accepted cells form the diagonal.
  for (const label of suggested) add(chosen, label);
  for (const cell of model.confusion || []) add(chosen, cell.chosen);
  const counts = new Map((model.confusion || []).map((cell) => [`${cell.suggested}\u0000${cell.chosen}`, cell.items]));
  return el("div", { class: "scroll-x" }, el("table", { class: "data matrix", "data-field": "confusion" },
    el("caption", {}, t("confusionCaption")),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col", class: "corner" }, `${t("suggested")} ↓ · ${t("chosen")} →`),
      ...chosen.map((label) => el("th", { scope: "col", class: "num" }, categoryName(label))))),
    el("tbody", {}, ...suggested.map((row) => el("tr", { "data-suggested": row },
      el("th", { scope: "row" }, categoryName(row)),
      ...chosen.map((column) => {
        const items = counts.get(`${row}\u0000${column}`) || 0;
        const diagonal = row === column;
        const cls = ["num", diagonal ? "diag" : "", items ? "" : "zero"].filter(Boolean).join(" ");
        return el("td", { class: cls, "data-suggested": row, "data-chosen": column, "data-items": items },
          diagonal ? `✓ ${number(items)}` : number(items));
      }))))));
}

// A blind accuracy over no blind items is unknown, not 0%.
function blindShare(counts) {
  return counts.blind_items ? percent(counts.blind_accuracy) : "–";
}

function renderVision() {
  const data = state.data.vision;
  const summary = $("#vision-summary");
  const models = $("#vision-models");
  if (!data) {
    summary.replaceChildren(el("p", { class: "chart-msg" }, t(state.failed.vision ? "loadFailed" : "loading")));
    models.replaceChildren();
    return;
  }
  const none = data.no_suggestion || {};
  summary.replaceChildren(
    stat("total_items", number(data.total_items), t("totalItems")),
    stat("no_suggestion", percent(none.share), t("noSuggestion"), el("span", { class: "stat-extra" }, `${number(none.items)} ${t("items")}`)));
  if (state.failed.vision) summary.append(el("p", { class: "chart-msg" }, t("loadFailed")));
  if (!(data.models || []).length) {
    models.replaceChildren(el("p", { class: "empty" }, t("noModels")));
    return;
  }
  models.replaceChildren(...data.models.map((model) => el("section", { class: "model", "data-model": model.model_version },
    el("h3", {}, `${t("modelVersion")} ${model.model_version}`),
    el("div", { class: "summary" },
      stat("accepted_share", percent(model.accepted_share), t("accepted"),
        el("span", { class: "stat-extra", "data-field": "items" }, `${number(model.items)} ${t("shownItems")}`)),
      // Blind checks: the suggestion was computed but not shown, so the sorter chose unprompted (docs/fleet.md).
      stat("blind_accuracy", blindShare(model), t("blindAccuracy"),
        el("span", { class: "stat-extra", "data-field": "blind_items" }, `${number(model.blind_items || 0)} ${t("blindItems")}`))),
    el("div", { class: "scroll-x" }, el("table", { class: "data", "data-field": "categories" },
      el("caption", {}, t("perCategory")),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, t("suggested")),
        el("th", { scope: "col", class: "num" }, t("shownHeading")),
        el("th", { scope: "col", class: "num" }, t("accepted")),
        el("th", { scope: "col", class: "num" }, t("blindHeading")),
        el("th", { scope: "col", class: "num" }, t("blindAccuracy")))),
      el("tbody", {}, ...(model.categories || []).map((row) => el("tr", { "data-category": row.category },
        el("th", { scope: "row" }, categoryName(row.category)),
        el("td", { class: "num", "data-field": "items" }, number(row.items)),
        el("td", { class: "num", "data-field": "accepted_share" }, row.items ? percent(row.accepted_share) : "–"),
        el("td", { class: "num", "data-field": "blind_items" }, number(row.blind_items || 0)),
        el("td", { class: "num", "data-field": "blind_accuracy" }, blindShare(row))))))),
    confusionTable(model),
    el("p", { class: "note" }, t("diagonalNote")),
    el("p", { class: "note" }, t("blindNote")))));
}

// ------------------------------------------------------------------------------------------ views, language

const VIEWS = ["live", "history", "vision"];

function route() {
  const wanted = window.location.hash.replace(/^#/, "");
  state.view = VIEWS.includes(wanted) ? wanted : "live";
  document.body.dataset.view = state.view;
  for (const view of VIEWS) $(`#view-${view}`).hidden = view !== state.view;
  for (const link of document.querySelectorAll("[data-view-link]")) {
    if (link.dataset.viewLink === state.view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  loadView();
  if (state.view === "live") {
    redraw("today");
    redraw("week");
  }
}

function loadView() {
  if (state.view === "history") loadHistory();
  else if (state.view === "vision") loadVision();
}

function initialLanguage() {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored && Object.hasOwn(I18N, stored)) return stored;
  } catch (err) {
    // No storage: fall through to the browser's language.
  }
  return String(navigator.language || "").toLowerCase().startsWith("en") ? "en" : "nl";
}

function setLanguage(lang, remember) {
  state.lang = Object.hasOwn(I18N, lang) ? lang : "nl";
  if (remember) {
    try {
      localStorage.setItem(LANG_KEY, state.lang);
    } catch (err) {
      // Private mode: the choice lasts for this page only.
    }
  }
  document.documentElement.lang = state.lang;
  document.title = t("docTitle");
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
  translateStatic();
  renderSites();
  renderTiles();
  renderAlerts(true);
  if (state.data.history || state.failed.history) renderHistory();
  if (state.data.vision || state.failed.vision) renderVision();
  redraw("today");
  redraw("week");
}

// ------------------------------------------------------------------------------------------------------ start

function start() {
  let site = "";
  try {
    site = localStorage.getItem(SITE_KEY) || "";
  } catch (err) {
    // No storage: all sites.
  }
  state.site = site;
  setLanguage(initialLanguage(), false);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang, true));
  }
  $("#site").addEventListener("change", (event) => chooseSite(event.target.value));
  $("#history-form").addEventListener("change", loadHistory);
  $("#history-form").addEventListener("submit", (event) => event.preventDefault());
  $("#vision-form").addEventListener("change", loadVision);
  $("#vision-form").addEventListener("submit", (event) => event.preventDefault());
  $("#logout").addEventListener("click", async () => {
    state.leaving = true;
    if (state.source) state.source.close();
    try {
      await fetch("/api/v1/logout", { method: "POST" });
    } catch (err) {
      // The login page is the right place to be either way.
    }
    window.location.assign("/login");
  });
  window.addEventListener("hashchange", route);
  renderAlerts(true);
  route();
  loadMe();
  connect();
  loadLiveCharts();
  setInterval(refreshTimes, TICK_MS);
  setInterval(() => {
    loadLiveCharts();
    loadView();
  }, REFRESH_MS);
}

start();
