// The station's kiosk page. Reads the station's state from /api/events (server-sent events) and draws it.
// Plain JS, no build step, no network beyond this station. All data goes into the page as text, never as HTML.
"use strict";

const PICTOGRAMS = "/static/pictograms/";
const LANG_KEY = "sortcentre.kiosk.lang";
// Only names like "resin-5" reach a URL; anything else shows the generic pictogram.
const PICTOGRAM_NAME = /^[a-z0-9-]{1,40}$/;
// An EventSource that was refused (not 200, wrong type) stops for good; try again this soon.
const REOPEN_MS = 2000;

const TEXT = {
  nl: {
    locale: "nl-NL",
    idle: "Leg een voorwerp op de weegschaal",
    weighing: "Even wachten…",
    ready: "Kies een categorie",
    done: "Klaar! Haal het eraf",
    stable: "stabiel",
    unstable: "beweegt",
    empty: "leeg",
    suggestion: "suggestie",
    confirm: "Bevestigen",
    undo: "Ongedaan maken",
    last: "Laatste:",
    nothingYet: "nog niets gesorteerd",
    undone: "ongedaan gemaakt",
    online: "online",
    offline: "offline",
    scale: "Weegschaal",
    camera: "Camera",
    ok: "ok",
    fault: "storing",
    absent: "geen",
    queue: "wachtrij",
    toSend: "te versturen",
    hub: "Hub",
    secondLanguage: "2e taal",
    dutchOnly: "uit",
    lost: "Verbinding met station verbroken",
    lostHint: "Niet sorteren. Wacht even; blijft dit, roep de begeleider.",
    warnings: {
      journal_full: "Opslag vol: niet meer sorteren, roep de begeleider",
      scale_fault: "Weegschaal werkt niet: niet sorteren, roep de begeleider",
      scale_absent: "Weegschaal niet gevonden: niet sorteren, roep de begeleider",
      buttons_fault: "Knoppenbord werkt niet: niet sorteren, roep de begeleider",
      buttons_absent: "Knoppenbord niet gevonden: niet sorteren, roep de begeleider",
      camera_fault: "Camera werkt niet: kies zelf de categorie",
      camera_absent: "Camera niet gevonden: kies zelf de categorie",
      lights_fault: "Zijlampen werken niet: minder suggesties, meld het de begeleider",
      lights_absent: "Zijlampen niet gevonden: minder suggesties, meld het de begeleider",
      vision_unavailable: "Geen suggesties: kies zelf de categorie",
      config_refused: "Nieuwe instellingen geweigerd: sorteren mag, meld het de begeleider",
      offline: "Geen verbinding met de hub: sorteren mag, het wordt later verstuurd",
    },
    refused: {
      journal_full: "Niet opgeslagen: opslag vol. Haal het eraf",
      too_light: "Te licht, niet opgeslagen. Haal het eraf",
      too_heavy: "Te zwaar, niet opgeslagen. Haal het eraf",
      invalid_event: "Niet opgeslagen: storing. Haal het eraf, roep de begeleider",
      other: "Niet opgeslagen. Haal het eraf, roep de begeleider",
    },
  },
  en: {
    locale: "en-GB",
    idle: "Put an item on the scale",
    weighing: "Hold on…",
    ready: "Choose a category",
    done: "Done! Take it off",
    stable: "stable",
    unstable: "settling",
    empty: "empty",
    suggestion: "suggestion",
    confirm: "Confirm",
    undo: "Undo",
    last: "Last:",
    nothingYet: "nothing sorted yet",
    undone: "undone",
    online: "online",
    offline: "offline",
    scale: "Scale",
    camera: "Camera",
    ok: "ok",
    fault: "fault",
    absent: "none",
    queue: "queue",
    toSend: "waiting to send",
    hub: "Hub",
    secondLanguage: "2nd language",
    dutchOnly: "off",
    lost: "Connection to station lost",
    lostHint: "Do not sort. Wait a moment; if this stays, call the supervisor.",
    warnings: {
      journal_full: "Storage full: stop sorting, call the supervisor",
      scale_fault: "Scale not working: stop sorting, call the supervisor",
      scale_absent: "Scale not found: stop sorting, call the supervisor",
      buttons_fault: "Button board not working: stop sorting, call the supervisor",
      buttons_absent: "Button board not found: stop sorting, call the supervisor",
      camera_fault: "Camera not working: choose the category yourself",
      camera_absent: "Camera not found: choose the category yourself",
      lights_fault: "Side lights not working: fewer suggestions, tell the supervisor",
      lights_absent: "Side lights not found: fewer suggestions, tell the supervisor",
      vision_unavailable: "No suggestions: choose the category yourself",
      config_refused: "New settings refused: you may sort, tell the supervisor",
      offline: "No connection to the hub: keep sorting, it is sent later",
    },
    refused: {
      journal_full: "Not recorded: storage full. Take it off",
      too_light: "Too light, not recorded. Take it off",
      too_heavy: "Too heavy, not recorded. Take it off",
      invalid_event: "Not recorded: fault. Take it off, call the supervisor",
      other: "Not recorded. Take it off, call the supervisor",
    },
  },
};

const HEALTH = ["ok", "fault", "absent"];
const PHASE_ICON = { idle: "place", weighing: "hourglass", ready: "press", done: "lift" };
// Each warning shows the pictogram of what it is about (the device that is missing or failing), beside its words.
const WARNING_ICON = {
  journal_full: "journal",
  scale_fault: "scale",
  scale_absent: "scale",
  buttons_fault: "buttons",
  buttons_absent: "buttons",
  camera_fault: "camera",
  camera_absent: "camera",
  lights_fault: "camera",
  lights_absent: "camera",
  vision_unavailable: "camera",
  offline: "offline",
};

// What the page falls back to for a key the screen state lacks, so one missing field does not blank the screen.
const DEFAULTS = {
  station: { id: "" },
  phase: "idle",
  weight_kg: null,
  stable: false,
  suggestion: null,
  categories: [],
  confirm_key: "",
  undo_key: "",
  last_event: null,
  refused: null,
  connected: false,
  scale: "absent",
  camera: "absent",
  journal_depth: 0,
  warnings: [],
  // Added by the kiosk's server (edge/stations/kiosk/localised.py).
  languages: [],
  second_language: null,
  time_zone: "Europe/Amsterdam",
};

let lang = loadLang();
let state = null;
let tilesKey = "";

function $(id) {
  return document.getElementById(id);
}

function loadLang() {
  try {
    const saved = window.localStorage.getItem(LANG_KEY);
    return saved === "en" ? "en" : "nl";
  } catch (err) {
    return "nl"; // storage switched off: Dutch, as on a fresh kiosk
  }
}

function saveLang() {
  try {
    window.localStorage.setItem(LANG_KEY, lang);
  } catch (err) {
    // Not remembered across reloads; the choice still holds until then.
  }
}

function t(key) {
  return TEXT[lang][key];
}

function pictogramUrl(name) {
  return PICTOGRAMS + (PICTOGRAM_NAME.test(name || "") ? name : "generic") + ".svg";
}

function setPictogram(img, name) {
  const url = pictogramUrl(name);
  if (img.getAttribute("src") === url) return;
  img.onerror = () => {
    img.onerror = null;
    img.src = PICTOGRAMS + "generic.svg";
  };
  img.src = url;
}

function formatKg(kg) {
  if (typeof kg !== "number" || !isFinite(kg)) return "– kg"; // no reading: never a misleading 0
  const shown = Math.abs(kg) < 0.0005 ? 0 : kg; // no "-0,000" from scale noise
  const text = shown.toFixed(3);
  return (lang === "nl" ? text.replace(".", ",") : text) + " kg";
}

// The site's clock, never the kiosk browser's zone: the server sends the time already in the site's zone, and
// anything else is formatted in the zone the server names.
function formatTime(ev) {
  if (typeof ev.local_time === "string" && ev.local_time) return ev.local_time;
  const when = new Date(ev.station_time);
  if (isNaN(when.getTime())) return "";
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: state.time_zone };
  try {
    return when.toLocaleTimeString(t("locale"), options);
  } catch (err) {
    return ""; // an unknown zone: no time rather than the wrong one
  }
}

// Dutch first, always: the sorters learn the Dutch names.
function categoryLabel(id) {
  const cat = state && state.categories.find((c) => c.id === id);
  return cat ? cat.nl : id;
}

function gridShape(n) {
  // Tiles as wide as they can be while all fit on one screen; 4 as 2x2 keeps labels on fewer lines.
  let cols;
  if (n <= 3) cols = Math.max(n, 1);
  else if (n === 4) cols = 2;
  else if (n <= 6) cols = 3;
  else if (n <= 8) cols = 4;
  else if (n === 9) cols = 3;
  else cols = Math.ceil(Math.sqrt(n * 1.7));
  return [cols, Math.max(1, Math.ceil(n / cols))];
}

function buildTiles(categories) {
  const box = $("tiles");
  const [cols, rows] = gridShape(categories.length);
  box.style.setProperty("--cols", cols);
  box.style.setProperty("--rows", rows);
  // Portrait screens (a phone): one column for a few tiles, two for more.
  const pcols = categories.length <= 3 ? 1 : 2;
  box.style.setProperty("--pcols", pcols);
  box.style.setProperty("--prows", Math.max(1, Math.ceil(categories.length / pcols)));
  box.replaceChildren(
    ...categories.map((cat) => {
      const tile = document.createElement("div");
      tile.className = "tile";
      tile.dataset.id = cat.id;
      const key = document.createElement("kbd");
      key.className = "keycap";
      key.textContent = cat.key;
      const img = document.createElement("img");
      img.className = "picto";
      img.alt = "";
      setPictogram(img, cat.pictogram);
      const badge = document.createElement("span");
      badge.className = "badge";
      const badgeWord = document.createElement("span");
      badgeWord.className = "badge-word";
      const badgePct = document.createElement("span");
      badgePct.className = "badge-pct";
      badge.append(badgeWord, badgePct);
      // Dutch first and largest; under it the sorter's own language (its own direction, e.g. right to left).
      const label = document.createElement("span");
      label.className = "label";
      label.lang = "nl";
      label.dir = "ltr";
      const second = document.createElement("span");
      second.className = "second";
      const head = document.createElement("div");
      head.className = "tile-head";
      head.append(key, img, badge);
      tile.append(head, label, second);
      return tile;
    }),
  );
}

function renderTiles() {
  const key = JSON.stringify(state.categories.map((c) => [c.id, c.key, c.pictogram]));
  if (key !== tilesKey) {
    buildTiles(state.categories);
    tilesKey = key;
  }
  const suggestion = state.suggestion;
  const tiles = $("tiles").children;
  state.categories.forEach((cat, i) => {
    const tile = tiles[i];
    const suggested = Boolean(suggestion && suggestion.label === cat.id);
    tile.dataset.suggested = String(suggested);
    tile.dataset.lit = String(Boolean(cat.lit));
    tile.querySelector(".label").textContent = cat.nl;
    renderSecond(tile.querySelector(".second"), cat);
    // Hidden badges keep their text, so every tile's top row has the same height and nothing shifts.
    tile.querySelector(".badge-word").textContent = t("suggestion");
    tile.querySelector(".badge-pct").textContent = suggested ? Math.round(suggestion.confidence * 100) + "%" : "–";
  });
}

function renderSecond(el, cat) {
  const chosen = state.second_language;
  el.hidden = !chosen;
  if (!chosen) {
    el.textContent = "";
    return;
  }
  el.lang = chosen.code;
  el.dir = chosen.dir === "rtl" ? "rtl" : "ltr";
  el.textContent = typeof cat.second === "string" ? cat.second : "";
}

function renderSecondLanguageKey() {
  const chosen = state ? state.second_language : null;
  const name = $("second-lang-name");
  name.textContent = chosen ? chosen.name : t("dutchOnly");
  name.lang = chosen ? chosen.code : lang;
  name.dir = chosen && chosen.dir === "rtl" ? "rtl" : "ltr";
  $("second-lang").dataset.chosen = chosen ? chosen.code : "";
  $("second-lang").hidden = !state || state.languages.length === 0;
}

// The language key: Dutch only, then each offered language in turn. The station keeps the choice; the new
// state comes back on the event stream.
function cycleSecondLanguage() {
  if (!state || state.languages.length === 0) return;
  const codes = [null, ...state.languages.map((l) => l.code)];
  const now = state.second_language ? state.second_language.code : null;
  const next = codes[(codes.indexOf(now) + 1) % codes.length];
  fetch("/api/second-language/" + encodeURIComponent(next || "none"), { method: "PUT" }).catch(() => {
    // The station is gone: the page already says so, and the key works again once it is back.
  });
}

function renderHealth() {
  const mqtt = $("h-mqtt");
  mqtt.dataset.state = state.connected ? "ok" : "fault";
  setPictogram(mqtt.querySelector("img"), state.connected ? "online" : "offline");
  mqtt.querySelector(".health-name").textContent = t("hub");
  mqtt.querySelector(".health-text").textContent = state.connected ? t("online") : t("offline");
  mqtt.title = "MQTT / hub";
  for (const [id, device] of [["h-scale", "scale"], ["h-camera", "camera"]]) {
    const item = $(id);
    const health = HEALTH.includes(state[device]) ? state[device] : "fault";
    item.dataset.state = health;
    // The device's name over its state: the pictogram alone does not say which device is "ok".
    item.querySelector(".health-name").textContent = t(device);
    item.querySelector(".health-text").textContent = t(health);
    item.title = t(device);
  }
  const journal = $("h-journal");
  journal.dataset.state = state.journal_depth > 0 ? "busy" : "ok";
  // Events stored on the station and not yet acknowledged by the hub, said in words.
  journal.querySelector(".health-name").textContent = t("toSend");
  journal.querySelector(".health-text").textContent = String(state.journal_depth);
  journal.title = t("queue");
}

function renderWarnings() {
  const box = $("warnings");
  const codes = state.warnings || [];
  box.hidden = codes.length === 0;
  $("warning-list").replaceChildren(
    ...codes.map((code) => {
      const li = document.createElement("li");
      li.dataset.code = code;
      const img = document.createElement("img");
      img.className = "warning-icon";
      img.alt = "";
      setPictogram(img, WARNING_ICON[code] || "warning");
      const words = document.createElement("span");
      words.textContent = t("warnings")[code] || code;
      li.append(img, words);
      return li;
    }),
  );
}

function renderLast() {
  const ev = state.last_event;
  const icon = $("last-icon");
  const text = $("last-text");
  $("last").dataset.undone = String(Boolean(ev && ev.undone));
  $("last-undone").hidden = !(ev && ev.undone);
  if (!ev) {
    icon.hidden = true;
    text.textContent = t("nothingYet");
    return;
  }
  const cat = state.categories.find((c) => c.id === ev.category);
  setPictogram(icon, cat ? cat.pictogram : "");
  icon.hidden = false;
  const parts = [ev.type === "sorted" ? categoryLabel(ev.category) : ev.type + " " + categoryLabel(ev.category)];
  parts.push(formatKg(ev.weight_kg));
  const time = formatTime(ev);
  if (time) parts.push(time);
  // Where the line wraps it wraps between the parts, never inside "12,500 kg" or the time.
  text.textContent = parts.map((part) => part.replace(/ (?=kg$)/, "\u00a0")).join(" · ");
}

function render() {
  document.documentElement.lang = lang;
  for (const button of document.querySelectorAll("#lang button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  for (const el of document.querySelectorAll("[data-t]")) {
    el.textContent = t(el.dataset.t);
  }
  renderSecondLanguageKey();
  if (!state) return;
  const phase = PHASE_ICON[state.phase] ? state.phase : "idle";
  document.body.dataset.phase = phase;
  $("station").textContent = state.station.id;
  // A refused press outranks the phase: the item is on the plate but was not recorded, and the sorter must know.
  const refused = state.refused ? String(state.refused) : "";
  document.body.dataset.refused = refused ? "true" : "false";
  setPictogram($("banner-icon"), refused ? "warning" : PHASE_ICON[phase]);
  $("banner-text").textContent = refused ? t("refused")[refused] || t("refused").other : t(phase);
  $("weight-value").textContent = formatKg(state.weight_kg);
  const stable = Boolean(state.stable);
  // Without a reading there is nothing to call stable or moving.
  $("stable").dataset.stable = typeof state.weight_kg === "number" ? String(stable) : "none";
  // An empty plate is "empty", not "settling": the scale's noise around zero is nothing to wait for.
  const empty = phase === "idle";
  setPictogram($("stable-icon"), empty ? "scale" : stable ? "confirm" : "unstable");
  $("stable-text").textContent = empty ? t("empty") : stable ? t("stable") : t("unstable");
  $("stable").dataset.empty = String(empty);
  $("confirm-key").textContent = state.confirm_key;
  $("undo-key").textContent = state.undo_key;
  $("help-confirm").dataset.active = String(Boolean(state.suggestion) && phase === "ready");
  renderTiles();
  renderHealth();
  renderWarnings();
  renderLast();
}

function setConnection(conn) {
  document.body.dataset.conn = conn;
  $("lost").hidden = conn !== "lost";
}

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("state", (msg) => {
    state = Object.assign({}, DEFAULTS, JSON.parse(msg.data));
    setConnection("live");
    render();
  });
  source.onerror = () => {
    // The browser reconnects by itself (the server asks for 1 s); until a new state arrives the screen is stale.
    setConnection("lost");
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(connect, REOPEN_MS);
    }
  };
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("#lang button")) {
    button.addEventListener("click", () => {
      lang = button.dataset.lang;
      saveLang();
      render();
    });
  }
  $("second-lang").addEventListener("click", cycleSecondLanguage);
  document.addEventListener("keydown", (event) => {
    if ((event.key === "l" || event.key === "L") && !event.repeat && !event.ctrlKey && !event.altKey && !event.metaKey) {
      cycleSecondLanguage();
    }
  });
  render();
  connect();
});
