// Minimal status page: refreshes the two tables every 2 seconds from the hub's API.
"use strict";

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

async function refresh() {
  const [stations, throughput] = await Promise.all([
    fetch("/api/v1/stations").then((r) => r.json()),
    fetch("/api/v1/throughput").then((r) => r.json()),
  ]);
  const totals = new Map(throughput.stations.map((s) => [s.station, s]));
  const names = new Set([...stations.map((s) => s.station), ...totals.keys()]);
  const live = new Map(stations.map((s) => [s.station, s]));
  fill(document.querySelector("#stations tbody"), [...names].sort().map((name) => {
    const s = live.get(name) || { site: totals.get(name).site, state: "unknown" };
    const t = totals.get(name) || { kg: 0, items: 0 };
    const tr = document.createElement("tr");
    tr.dataset.station = name;
    cell(tr, name);
    cell(tr, s.site);
    cell(tr, s.state, "state-" + s.state);
    cell(tr, t.kg.toFixed(3), "num kg");
    cell(tr, String(t.items), "num items");
    cell(tr, s.health ? String(s.health.journal_depth) : "–", "num");
    cell(tr, s.health ? s.health.scale : "–");
    cell(tr, s.last_event ? `${s.last_event.category} ${s.last_event.weight_kg} kg` : "–");
    return tr;
  }));
  fill(document.querySelector("#categories tbody"), throughput.rows.map((r) => {
    const tr = document.createElement("tr");
    cell(tr, r.station);
    cell(tr, r.stream);
    cell(tr, r.category);
    cell(tr, r.kg.toFixed(3), "num");
    cell(tr, String(r.items), "num");
    return tr;
  }));
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
}

async function loop() {
  try {
    await refresh();
  } catch (err) {
    document.getElementById("updated").textContent = "hub onbereikbaar · hub unreachable";
  }
  setTimeout(loop, 2000);
}
loop();
