// Login: JSON POST (no form post, so a cross-site page cannot log a browser in); the session cookie is
// HttpOnly and SameSite=Strict, set by the answer.
"use strict";
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const err = document.getElementById("login-error");
  const r = await fetch("/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: f.get("user"), password: f.get("password") }) });
  if (r.ok) { window.location.assign("/"); return; }
  const body = await r.json().catch(() => ({}));
  err.textContent = body.error || r.statusText;
});
