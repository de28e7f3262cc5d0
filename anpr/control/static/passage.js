// One passage in a dialog: the crop enlarged, the hotlist entry and its reason, the reading's alternatives,
// the events behind it (early hit, final event), and the operator's review (confirm or dismiss, with a note).
"use strict";

const REVIEW_TEXT = { confirmed: "confirmed", dismissed: "dismissed" };

function reviewBadge(review) {
  if (!review) return el("span", { class: "review none" }, "unconfirmed");
  return el("span", { class: `review ${review.decision}` }, `${REVIEW_TEXT[review.decision] || review.decision} · ${review.user}`);
}

function row(...cells) { return el("tr", {}, ...cells.map((c) => el("td", {}, c))); }

function entryTable(entry) {
  if (!entry) return el("p", {}, "no hotlist entry");
  const t = el("table", { class: "kv" });
  for (const [k, label] of [["plate", "listed plate"], ["reason", "reason"], ["list_name", "list"],
    ["priority", "priority"], ["source", "source"], ["note", "note"]]) {
    if (entry[k] != null && entry[k] !== "") t.append(el("tr", {}, el("th", {}, label), el("td", { class: k === "reason" ? "reason" : "" }, entry[k])));
  }
  for (const k of ["added_at", "expires_at"]) if (entry[k]) t.append(el("tr", {}, el("th", {}, k.replace("_at", "")), el("td", {}, localTime(entry[k]))));
  return t;
}

async function openPassage(deviceId, passageId) {
  const dlg = document.getElementById("passage");
  const body = document.getElementById("passage-body");
  body.replaceChildren(el("p", {}, "loading…"));
  if (!dlg.open) dlg.showModal();
  let p;
  try {
    p = await getJSON(`/api/passage?device=${encodeURIComponent(deviceId)}&passage=${encodeURIComponent(passageId)}`);
  } catch (e) { body.replaceChildren(el("p", { class: "error" }, e.message)); return; }
  dlg.dataset.device = p.device_id; dlg.dataset.passage = p.passage_id;
  const hit = p.events.slice().reverse().find((e) => e.kind === "hit");
  const alts = (p.events[p.events.length - 1].alternatives || []);
  const history = el("table", { class: "history" }, el("tr", {}, ...["time (Chile)", "event", "plate", "conf.", "received"].map((h) => el("th", {}, h))));
  for (const e of p.events) {
    const what = `${e.final ? "final" : "early"} ${e.kind}${e.match_kind ? " (" + e.match_kind + ")" : ""}`;
    history.append(row(localTime(e.last_seen), what, el("span", { class: "mono" }, e.plate), num(e.confidence, 2), localTime(e.received_at)));
  }
  const altTable = el("table", { class: "alts" }, el("tr", {}, el("th", {}, "alternative"), el("th", {}, "score")));
  for (const a of alts) altTable.append(row(el("span", { class: "mono" }, a.text), num(a.score, 2)));
  const crop = p.crop_event_id ? el("img", { class: "big-crop", alt: "crop", src: cropUrl(p.crop_event_id) }) : el("div", { class: "nocrop big-crop" }, "no crop");
  body.replaceChildren(
    el("div", { class: "passage-head" }, crop,
      el("div", {}, el("div", { class: "plate big" }, p.plate), el("div", {}, `confidence ${num(p.confidence, 2)}`),
        el("div", {}, `${p.device_id} / ${p.camera_id}`), el("div", {}, `${localTime(p.first_seen)} → ${localTime(p.last_seen)}`),
        el("div", {}, place(p)), reviewBadge(p.review))),
    el("h3", {}, "Hotlist"), entryTable(hit ? hit.entry : null),
    el("h3", {}, "Other readings"), alts.length ? altTable : el("p", {}, "none"),
    el("h3", {}, "Events of this passage"), history,
  );
  if (p.review) {
    body.append(el("p", { class: "review-line" }, `${REVIEW_TEXT[p.review.decision]} by ${p.review.user} at ${localTime(p.review.at)}`,
      p.review.note ? el("br") : null, p.review.note ? `“${p.review.note}”` : null));
  }
  const form = document.getElementById("review-form");
  form.hidden = p.kind !== "hit" || me.role === "viewer";
  form.querySelector("[name=note]").value = "";
  document.getElementById("review-error").textContent = "";
}

async function submitReview(decision) {
  const dlg = document.getElementById("passage");
  const note = document.querySelector("#review-form [name=note]").value;
  const err = document.getElementById("review-error");
  try {
    await postJSON("/api/passage/review", { device_id: dlg.dataset.device, passage_id: dlg.dataset.passage, decision, note });
    err.textContent = "";
    await openPassage(dlg.dataset.device, dlg.dataset.passage);
  } catch (e) { err.textContent = e.message; }
}

document.getElementById("confirm-hit").onclick = () => submitReview("confirmed");
document.getElementById("dismiss-hit").onclick = () => submitReview("dismissed");
document.getElementById("passage-close").onclick = () => document.getElementById("passage").close();
