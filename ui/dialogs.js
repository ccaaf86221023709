// The guard screen's dialogs: the PIN pad (leaving the kiosk, opening the HR pages), the manual
// entry and the visitor registration form. Each sends what the person typed to the kiosk and
// shows its answer; none decides anything.
import { $, invoke, lang, fill, failureText, plainDate } from "./common.js";

// ---- the PIN pad ----------------------------------------------------------------------------

let pinAction = null;

// Asks for the admin PIN, then runs `action(pin)`; a failure is shown and the pad stays open.
export function askPin(title, action) {
  pinAction = action;
  $("pin-title").textContent = title;
  $("pin-input").value = "";
  $("pin-error").textContent = "";
  $("pin-dialog").showModal();
  $("pin-input").focus();
}

function wirePin() {
  const keypad = $("pin-keypad");
  for (const key of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "✓"]) {
    const b = document.createElement("button");
    b.type = key === "✓" ? "submit" : "button";
    b.textContent = key;
    b.addEventListener("click", () => {
      const input = $("pin-input");
      if (key === "⌫") input.value = input.value.slice(0, -1);
      else if (key !== "✓") input.value += key;
      input.focus();
    });
    keypad.append(b);
  }
  $("pin-cancel").addEventListener("click", () => $("pin-dialog").close());
  $("pin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const pin = $("pin-input").value;
    if (!pin) {
      $("pin-error").textContent = lang.words.need_pin;
      return;
    }
    try {
      await pinAction(pin);
      $("pin-dialog").close();
    } catch (failure) {
      $("pin-input").value = "";
      $("pin-error").textContent = failureText(failure);
    }
  });
}

// ---- manual entry ---------------------------------------------------------------------------

const manual = { chosen: null, searchSeq: 0 };

export function openManual() {
  manual.chosen = null;
  $("manual-search").value = "";
  $("manual-results").replaceChildren();
  $("manual-reason").value = "";
  $("manual-pin").value = "";
  $("manual-error").textContent = "";
  $("manual-in").checked = true;
  $("manual-reason-preset").selectedIndex = 0;
  renderManualWords();
  $("manual-dialog").showModal();
  $("manual-search").focus();
}

export function renderManualWords() {
  const w = lang.words;
  $("manual-search").placeholder = w.search_worker;
  $("manual-reason").placeholder = w.reason;
  $("manual-pin").placeholder = w.guard_pin;
  const preset = $("manual-reason-preset");
  // The same choice stays chosen when the language changes (the words differ, the place does not).
  const index = Math.max(0, preset.selectedIndex);
  preset.replaceChildren(
    ...[...w.reason_presets, w.reason_other].map((text, i) => {
      const o = document.createElement("option");
      o.value = i < w.reason_presets.length ? text : "";
      o.textContent = text;
      return o;
    }),
  );
  preset.selectedIndex = index;
  renderChosen();
}

function renderChosen() {
  const c = manual.chosen;
  $("manual-chosen").textContent = c ? fill(lang.words.chosen, c) : "";
}

async function searchRoster() {
  const seq = ++manual.searchSeq;
  const query = $("manual-search").value;
  let found = [];
  try {
    found = query.trim() ? await invoke("roster_search", { query }) : [];
  } catch (failure) {
    $("manual-error").textContent = failureText(failure);
  }
  if (seq !== manual.searchSeq) return; // a newer search is on its way
  const list = $("manual-results");
  if (query.trim() && found.length === 0) {
    const li = document.createElement("li");
    li.className = "none";
    li.textContent = lang.words.no_match;
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...found.map((f) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.code = f.code;
      b.textContent = `${f.name} · ${f.code} · ${f.department}` + (f.active ? "" : ` (${lang.words.inactive_worker})`);
      b.addEventListener("click", () => {
        manual.chosen = f;
        for (const other of list.querySelectorAll("button")) other.classList.toggle("chosen", other === b);
        renderChosen();
        $("manual-error").textContent = "";
      });
      li.append(b);
      return li;
    }),
  );
}

async function confirmManual(e) {
  e.preventDefault();
  const w = lang.words;
  const reason = $("manual-reason").value.trim() || $("manual-reason-preset").value;
  const pin = $("manual-pin").value;
  const problem = !manual.chosen ? w.choose_worker : !reason ? w.invalid_fields.reason : !pin ? w.need_pin : null;
  if (problem) {
    $("manual-error").textContent = problem;
    return;
  }
  const direction = $("manual-out").checked ? "out" : "in";
  try {
    await invoke("manual_entry", { request: { code: manual.chosen.code, direction, reason, pin } });
    $("manual-dialog").close();
  } catch (failure) {
    $("manual-pin").value = "";
    $("manual-error").textContent = failureText(failure);
  }
}

function wireManual() {
  $("manual-search").addEventListener("input", searchRoster);
  $("manual-cancel").addEventListener("click", () => $("manual-dialog").close());
  $("manual-form").addEventListener("submit", confirmManual);
}

// ---- visitor registration -------------------------------------------------------------------

const visitor = { form: null, card: null };

export function openVisitor({ form, card }) {
  const dialog = $("visitor-dialog");
  // The same card seen again while its form is open (held up twice): keep what the guard typed.
  if (dialog.open && visitor.card && visitor.card.masked_number === card.masked_number && visitor.card.name === card.name) {
    visitor.form = form;
    return;
  }
  visitor.form = form;
  visitor.card = card;
  $("visitor-name").textContent = card.name;
  $("visitor-number").textContent = card.masked_number;
  $("visitor-birth").textContent = plainDate(card.birth_date);
  $("visitor-address").textContent = card.address;
  $("visitor-host").value = card.host ?? "";
  $("visitor-purpose").value = card.purpose ?? "";
  $("visitor-phone").value = card.phone ?? "";
  $("visitor-notice").textContent = card.notice ?? "";
  // Never ticked in advance: the guard ticks it after telling the notice (silence is not consent).
  $("visitor-consent").checked = false;
  $("visitor-error").textContent = "";
  renderHealth();
  if (!dialog.open) dialog.showModal();
  $("visitor-host").focus();
}

export function renderHealth() {
  const box = $("visitor-health");
  const questions = visitor.card?.health_questions ?? [];
  const w = lang.words;
  box.replaceChildren(
    ...questions.map((q, i) => {
      const field = document.createElement("fieldset");
      const legend = document.createElement("legend");
      legend.textContent = q;
      field.append(legend);
      for (const [value, word] of [["yes", w.yes], ["no", w.no]]) {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = `health-${i}`;
        input.value = value;
        input.id = `health-${i}-${value}`;
        label.append(input, ` ${word}`);
        field.append(label);
      }
      return field;
    }),
  );
}

async function confirmVisitor(e) {
  e.preventDefault();
  const w = lang.words;
  const host = $("visitor-host").value.trim();
  const purpose = $("visitor-purpose").value.trim();
  const phone = $("visitor-phone").value.trim();
  const questions = visitor.card?.health_questions ?? [];
  const health = questions.map((question, i) => {
    const picked = document.querySelector(`input[name="health-${i}"]:checked`);
    return picked ? { question, yes: picked.value === "yes" } : null;
  });
  const consent = $("visitor-consent").checked;
  const problem = !host || !purpose
    ? w.invalid_fields.host_and_purpose
    : health.includes(null) ? w.invalid_fields.health_answers
    : !consent ? w.invalid_fields.consent : null;
  if (problem) {
    $("visitor-error").textContent = problem;
    return;
  }
  try {
    await invoke("visitor_confirm", { form: visitor.form, filled: { host, purpose, phone, health, consent } });
    visitor.form = null;
    $("visitor-dialog").close();
  } catch (failure) {
    // A bad phone is named by its field (`detail.field`), a closed form by its code (`form_closed`).
    $("visitor-error").textContent = failureText(failure);
  }
}

function wireVisitor() {
  $("visitor-form").addEventListener("submit", confirmVisitor);
  $("visitor-cancel").addEventListener("click", () => $("visitor-dialog").close());
  // However the form closes without confirming (Cancel, Escape), the kiosk forgets the card.
  $("visitor-dialog").addEventListener("close", () => {
    if (visitor.form) invoke("visitor_cancel", { form: visitor.form });
    visitor.form = null;
  });
}

export function wireDialogs() {
  wirePin();
  wireManual();
  wireVisitor();
}
