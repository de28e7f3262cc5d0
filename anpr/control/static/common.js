// Shared by the page's scripts: DOM building as text, times in the control room's zone, JSON requests.
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

// HTML-escaped text, for the one Leaflet API that only takes markup (the attribution).
function esc(s) {
  const d = document.createElement("div");
  d.textContent = String(s);
  return d.innerHTML;
}

const settings = { timezone: "America/Santiago", map: { tiles_url: null, attribution: "", max_zoom: 19,
  subdomains: "abc", center: [-29.9045, -71.2489] } };
let clockFmt = null;

// "2024-05-17T18:30:00.123Z" -> "17-05-2024 14:30:00" in the control room's zone (America/Santiago).
function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (!clockFmt) {
    clockFmt = new Intl.DateTimeFormat("es-CL", { timeZone: settings.timezone, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  }
  const p = Object.fromEntries(clockFmt.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

const num = (x, digits) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "?");
const place = (e) => (e.lat == null ? "no fix" : `${num(e.lat, 5)}, ${num(e.lon, 5)}`);
const cropUrl = (eventId) => `/api/crop/${encodeURIComponent(eventId)}`;

function age(s) {
  if (s == null) return "";
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

let me = null;

async function getJSON(url) {
  const r = await fetch(url);
  if (r.status === 401) { window.location.assign("/login"); throw new Error("logged out"); }
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function postJSON(url, data) {
  const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
    body: JSON.stringify(data) });
  if (r.status === 401) { window.location.assign("/login"); throw new Error("logged out"); }
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
