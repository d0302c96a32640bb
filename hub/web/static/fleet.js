// The admins' fleet page: every station in the hub's registry (GET /api/v1/fleet), with its versions and whether
// it is in service, retired or only heard of. Plain JS like the dashboard; all data goes in as text, never HTML.
"use strict";

const FLEET_LANG_KEY = "sortcentre.dashboard.lang"; // the dashboard's choice of language holds here too
const FLEET_REFRESH_MS = 30_000;
const fleet = { lang: "nl", stations: null, problem: null };

function fleetLookup(path) {
  return path.split(".").reduce((node, part) => (node != null && Object.hasOwn(node, part) ? node[part] : undefined),
    I18N[fleet.lang]);
}

function ft(path) {
  const text = fleetLookup(path);
  return typeof text === "string" ? text : path;
}

function node(tag, attributes, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value != null) made.setAttribute(name, String(value));
  }
  for (const child of children) if (child != null) made.append(child);
  return made;
}

function when(iso) {
  if (!iso) return ft("fleet.none");
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  return new Intl.DateTimeFormat(ft("locale"), { timeZone: "Europe/Amsterdam", dateStyle: "short", timeStyle: "short" })
    .format(at);
}

function registration(station) {
  if (station.retired) return "retired";
  return station.unregistered ? "unregistered" : "inService";
}

function render() {
  document.documentElement.lang = fleet.lang;
  document.title = ft("fleet.docTitle");
  for (const item of document.querySelectorAll("[data-i18n]")) item.textContent = ft(item.dataset.i18n);
  for (const item of document.querySelectorAll("[data-i18n-aria]")) item.setAttribute("aria-label", ft(item.dataset.i18nAria));
  for (const button of document.querySelectorAll("#lang button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === fleet.lang));
  }
  const message = document.querySelector("#fleet-msg");
  const empty = Array.isArray(fleet.stations) && fleet.stations.length === 0;
  message.hidden = !fleet.problem && !empty;
  message.textContent = fleet.problem ? ft(`fleet.${fleet.problem}`) : empty ? ft("fleet.empty") : "";
  const columns = ["station", "site", "stream", "state", "registration", "software", "config", "model", "lastSeen",
    "added", "account"];
  const rows = (fleet.stations || []).map((station) => {
    const kind = registration(station);
    const cells = [
      node("th", { scope: "row" }, station.id),
      node("td", {}, Object.hasOwn(SITE_NAMES, station.site) ? SITE_NAMES[station.site] : station.site),
      node("td", {}, station.stream ?? ft("fleet.none")),
      node("td", {}, fleetLookup(`states.${station.state}`) ?? station.state),
      node("td", { "data-registration": kind }, kind === "inService" ? ft("fleet.inService") : node("strong", {}, ft(`fleet.${kind}`))),
      node("td", {}, station.software_version ?? ft("fleet.none")),
      node("td", {}, station.config_version ?? ft("fleet.none")),
      node("td", {}, station.model_version ?? ft("fleet.none")),
      node("td", {}, when(station.last_seen)),
      node("td", {}, when(station.added_at)),
      node("td", {}, station.broker_account ?? ft("fleet.none")),
    ];
    return node("tr", { "data-station": station.id, "data-registration": kind }, ...cells);
  });
  const table = rows.length ? node("table", { class: "data" },
    node("caption", {}, ft("fleet.heading")),
    node("thead", {}, node("tr", {}, ...columns.map((name) => node("th", { scope: "col" }, ft(`fleet.${name}`))))),
    node("tbody", {}, ...rows)) : null;
  document.querySelector("#fleet").replaceChildren(...(table ? [table] : []));
}

async function load() {
  try {
    const answer = await fetch("/api/v1/fleet", { headers: { Accept: "application/json" } });
    if (answer.status === 401) {
      location.assign("/login?next=/static/fleet.html");
      return;
    }
    if (answer.status === 403) {
      fleet.problem = "forbidden";
      fleet.stations = [];
      render();
      return; // not an admin: asking again will not change that
    }
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    fleet.stations = (await answer.json()).stations;
    fleet.problem = null;
  } catch {
    fleet.problem = "failed";
  }
  render();
  setTimeout(load, FLEET_REFRESH_MS);
}

function start() {
  const saved = localStorage.getItem(FLEET_LANG_KEY);
  if (saved && Object.hasOwn(I18N, saved)) fleet.lang = saved;
  for (const button of document.querySelectorAll("#lang button")) {
    button.addEventListener("click", () => {
      fleet.lang = button.dataset.lang;
      localStorage.setItem(FLEET_LANG_KEY, fleet.lang);
      render();
    });
  }
  render();
  load();
}

start();
