// HR's pages, opened with the admin PIN: roster import (bad rows listed by spreadsheet row),
// badge sheets and revocation, the evacuation list, and the daily exports. The kiosk writes the
// files and opens them; this page says where they are.
import { $, invoke, lang, fill, failureText, rowProblemText, clockTime, gateDate, gateDay, plainDate } from "./common.js";

let lastEvacuation = null;

export function openHr(operator) {
  $("hr-operator").textContent = operator.name;
  $("hr-page").hidden = false;
  showTab("roster");
  // Today on the gate's clock, not the browser's.
  if (!readDay($("export-day").value)) $("export-day").value = plainDate(gateDay());
}

function closeHr() {
  $("hr-page").hidden = true;
  for (const id of ["roster-result", "badges-result", "revoke-result", "evac-result", "export-result"]) $(id).replaceChildren();
  invoke("hr_close");
}

function showTab(name) {
  for (const b of document.querySelectorAll("#hr-tabs button")) b.classList.toggle("current", b.dataset.tab === name);
  for (const p of document.querySelectorAll("#hr-page [data-panel]")) p.hidden = p.dataset.panel !== name;
  if (name === "evacuation") refreshEvacuation();
  if (name === "snapshots") refreshSnapshots();
}

// The camera's frames of refused scans, newest first: when (the gate's day and clock), why, who.
async function refreshSnapshots() {
  const w = lang.words;
  try {
    const kept = await invoke("hr_snapshots");
    say("snapshots-result", kept.length ? [] : [w.snapshots_none]);
    $("snapshots-list").replaceChildren(
      ...kept.map((k) => {
        const li = document.createElement("li");
        li.dataset.eventId = k.event_id;
        const img = document.createElement("img");
        img.alt = "";
        img.src = `kiosk://localhost/snapshot/${k.event_id}`;
        const text = document.createElement("div");
        const why = k.refused ? (w.reasons[k.reason] ?? k.reason ?? "") : w.snapshots_accepted;
        const who = [k.name, k.who].filter(Boolean).join(" · ") || w.snapshots_nobody;
        text.textContent = `${gateDate(k.at)} ${clockTime(k.at)} — ${why} — ${who}`;
        li.append(img, text);
        return li;
      }),
    );
  } catch (failure) {
    failed("snapshots-result", failure);
  }
}

// Shows a result line (or lines) in `box`; `ok` false paints it as an error.
function say(box, lines, ok = true) {
  const el = $(box);
  el.dataset.ok = String(ok);
  el.replaceChildren(
    ...[lines].flat().map((text) => {
      const p = document.createElement("p");
      p.textContent = text;
      return p;
    }),
  );
}

function failed(box, failure) {
  // The HR pages close themselves after a while; the PIN opens them again.
  if (failure?.code === "pin_required") $("hr-page").hidden = true;
  const w = lang.words;
  if (failure?.code === "roster_bad_rows") {
    const rows = failure.detail?.rows ?? [];
    const lines = rows.map((r) => fill(w.row, { row: r.row, why: r.problems.map(rowProblemText).join(w.row_problems_sep) }));
    say(box, [fill(w.roster_rows, { count: rows.length }), ...lines], false);
  } else {
    say(box, failureText(failure), false);
  }
}

function writtenText(template, written) {
  return `${fill(template, written)} ${written.opened ? lang.words.opened : ""}`.trim();
}

// The chosen files' own names, or the words for none (the browser's input shows nothing itself).
function renderChosenFiles(input, label) {
  const files = [...$(input).files];
  const name = $(label);
  if (files.length) {
    delete name.dataset.text;
    name.textContent = files.map((f) => f.name).join(", ");
  } else {
    name.dataset.text = "no_file_chosen";
    name.textContent = lang.words.no_file_chosen;
  }
}

async function importRoster() {
  const file = $("roster-file").files[0];
  if (!file) return say("roster-result", lang.words.choose_file, false);
  try {
    const bytes = Array.from(new Uint8Array(await file.arrayBuffer()));
    const summary = await invoke("hr_import_roster", { name: file.name, bytes, deactivateMissing: $("roster-deactivate").checked });
    say("roster-result", fill(lang.words.roster_done, summary));
  } catch (failure) {
    failed("roster-result", failure);
  }
}

async function importPhotos() {
  const files = [...$("photos-file").files];
  if (!files.length) return say("photos-result", lang.words.choose_file, false);
  try {
    const picked = await Promise.all(
      files.map(async (f) => ({ name: f.name, bytes: Array.from(new Uint8Array(await f.arrayBuffer())) })),
    );
    const stored = await invoke("hr_import_photos", { files: picked });
    say("photos-result", fill(lang.words.photos_done, { n: stored }));
  } catch (failure) {
    failed("photos-result", failure);
  }
}

async function issueBadges() {
  const by = document.querySelector('input[name="badges-by"]:checked').value;
  const value = $("badges-value").value.trim();
  const which = by === "all" ? { by } : { by, value };
  try {
    say("badges-result", writtenText(lang.words.written_badges, await invoke("hr_issue_badges", { which })));
  } catch (failure) {
    failed("badges-result", failure);
  }
}

async function revoke() {
  const code = $("revoke-code").value.trim();
  if (!code) return;
  try {
    const serial = await invoke("hr_revoke", { code });
    say("revoke-result", fill(lang.words.revoked_done, { code: code.toUpperCase(), serial }));
    $("revoke-code").value = "";
  } catch (failure) {
    failed("revoke-result", failure);
  }
}

async function refreshEvacuation() {
  try {
    lastEvacuation = { rows: await invoke("hr_evacuation"), at: new Date() };
    renderEvacuation();
  } catch (failure) {
    failed("evac-result", failure);
  }
}

// Grouped by department (visitors by their host), each group a table that prints on paper.
export function renderEvacuation() {
  const list = $("evac-list");
  if (!lastEvacuation) return list.replaceChildren();
  const w = lang.words;
  const { rows, at } = lastEvacuation;
  const title = document.createElement("h2");
  title.textContent = fill(w.evac_title, { count: rows.length, time: clockTime(at) });
  if (rows.length === 0) {
    const p = document.createElement("p");
    p.textContent = w.evac_empty;
    return list.replaceChildren(title, p);
  }
  const groups = new Map();
  for (const r of rows) {
    const visitor = r.kind === "visitor";
    // Those whose shift ended hours ago come last, apart: a warden looks for the surely-inside first.
    const key =
      r.status === "probably_left"
        ? w.evac_probably_left
        : `${visitor ? w.visitors : ""}${visitor && r.unit ? " · " : ""}${r.unit}` || "—";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const tables = [...groups].map(([unit, people]) => {
    const section = document.createElement("section");
    section.className = "evac-group";
    const h = document.createElement("h3");
    h.textContent = `${unit} (${people.length})`;
    const table = document.createElement("table");
    for (const p of people) {
      const tr = table.insertRow();
      // `since` is already on the gate's clock (a local date and time with no zone); the day is
      // shown only for someone inside since an earlier day (a night shift).
      const day = p.since.slice(0, 10);
      const since = `${day === gateDay(at) ? "" : `${plainDate(day)} `}${p.since.slice(11, 16)}`;
      for (const text of [p.code, p.name, `${w.since} ${since}`, p.gate]) tr.insertCell().textContent = text;
    }
    section.append(h, table);
    return section;
  });
  list.replaceChildren(title, ...tables);
}

async function saveEvacuationPdf() {
  try {
    say("evac-result", writtenText(lang.words.written, await invoke("hr_evacuation_pdf")));
  } catch (failure) {
    failed("evac-result", failure);
  }
}

// The export day as the person typed it (dd/mm/yyyy, as both languages write it) to
// "YYYY-MM-DD"; null when it is not a day of the calendar.
function readDay(text) {
  const m = text.trim().match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/);
  if (!m) return null;
  const [d, month, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, month - 1, d));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

function stepDay(days) {
  const day = readDay($("export-day").value) ?? gateDay();
  const [y, m, d] = day.split("-").map(Number);
  $("export-day").value = plainDate(new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10));
}

async function exportDay(command, args) {
  const day = readDay($("export-day").value);
  if (!day) return say("export-result", lang.words.bad_day, false);
  try {
    say("export-result", writtenText(lang.words.written, await invoke(command, { day, ...args })));
  } catch (failure) {
    failed("export-result", failure);
  }
}

function privacyPerson() {
  return { kind: document.querySelector('input[name="privacy-by"]:checked').value, id: $("privacy-id").value.trim() };
}

async function privacyShow() {
  const person = privacyPerson();
  if (!person.id) return;
  try {
    say("privacy-result", writtenText(lang.words.written, await invoke("hr_privacy_show", person)));
  } catch (failure) {
    failed("privacy-result", failure);
  }
}

// Erasure cannot be undone: the clerk confirms the person's identity was checked first.
async function privacyErase() {
  const person = privacyPerson();
  if (!person.id) return;
  if (!$("privacy-confirm").checked) return say("privacy-result", lang.words.privacy_confirm_first, false);
  try {
    const records = await invoke("hr_privacy_erase", person);
    const done = person.kind === "cccd" ? lang.words.privacy_erased_visitor : lang.words.privacy_erased_worker;
    say("privacy-result", fill(done, { records, code: person.id.toUpperCase() }));
    $("privacy-confirm").checked = false;
    $("privacy-id").value = "";
  } catch (failure) {
    failed("privacy-result", failure);
  }
}

export function wireHr() {
  $("hr-close").addEventListener("click", closeHr);
  $("roster-file").addEventListener("change", () => renderChosenFiles("roster-file", "roster-file-name"));
  $("photos-file").addEventListener("change", () => renderChosenFiles("photos-file", "photos-file-name"));
  $("photos-import").addEventListener("click", importPhotos);
  for (const b of document.querySelectorAll("#hr-tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("roster-import").addEventListener("click", importRoster);
  $("badges-issue").addEventListener("click", issueBadges);
  $("revoke-confirm").addEventListener("click", revoke);
  $("evac-refresh").addEventListener("click", refreshEvacuation);
  $("evac-print").addEventListener("click", () => window.print());
  $("evac-pdf").addEventListener("click", saveEvacuationPdf);
  $("export-attendance-xlsx").addEventListener("click", () => exportDay("hr_export_attendance", { format: "xlsx" }));
  $("export-attendance-csv").addEventListener("click", () => exportDay("hr_export_attendance", { format: "csv" }));
  // The month the chosen day falls in.
  $("export-timesheet-xlsx").addEventListener("click", () => exportDay("hr_export_timesheet", { format: "xlsx" }));
  $("export-visitors").addEventListener("click", () => exportDay("hr_export_visitors", {}));
  $("export-day-before").addEventListener("click", () => stepDay(-1));
  $("export-day-after").addEventListener("click", () => stepDay(1));
  $("privacy-show").addEventListener("click", privacyShow);
  $("privacy-erase").addEventListener("click", privacyErase);
}
