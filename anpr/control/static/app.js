// Control-room page: live hits over Server-Sent Events, cars, filtered reads, all on a Leaflet map.
// No tile server is reachable from the control room's network: the map draws a lat/lon grid instead of
// tiles; markers and popups work the same.
// Every value that came from a car is written as text (el(), textContent), never parsed as HTML, and
// Leaflet popups/tooltips get DOM nodes, not strings (Leaflet parses a string as HTML). The page is
// served with `Content-Security-Policy: script-src 'self'`: no inline script anywhere.
"use strict";

// el("b", {class: "mono"}, "text", node, ...): an element whose strings become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "dataset") Object.assign(e.dataset, v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : String(c));
  return e;
}

const map = L.map("map", { zoomControl: true }).setView([-29.9045, -71.2489], 14);
map.attributionControl.addAttribution("no tile server: lat/lon grid");
// Panes keep hits above cars above reads, whatever order they arrive in.
for (const [name, z] of [["reads", 410], ["cars", 420], ["hits", 430]]) map.createPane(name).style.zIndex = z;
const gridLayer = L.layerGroup().addTo(map);
const readLayer = L.layerGroup().addTo(map);
const hitLayer = L.layerGroup().addTo(map);
const carLayer = L.layerGroup().addTo(map);
const legend = L.control({ position: "topright" });
legend.onAdd = () => el("div", { class: "legend" }, el("span", { class: "dot legend-hit" }), "hit ",
  el("span", { class: "dot legend-read" }), "read ", el("span", { class: "dot legend-car" }), "car");
legend.addTo(map);
const MAX_READ_MARKERS = 1500;
let readMarkers = [];
let fitted = false;

function drawGrid() {
  gridLayer.clearLayers();
  const b = map.getBounds();
  const span = Math.max(b.getNorth() - b.getSouth(), b.getEast() - b.getWest());
  const step = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10].find((s) => span / s <= 12) || 20;
  const style = { color: "#b8c4cf", weight: 1, interactive: false };
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let lat = Math.ceil(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step) {
    gridLayer.addLayer(L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style));
    gridLayer.addLayer(L.marker([lat, b.getWest()], { interactive: false, icon: L.divIcon({ className: "grid-label",
      html: lat.toFixed(digits), iconSize: null, iconAnchor: [-2, 12] }) }));
  }
  for (let lon = Math.ceil(b.getWest() / step) * step; lon <= b.getEast(); lon += step) {
    gridLayer.addLayer(L.polyline([[b.getSouth(), lon], [b.getNorth(), lon]], style));
    gridLayer.addLayer(L.marker([b.getSouth(), lon], { interactive: false, icon: L.divIcon({ className: "grid-label",
      html: lon.toFixed(digits), iconSize: null, iconAnchor: [-2, 14] }) }));
  }
}
map.on("moveend", drawGrid);
drawGrid();

const hhmmss = (iso) => (iso ? String(iso).replace("T", " ").replace(/\.\d+Z$/, "Z") : "");
const num = (x, digits) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "?");
const place = (e) => (e.lat == null ? "no fix" : `${num(e.lat, 5)}, ${num(e.lon, 5)}`);
const cropUrl = (e) => `/api/crop/${encodeURIComponent(e.event_id)}`;

function popup(e) {
  const d = el("div", { class: "popup" });
  if (e.has_crop) d.append(el("img", { src: cropUrl(e), class: "popup-crop", alt: "crop" }), el("br"));
  d.append(el("b", { class: "mono" }, e.plate), " ");
  if (e.kind === "hit") d.append(el("b", { class: "reason" }, e.reason), ` (${e.match_kind}, ${e.list_name})`, el("br"));
  d.append(`${e.device_id} / ${e.camera_id}`, el("br"), hhmmss(e.last_seen), el("br"), place(e));
  return d;
}

function fitOnce(latlng) {
  if (!fitted) { map.setView(latlng, 15); fitted = true; }
}

function addHit(e, live) {
  const list = document.getElementById("hits");
  if ([...list.children].some((x) => x.dataset.eventId === e.event_id)) return;
  const li = el("li", { class: live ? "new" : "", dataset: { eventId: e.event_id, plate: e.plate, shownMs: String(Date.now()) } },
    e.has_crop ? el("img", { alt: "crop", src: cropUrl(e) }) : el("span", { class: "nocrop" }),
    el("div", {}, el("span", { class: "plate" }, e.plate), " ", el("span", { class: "reason" }, e.reason),
      el("div", { class: "meta" }, `${e.device_id} / ${e.camera_id} · ${hhmmss(e.last_seen)}`, el("br"),
        `${place(e)} · ${e.match_kind} · ${e.list_name}`)));
  if (live) list.prepend(li); else list.append(li);
  while (list.children.length > 100) list.lastChild.remove();
  if (e.lat != null) {
    const m = L.circleMarker([e.lat, e.lon], { pane: "hits", radius: 9, color: "#7f1010", weight: 2, fillColor: "#e53935", fillOpacity: 0.9 })
      .bindPopup(popup(e)).bindTooltip(el("span", {}, e.plate), { permanent: true, direction: "right", className: "mono" });
    hitLayer.addLayer(m);
    li.onclick = () => { map.setView([e.lat, e.lon], Math.max(map.getZoom(), 16)); m.openPopup(); };
    fitOnce([e.lat, e.lon]);
    if (live) map.panTo([e.lat, e.lon]);
  }
}

function addRead(e) {
  if (e.lat == null) return;
  const m = L.circleMarker([e.lat, e.lon], { pane: "reads", radius: 4, color: "#1565c0", weight: 1, fillColor: "#42a5f5", fillOpacity: 0.7 })
    .bindPopup(popup(e));
  readLayer.addLayer(m);
  readMarkers.push(m);
  if (readMarkers.length > MAX_READ_MARKERS) readLayer.removeLayer(readMarkers.shift());
  fitOnce([e.lat, e.lon]);
}

async function getJSON(url) {
  const r = await fetch(url);
  if (r.status === 401) { window.location.assign("/login"); throw new Error("logged out"); }
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

let me = null;
async function logout() {
  await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": me.csrf } });
  window.location.assign("/login");
}

function age(s) {
  if (s == null) return "";
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

async function loadCars() {
  const cars = await getJSON("/api/cars");
  const tbody = document.querySelector("#cars tbody");
  tbody.replaceChildren();
  carLayer.clearLayers();
  for (const c of cars) {
    const state = c.state === "online" ? "online" : "offline";
    const located = c.fix && Number.isFinite(c.fix.lat) && Number.isFinite(c.fix.lon);
    const fix = located ? `${num(c.fix.lat, 4)}, ${num(c.fix.lon, 4)}` : "—";
    const hl = c.hotlist_version == null ? "—" : `v${c.hotlist_version}${c.hotlist_age_s == null ? "" : " · " + age(c.hotlist_age_s)}`;
    tbody.append(el("tr", { dataset: { device: c.device_id, state: c.state } },
      el("td", { class: "mono" }, c.device_id), el("td", {}, el("span", { class: `dot ${state}` }), c.state),
      el("td", {}, c.hits ?? "—"), el("td", {}, c.outbox_depth ?? "—"), el("td", {}, hl), el("td", {}, fix)));
    if (located) {
      carLayer.addLayer(L.circleMarker([c.fix.lat, c.fix.lon], { pane: "cars", radius: 6, color: "#1b5e20", weight: 3,
        fillColor: state === "online" ? "#66bb6a" : "#bdbdbd", fillOpacity: 1 })
        .bindTooltip(el("span", {}, `${c.device_id} (${c.state})`), { direction: "top" }));
    }
  }
}

let statsTimer = null;
function statsSoon() {
  if (!statsTimer) statsTimer = setTimeout(() => { statsTimer = null; loadStats().catch(console.error); }, 300);
}

let carsTimer = null;
function carsSoon() {
  if (!carsTimer) carsTimer = setTimeout(() => { carsTimer = null; loadCars().catch(console.error); }, 500);
}

async function loadStats() {
  const s = await getJSON("/api/stats");
  const r = s.receiver || {};
  document.getElementById("stats").textContent =
    `${s.store.hits} hits · ${s.store.reads} reads · ${s.store.cars} cars · ${s.store.quarantined} quarantined` +
    (r.connected === false ? " · broker: disconnected" : "");
}

function filterParams() {
  const f = new FormData(document.getElementById("filter"));
  const p = new URLSearchParams();
  for (const k of ["plate", "bbox"]) if (f.get(k)) p.set(k, f.get(k).trim());
  for (const k of ["since", "until"]) if (f.get(k)) p.set(k, f.get(k) + "Z");
  return p;
}

async function searchReads(ev) {
  if (ev) ev.preventDefault();
  const p = filterParams();
  for (const [id, kind, fmt] of [["x-reads-geojson", "read", "geojson"], ["x-reads-csv", "read", "csv"],
    ["x-hits-geojson", "hit", "geojson"], ["x-hits-csv", "hit", "csv"]]) {
    const q = new URLSearchParams(p); q.set("kind", kind);
    document.getElementById(id).href = `/api/export.${fmt}?${q}`;
  }
  p.set("kind", "read"); p.set("limit", "500");
  const err = document.getElementById("filter-error");
  try {
    const rows = await getJSON(`/api/events?${p}`);
    err.textContent = "";
    const tbody = document.querySelector("#reads tbody");
    tbody.replaceChildren();
    readLayer.clearLayers(); readMarkers = [];
    for (const e of rows) {
      tbody.append(el("tr", {}, el("td", {}, hhmmss(e.last_seen)), el("td", { class: "mono" }, e.plate),
        el("td", {}, e.device_id), el("td", {}, num(e.confidence, 2)), el("td", {}, place(e))));
      addRead(e);
    }
  } catch (e) { err.textContent = e.message; }
}

document.getElementById("filter").addEventListener("submit", searchReads);
document.getElementById("use-view").onclick = () => {
  const b = map.getBounds();
  document.querySelector("[name=bbox]").value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(",");
};

function connect() {
  const es = new EventSource("/api/stream");
  const badge = document.getElementById("live");
  es.onopen = () => { badge.textContent = "live"; badge.className = "badge on"; document.body.dataset.live = "1"; };
  es.onerror = () => { badge.textContent = "reconnecting…"; badge.className = "badge off"; document.body.dataset.live = "0"; };
  es.addEventListener("hit", (m) => { addHit(JSON.parse(m.data), true); statsSoon(); });
  es.addEventListener("read", (m) => addRead(JSON.parse(m.data)));
  es.addEventListener("cars", carsSoon);
}

(async () => {
  try {
    me = await getJSON("/api/me");
  } catch (e) { return; }
  document.body.dataset.role = me.role;
  document.getElementById("whoami").textContent = `${me.user} (${me.role})`;
  document.getElementById("logout").onclick = () => logout().catch(console.error);
  const operator = me.role !== "viewer";
  connect();
  try {
    const hits = await getJSON("/api/events?kind=hit&order=received&limit=50");
    hits.forEach((e) => addHit(e, false));
    await Promise.all([loadCars(), operator ? searchReads() : null, loadStats()]);
  } catch (e) { console.error(e); }
  setInterval(() => loadStats().catch(console.error), 2000);
  setInterval(() => loadCars().catch(console.error), 15000);
})();
