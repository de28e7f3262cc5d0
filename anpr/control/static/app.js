// Control-room page: live hits (one row per passage) over Server-Sent Events, cars, filtered reads, on a
// Leaflet map. Streets come from the configured tiles (a tile server the browser reaches, or the control
// room's own MBTiles at /tiles); without either, a lat/lon grid. Hits and reads are clustered.
"use strict";

let map = null, gridLayer = null, readLayer = null, hitLayer = null, carLayer = null;
const MAX_READ_MARKERS = 1500;
let readMarkers = [];
const hitMarkers = new Map(); // passage key -> marker
let fitted = false;

function setupMap() {
  const m = settings.map;
  map = L.map("map", { zoomControl: true, maxZoom: m.max_zoom }).setView(m.center, 14);
  if (m.tiles_url) {
    L.tileLayer(m.tiles_url, { maxZoom: m.max_zoom, subdomains: m.subdomains || "abc", attribution: esc(m.attribution) }).addTo(map);
    document.body.dataset.tiles = "1";
  } else {
    map.attributionControl.addAttribution("no tiles configured: lat/lon grid");
    gridLayer = L.layerGroup().addTo(map);
    map.on("moveend", drawGrid);
    drawGrid();
  }
  // Panes keep hits above reads whatever order they arrive in.
  // Cars sit above the cluster icons (Leaflet's marker pane is 600), under tooltips (650).
  for (const [name, z] of [["reads", 410], ["hits", 430], ["cars", 640]]) map.createPane(name).style.zIndex = z;
  const cluster = (cls) => L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false, spiderfyOnMaxZoom: true,
    iconCreateFunction: (c) => L.divIcon({ html: el("div", {}, el("span", {}, String(c.getChildCount()))), className: `cluster ${cls}`, iconSize: [34, 34] }) });
  readLayer = cluster("cluster-read").addTo(map);
  hitLayer = cluster("cluster-hit").addTo(map);
  carLayer = L.layerGroup().addTo(map);
  const legend = L.control({ position: "topright" });
  legend.onAdd = () => el("div", { class: "legend" }, el("span", { class: "dot legend-hit" }), "hit ",
    el("span", { class: "dot legend-read" }), "read ", el("span", { class: "dot legend-car" }), "car");
  legend.addTo(map);
}

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

// Fit the map to what is shown: hits, reads of the last search and cars.
function fitShown() {
  const pts = [];
  for (const g of [hitLayer, readLayer, carLayer]) g.eachLayer((m) => { if (m.getLatLng) pts.push(m.getLatLng()); });
  if (!pts.length) return;
  fitted = true;
  map.fitBounds(L.latLngBounds(pts).pad(0.15), { maxZoom: 16 });
}

function popup(e) {
  const d = el("div", { class: "popup" });
  const crop = e.crop_event_id || (e.has_crop ? e.event_id : null);
  if (crop) d.append(el("img", { src: cropUrl(crop), class: "popup-crop", alt: "crop" }), el("br"));
  d.append(el("b", { class: "mono" }, e.plate), " ");
  if (e.kind === "hit") d.append(el("b", { class: "reason" }, e.reason), ` (${e.match_kind}, ${e.list_name})`, el("br"));
  d.append(`${e.device_id} / ${e.camera_id}`, el("br"), localTime(e.last_seen), el("br"), place(e));
  return d;
}

const keyOf = (p) => `${p.device_id}|${p.passage_id}`;

// --- alarm: a sound and a flash on a new hit ------------------------------------------------------
let audio = null;
function alarm() {
  document.body.classList.remove("alarm"); void document.body.offsetWidth; document.body.classList.add("alarm");
  document.body.dataset.alarms = String(Number(document.body.dataset.alarms || 0) + 1);
  if (!document.getElementById("sound").checked) return;
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    for (const [at, f] of [[0, 880], [0.25, 660], [0.5, 880]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f; g.gain.setValueAtTime(0.25, audio.currentTime + at); g.gain.setValueAtTime(0, audio.currentTime + at + 0.2);
      o.connect(g).connect(audio.destination); o.start(audio.currentTime + at); o.stop(audio.currentTime + at + 0.22);
    }
  } catch (err) { console.warn("no sound:", err.message); }
}

// --- hits: one row per passage -------------------------------------------------------------------------
function hitItem(p, live) {
  const steps = (p.events || []).map((e) => (e.final ? "final" : "early")).join(" → ");
  const crop = p.crop_event_id || (p.has_crop ? p.event_id : null);
  return el("li", { class: live ? "new" : "", dataset: { key: keyOf(p), plate: p.plate, device: p.device_id, passage: p.passage_id,
    review: p.review ? p.review.decision : "none", shownMs: String(Date.now()) } },
    crop ? el("img", { alt: "crop", src: cropUrl(crop) }) : el("span", { class: "nocrop" }),
    el("div", {}, el("span", { class: "plate" }, p.plate), " ", el("span", { class: "reason" }, p.reason), " ", reviewBadge(p.review),
      el("div", { class: "meta" }, `${p.device_id} / ${p.camera_id} · ${localTime(p.last_seen)}`, el("br"),
        `${place(p)} · ${p.match_kind} · ${p.list_name}${steps ? " · " + steps : ""}`)));
}

function showHit(p, live) {
  const list = document.getElementById("hits");
  const key = keyOf(p);
  const old = [...list.children].find((x) => x.dataset.key === key);
  const li = hitItem(p, live && !old);
  li.onclick = () => {
    const m = hitMarkers.get(key);
    if (m) { hitLayer.zoomToShowLayer(m, () => m.openPopup()); }
    openPassage(p.device_id, p.passage_id);
  };
  if (old) old.replaceWith(li); else if (live) list.prepend(li); else list.append(li);
  while (list.children.length > 100) list.lastChild.remove();
  if (p.lat != null) {
    if (hitMarkers.has(key)) hitLayer.removeLayer(hitMarkers.get(key));
    const m = L.circleMarker([p.lat, p.lon], { pane: "hits", radius: 9, color: "#7f1010", weight: 2, fillColor: "#e53935", fillOpacity: 0.9 })
      .bindPopup(popup(p)).bindTooltip(el("span", {}, p.plate), { direction: "top", className: "mono" });
    hitMarkers.set(key, m);
    hitLayer.addLayer(m);
    if (live && !old) map.panTo([p.lat, p.lon]);
  }
  if (live && !old) alarm();
}

// A live event: a new passage, or one more event (the final one) of a passage already listed.
function liveHit(e) {
  const key = keyOf(e);
  const old = [...document.getElementById("hits").children].find((x) => x.dataset.key === key);
  const events = [{ event_id: e.event_id, final: e.final, kind: e.kind }];
  if (old) {
    getJSON(`/api/passage?device=${encodeURIComponent(e.device_id)}&passage=${encodeURIComponent(e.passage_id)}`)
      .then((p) => showHit(p, true)).catch(console.error);
  } else {
    showHit({ ...e, events, crop_event_id: e.has_crop ? e.event_id : null, review: null }, true);
  }
}

async function loadHits() {
  const only = document.getElementById("unreviewed").checked ? "&unreviewed=1" : "";
  const list = await getJSON(`/api/passages?kind=hit&order=received&limit=100${only}`);
  document.getElementById("hits").replaceChildren();
  hitLayer.clearLayers(); hitMarkers.clear();
  list.forEach((p) => showHit(p, false));
}

function addRead(e) {
  if (e.lat == null) return;
  const m = L.circleMarker([e.lat, e.lon], { pane: "reads", radius: 5, color: "#1565c0", weight: 1, fillColor: "#42a5f5", fillOpacity: 0.8 })
    .bindPopup(popup(e));
  readLayer.addLayer(m);
  readMarkers.push(m);
  if (readMarkers.length > MAX_READ_MARKERS) readLayer.removeLayer(readMarkers.shift());
}

// --- cars ---------------------------------------------------------------------------------------
function carIcon(c, online) {
  const h = c.fix && typeof c.fix.heading_deg === "number" ? c.fix.heading_deg : null;
  const arrow = el("div", { class: `car-arrow ${online ? "online" : "offline"}${h == null ? " no-heading" : ""}` });
  if (h != null) arrow.style.transform = `rotate(${h}deg)`;
  return L.divIcon({ html: arrow, className: "car-icon", iconSize: [22, 22], iconAnchor: [11, 11] });
}

async function loadCars() {
  const cars = await getJSON("/api/cars");
  const tbody = document.querySelector("#cars tbody");
  tbody.replaceChildren();
  carLayer.clearLayers();
  for (const c of cars) {
    const state = c.state === "online" ? "online" : "offline";
    const located = c.fix && Number.isFinite(c.fix.lat) && Number.isFinite(c.fix.lon);
    const fix = located ? `${num(c.fix.lat, 4)}, ${num(c.fix.lon, 4)}${c.fix.age_s == null ? "" : " · " + age(c.fix.age_s)}` : "—";
    const hl = c.hotlist_version == null ? "—" : `v${c.hotlist_version}${c.hotlist_age_s == null ? "" : " · " + age(c.hotlist_age_s)}`;
    tbody.append(el("tr", { dataset: { device: c.device_id, state: c.state } },
      el("td", { class: "mono" }, c.device_id), el("td", {}, el("span", { class: `dot ${state}` }), c.state),
      el("td", {}, c.hits ?? "—"), el("td", {}, c.outbox_depth ?? "—"), el("td", {}, hl), el("td", {}, fix)));
    if (located) {
      const tip = `${c.device_id} (${c.state})${c.fix.age_s == null ? "" : " · fix " + age(c.fix.age_s)}`;
      carLayer.addLayer(L.marker([c.fix.lat, c.fix.lon], { pane: "cars", icon: carIcon(c, state === "online") })
        .bindTooltip(el("span", {}, tip), { direction: "top", permanent: true, className: "car-label", offset: [0, -10] }));
    }
  }
}

// --- stats, filter, reads -----------------------------------------------------------------------------------
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
  // since/until are dd-mm-aaaa hh:mm in the control room's zone: the server reads them so.
  for (const k of ["plate", "bbox", "since", "until"]) if (f.get(k)) p.set(k, f.get(k).trim());
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
      tbody.append(el("tr", {}, el("td", {}, localTime(e.last_seen)), el("td", { class: "mono" }, e.plate),
        el("td", {}, e.device_id), el("td", {}, num(e.confidence, 2)), el("td", {}, place(e))));
      addRead(e);
    }
    if (ev) fitShown();
  } catch (e) { err.textContent = e.message; }
}

function connect() {
  const es = new EventSource("/api/stream");
  const badge = document.getElementById("live");
  es.onopen = () => { badge.textContent = "live"; badge.className = "badge on"; document.body.dataset.live = "1"; };
  es.onerror = () => { badge.textContent = "reconnecting…"; badge.className = "badge off"; document.body.dataset.live = "0"; };
  es.addEventListener("hit", (m) => { liveHit(JSON.parse(m.data)); statsSoon(); });
  es.addEventListener("read", (m) => addRead(JSON.parse(m.data)));
  es.addEventListener("cars", carsSoon);
  es.addEventListener("review", (m) => {
    const r = JSON.parse(m.data);
    const li = [...document.getElementById("hits").children].find((x) => x.dataset.key === keyOf(r));
    if (!li) return;
    if (document.getElementById("unreviewed").checked) { li.remove(); return; }
    li.dataset.review = r.review.decision;
    li.querySelector(".review").replaceWith(reviewBadge(r.review));
  });
}

async function logout() {
  await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": me.csrf } });
  window.location.assign("/login");
}

(async () => {
  try {
    me = await getJSON("/api/me");
    Object.assign(settings, await getJSON("/api/settings"));
  } catch (e) { return; }
  setupMap();
  document.body.dataset.role = me.role;
  document.getElementById("whoami").textContent = `${me.user} (${me.role})`;
  document.getElementById("logout").onclick = () => logout().catch(console.error);
  document.getElementById("filter").addEventListener("submit", searchReads);
  document.getElementById("use-view").onclick = () => {
    const b = map.getBounds();
    document.querySelector("[name=bbox]").value = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(5)).join(",");
  };
  document.getElementById("fit").onclick = fitShown;
  document.getElementById("unreviewed").onchange = () => loadHits().catch(console.error);
  const operator = me.role !== "viewer";
  connect();
  try {
    await Promise.all([loadHits(), loadCars(), operator ? searchReads() : null, loadStats()]);
    if (!fitted) fitShown();
  } catch (e) { console.error(e); }
  document.body.dataset.ready = "1";
  setInterval(() => loadStats().catch(console.error), 2000);
  setInterval(() => loadCars().catch(console.error), 15000);
})();
