// The admins' page for one station's remote config (docs/fleet.md): the settings the hub holds, what the station
// says it runs or why it refused, and a JSON editor that PUTs new settings. The hub validates them with the
// station's own models and answers 422 naming the key. All data goes in as text, never as HTML.
"use strict";

const CFG_LANG_KEY = "sortcentre.dashboard.lang"; // the dashboard's choice of language holds here too
const CFG_REFRESH_MS = 5_000;
const cfg = { lang: "nl", data: null, message: null, bad: false };
const cfgStation = decodeURIComponent(location.pathname.split("/")[2] || "");
const cfgUrl = `/api/v1/stations/${encodeURIComponent(cfgStation)}/config`;

function cfgT(path, vars) {
  let text = path.split(".").reduce((node, part) => (node != null && Object.hasOwn(node, part) ? node[part] : undefined),
    I18N[cfg.lang]);
  if (typeof text !== "string") text = path;
  if (vars) text = text.replace(/\{(\w+)\}/g, (match, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : match));
  return text;
}

function cfgText(id, value) {
  document.getElementById(id).textContent = value ?? cfgT("stationConfig.none");
}

function cfgRender() {
  document.documentElement.lang = cfg.lang;
  for (const item of document.querySelectorAll("[data-i18n]")) item.textContent = cfgT(item.dataset.i18n);
  for (const item of document.querySelectorAll("[data-i18n-aria]")) item.setAttribute("aria-label", cfgT(item.dataset.i18nAria));
  for (const button of document.querySelectorAll("#lang button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === cfg.lang));
  }
  const data = cfg.data || {};
  cfgText("cfg-station", cfgStation);
  cfgText("cfg-site", data.site && Object.hasOwn(SITE_NAMES, data.site) ? SITE_NAMES[data.site] : data.site);
  cfgText("cfg-held", data.held && data.held.version);
  cfgText("cfg-reported", data.reported ? data.reported.config_version || cfgT("configFromFile") : null);
  cfgText("cfg-status", data.status ? cfgT(`stationConfig.statuses.${data.status}`) : null);
  cfgText("cfg-error", data.reported && data.reported.config_error);
  const history = (data.history || []).map((v) => {
    const item = document.createElement("li");
    item.textContent = `${v.version} · ${v.changed_by} · ${new Date(v.changed_at).toLocaleString(cfgT("locale"), { timeZone: "Europe/Amsterdam" })}`;
    return item;
  });
  document.getElementById("cfg-history").replaceChildren(...history);
  const message = document.getElementById("cfg-msg");
  message.textContent = cfg.message || "";
  message.dataset.kind = cfg.bad ? "bad" : "ok";
}

async function cfgLoad(fillEditor) {
  try {
    const answer = await fetch(cfgUrl, { credentials: "same-origin" });
    if (answer.status === 401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
      return;
    }
    if (!answer.ok) throw new Error(String(answer.status));
    cfg.data = await answer.json();
    if (fillEditor) {
      const settings = cfg.data.held ? cfg.data.held.settings : {};
      document.getElementById("settings").value = JSON.stringify(settings, null, 2);
    }
  } catch (error) {
    cfg.message = cfgT("stationConfig.loadFailed");
    cfg.bad = true;
  }
  cfgRender();
}

async function cfgSave(event) {
  event.preventDefault();
  let settings;
  try {
    settings = JSON.parse(document.getElementById("settings").value);
  } catch (error) {
    cfg.message = cfgT("stationConfig.badJson", { why: error.message });
    cfg.bad = true;
    cfgRender();
    return;
  }
  const body = { settings };
  if (cfg.data && cfg.data.site) body.site = cfg.data.site;
  const answer = await fetch(cfgUrl, {
    method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const reply = await answer.json().catch(() => ({}));
  if (answer.ok) {
    cfg.message = cfgT("stationConfig.saved", { version: reply.version }) + (reply.published ? "" : ` (${cfgT("stationConfig.notPublished")})`);
    cfg.bad = false;
  } else {
    const why = typeof reply.detail === "string" ? reply.detail : JSON.stringify(reply.detail ?? answer.status);
    cfg.message = cfgT("stationConfig.refused", { why });
    cfg.bad = true;
  }
  await cfgLoad(false);
}

function cfgStart() {
  const saved = localStorage.getItem(CFG_LANG_KEY);
  if (saved && Object.hasOwn(I18N, saved)) cfg.lang = saved;
  for (const button of document.querySelectorAll("#lang button")) {
    button.addEventListener("click", () => {
      cfg.lang = button.dataset.lang;
      localStorage.setItem(CFG_LANG_KEY, cfg.lang);
      cfgRender();
    });
  }
  document.getElementById("cfg-form").addEventListener("submit", cfgSave);
  cfgLoad(true);
  setInterval(() => cfgLoad(false), CFG_REFRESH_MS);
}

cfgStart();
