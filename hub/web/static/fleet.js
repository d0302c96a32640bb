// The admins' fleet page: every station in the hub's registry (GET /api/v1/fleet), with its versions and whether
// it is in service, retired or only heard of. Plain JS like the dashboard; all data goes in as text, never HTML.
"use strict";

const FLEET_LANG_KEY = "sortcentre.dashboard.lang"; // the dashboard's choice of language holds here too
const FLEET_REFRESH_MS = 30_000;
const fleet = { lang: "nl", stations: null, problem: null };
// Training and rollout (POST /api/fleet/train, /api/fleet/rollouts): the last answer of each, and what to say.
const TRAIN_POLL_MS = 3_000;
const learning = { training: null, rollouts: [], trainMsg: null, rolloutMsg: null, polling: false };

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

// A date and a time, each kept whole: the cell may put the time under the date (a narrow column on a laptop)
// but never splits "04-12-2026" or "14:59".
function when(iso) {
  if (!iso) return ft("fleet.none");
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  const part = (style) => new Intl.DateTimeFormat(ft("locale"), { timeZone: "Europe/Amsterdam", ...style }).format(at);
  const whole = node("span", { class: "when", title: part({ dateStyle: "full", timeStyle: "short" }) },
    node("span", { class: "nowrap" }, part({ dateStyle: "short" })), " ",
    node("span", { class: "nowrap" }, part({ timeStyle: "short" })));
  return whole;
}

// A model version ("zwolle-plastic@20261204T101500") may wrap after its "@", not only at its hyphens.
function version(text) {
  if (text == null) return ft("fleet.none");
  const at = text.indexOf("@");
  if (at < 0) return text;
  const fragment = document.createDocumentFragment();
  fragment.append(text.slice(0, at + 1), document.createElement("wbr"), text.slice(at + 1));
  return fragment;
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
      node("td", {}, version(station.model_version)),
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
  renderTraining();
}

// The site and stream pairs an admin can train for: those of the stations in service.
function targets() {
  const seen = new Map();
  for (const station of fleet.stations || []) {
    if (station.retired || station.unregistered || !station.stream) continue;
    seen.set(`${station.site}/${station.stream}`, { site: station.site, stream: station.stream });
  }
  return [...seen.values()].sort((a, b) => `${a.site}/${a.stream}`.localeCompare(`${b.site}/${b.stream}`));
}

function stationsOf(site, stream) {
  return (fleet.stations || [])
    .filter((s) => !s.retired && !s.unregistered && s.site === site && s.stream === stream)
    .map((s) => s.id).sort();
}

function siteName(site) {
  return Object.hasOwn(SITE_NAMES, site) ? SITE_NAMES[site] : site;
}

function fillSelect(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, label]) => node("option", { value }, label)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

function percent(value) {
  return value == null ? ft("fleet.none") : `${(100 * value).toFixed(1)}%`;
}

function figures(held) {
  if (!held) return ft("fleet.training.noCurrent");
  return ft("fleet.training.figures").replace("{precision}", percent(held.precision))
    .replace("{coverage}", percent(held.coverage)).replace("{items}", String(held.items));
}

function say(selector, text, bad) {
  const box = document.querySelector(selector);
  box.textContent = text || "";
  box.dataset.kind = bad ? "bad" : "ok";
}

function renderTraining() {
  const admin = fleet.problem !== "forbidden";
  document.querySelector("#training").hidden = !admin;
  if (!admin) return;
  fillSelect(document.querySelector("#train-target"),
    targets().map(({ site, stream }) => [`${site}/${stream}`, `${siteName(site)} · ${stream}`]));
  const run = learning.training;
  const running = run != null && run.state === "running";
  document.querySelector("#train").disabled = running || targets().length === 0;
  if (learning.trainMsg) {
    say("#train-msg", learning.trainMsg.text, learning.trainMsg.bad);
  } else if (run && run.state !== "idle") {
    const where = run.site ? `${siteName(run.site)} · ${run.stream}` : "";
    const text = ft(`fleet.training.states.${run.state}`).replace("{where}", where);
    say("#train-msg", run.error ? `${text}: ${run.error}` : text, run.state === "failed");
  } else {
    say("#train-msg", targets().length ? "" : ft("fleet.training.noTargets"), false);
  }
  const result = run && run.state === "done" ? run.result : null;
  const facts = document.querySelector("#train-result");
  facts.hidden = !result;
  if (result) {
    const pairs = [
      ["version", result.version],
      ["newModel", figures(result.new)],
      ["currentModel", result.current_version ? `${result.current_version}: ${figures(result.current)}` : ft("fleet.training.noCurrent")],
      ["offered", result.offerable ? ft("fleet.training.yes") : ft("fleet.training.no")],
      ["why", result.reason],
    ];
    facts.replaceChildren(...pairs.flatMap(([key, value]) => [node("dt", {}, ft(`fleet.training.${key}`)), node("dd", { "data-fact": key }, value)]));
  }
  const form = document.querySelector("#rollout-form");
  form.hidden = !(result && result.offerable);
  if (result && result.offerable) {
    fillSelect(document.querySelector("#rollout-canary"), stationsOf(run.site, run.stream).map((id) => [id, id]));
  }
  if (learning.rolloutMsg) say("#rollout-msg", learning.rolloutMsg.text, learning.rolloutMsg.bad);
  const rows = learning.rollouts.map((r) => node("tr", { "data-rollout": r.id },
    node("td", {}, version(r.new_version)),
    node("td", {}, `${siteName(r.site)} · ${r.stream}`),
    node("td", {}, r.canary.join(", ")),
    node("td", { "data-state": r.state }, ft(`fleet.training.rolloutStates.${r.state}`)),
    node("td", {}, r.reason)));
  const columns = ["version", "target", "canary", "state", "why"];
  document.querySelector("#rollouts").replaceChildren(...(rows.length ? [node("table", { class: "data" },
    node("caption", {}, ft("fleet.training.rollouts")),
    node("thead", {}, node("tr", {}, ...columns.map((name) => node("th", { scope: "col" }, ft(`fleet.training.${name}`))))),
    node("tbody", {}, ...rows))] : []));
}

async function answerOf(response) {
  const body = await response.json().catch(() => ({}));
  const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? response.status);
  return { body, detail };
}

async function loadLearning() {
  try {
    const [training, rollouts] = await Promise.all([
      fetch("/api/fleet/train", { headers: { Accept: "application/json" } }),
      fetch("/api/fleet/rollouts?limit=10", { headers: { Accept: "application/json" } }),
    ]);
    if (training.ok) learning.training = await training.json();
    if (rollouts.ok) learning.rollouts = await rollouts.json();
  } catch {
    // the registry table above says when the hub cannot be reached
  }
  renderTraining();
  if (learning.training && learning.training.state === "running") {
    if (!learning.polling) {
      learning.polling = true;
      setTimeout(() => { learning.polling = false; loadLearning(); }, TRAIN_POLL_MS);
    }
  }
}

async function post(url, body) {
  return fetch(url, {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

async function train(event) {
  event.preventDefault();
  const [site, stream] = document.querySelector("#train-target").value.split("/");
  if (!site || !stream) return;
  learning.trainMsg = null;
  learning.rolloutMsg = null;
  try {
    const response = await post("/api/fleet/train", { site, stream });
    const { body, detail } = await answerOf(response);
    if (response.ok) learning.training = body;
    else learning.trainMsg = { text: ft("fleet.training.refused").replace("{why}", detail), bad: true };
  } catch {
    learning.trainMsg = { text: ft("fleet.failed"), bad: true };
  }
  renderTraining();
  loadLearning();
}

async function rollOut(event) {
  event.preventDefault();
  const run = learning.training;
  if (!run || !run.result) return;
  const canary = document.querySelector("#rollout-canary").value;
  const others = stationsOf(run.site, run.stream).filter((id) => id !== canary);
  try {
    const response = await post("/api/fleet/rollouts",
      { site: run.site, stream: run.stream, version: run.result.version, canary: [canary], others });
    const { detail } = await answerOf(response);
    learning.rolloutMsg = response.ok
      ? { text: ft("fleet.training.rolloutStarted").replace("{station}", canary), bad: false }
      : { text: ft("fleet.training.refused").replace("{why}", detail), bad: true };
  } catch {
    learning.rolloutMsg = { text: ft("fleet.failed"), bad: true };
  }
  loadLearning();
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
    loadLearning();
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
  document.querySelector("#train-form").addEventListener("submit", train);
  document.querySelector("#rollout-form").addEventListener("submit", rollOut);
  render();
  load();
}

start();
