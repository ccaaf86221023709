// The guard screen: shows each decision the kiosk pushes (camera or USB scanner), the recent scans,
// who is inside and the camera's state. It decides nothing; every word comes from i18n/.
import vi from "./i18n/vi.js";
import en from "./i18n/en.js";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const RECENT = 12;
const $ = (id) => document.getElementById(id);

const screen = {
  words: vi,
  last: null,
  recent: [],
  camera: { state: "starting" },
  // The gate's time zone once the kiosk says it; the machine's own until then.
  timezone: undefined,
  storageAlert: null,
};

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

// The decision's own clock time (the kiosk's offset), not the browser's time zone.
function clockTime(rfc3339) {
  return rfc3339.slice(11, 19);
}

function kindOf(d) {
  if (d.verdict === "refused") return "refused";
  return d.direction === "out" ? "out" : "in";
}

function personName(d) {
  return d.person ? d.person.name : screen.words.unknown_person;
}

function renderDecision() {
  const w = screen.words;
  const box = $("last-decision");
  const shown = screen.last;
  if (!shown) {
    box.dataset.verdict = "none";
    box.dataset.direction = "";
    $("decision-word").textContent = w.waiting;
    $("decision-name").textContent = "";
    $("decision-detail").textContent = w.waiting_hint;
    $("decision-reason").textContent = "";
    $("decision-time").textContent = "";
    return;
  }
  const d = shown.decision;
  box.dataset.verdict = d.verdict;
  box.dataset.direction = d.direction ?? "";
  box.dataset.reason = d.reason ?? "";
  box.dataset.debounced = String(d.debounced);
  $("decision-word").textContent = w[kindOf(d)];
  $("decision-name").textContent = personName(d);
  const p = d.person;
  const who = p ? (p.kind === "visitor" ? [w.visitor, p.code] : [p.department, p.code]) : [];
  $("decision-detail").textContent = who.filter(Boolean).join(" · ");
  const why = d.reason ?? d.warning;
  const reason = why ? (d.warning && !d.reason ? `${w.warning}: ` : "") + (w.reasons[why] ?? why) : "";
  $("decision-reason").textContent = reason;
  $("decision-time").textContent = (d.debounced ? `${w.again} ` : "") + clockTime(d.time);
}

function renderRecent() {
  const w = screen.words;
  const list = $("recent");
  list.replaceChildren(
    ...screen.recent.map((d) => {
      const li = document.createElement("li");
      li.dataset.kind = kindOf(d);
      li.dataset.reason = d.reason ?? "";
      const time = document.createElement("time");
      time.textContent = clockTime(d.time);
      const word = document.createElement("span");
      word.className = "word";
      word.textContent = w[kindOf(d)];
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = personName(d) + (d.reason ? ` — ${w.reasons[d.reason] ?? d.reason}` : "");
      li.append(time, word, who);
      return li;
    }),
  );
}

function renderCamera() {
  const w = screen.words;
  const c = screen.camera;
  const el = $("camera-state");
  el.dataset.state = c.state;
  const label = {
    starting: w.camera_starting,
    live: w.camera_live,
    lost: w.camera_lost,
    reopening: fill(w.camera_reopening, c),
  }[c.state] ?? c.state;
  el.textContent = `${w.camera}: ${label}`;
  renderAlert();
}

// A lost camera or a failed write is an alert the guard cannot miss, never silence.
function renderAlert() {
  const w = screen.words;
  const alerts = [];
  if (screen.camera.state === "lost" || screen.camera.state === "reopening") {
    alerts.push(`${w.camera_lost}${screen.camera.reason ? ` — ${screen.camera.reason}` : ""}`);
  }
  if (screen.storageAlert) alerts.push(`${w.alert_storage} (${screen.storageAlert.code})`);
  const el = $("alert");
  el.hidden = alerts.length === 0;
  el.textContent = alerts.join(" · ");
}

function renderWords() {
  const w = screen.words;
  document.documentElement.lang = w.lang;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = w[el.dataset.text];
  $("lang-toggle").textContent = w.other_language;
  $("demo-tag").textContent = w.demo;
  renderDecision();
  renderRecent();
  renderCamera();
}

function setInside(inside) {
  $("inside-workers").textContent = inside.workers;
  $("inside-visitors").textContent = inside.visitors;
}

// Short tones made on the spot: a rising one for in, a falling one for out, a low buzz for refused.
let audio = null;
function beep(kind) {
  try {
    audio ??= new AudioContext();
    const tones = { in: [880, 1320], out: [1320, 880], refused: [220, 220] }[kind];
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = kind === "refused" ? "square" : "sine";
    const t = audio.currentTime;
    osc.frequency.setValueAtTime(tones[0], t);
    osc.frequency.setValueAtTime(tones[1], t + 0.12);
    gain.gain.setValueAtTime(0.3, t);
    gain.gain.linearRampToValueAtTime(0, t + (kind === "refused" ? 0.5 : 0.25));
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.5);
  } catch {
    // No audio device: the screen still shows everything.
  }
}

function show(shown) {
  screen.last = shown;
  screen.storageAlert = null;
  const d = shown.decision;
  if (!d.debounced) {
    screen.recent.unshift(d);
    screen.recent.length = Math.min(screen.recent.length, RECENT);
  }
  renderDecision();
  renderRecent();
  renderAlert();
  setInside(shown.inside);
  beep(kindOf(d));
  // Stamped just before the paint, so a test or a measurement can read frame-to-screen latency.
  const box = $("last-decision");
  box.dataset.eventId = d.event_id;
  requestAnimationFrame(() => {
    box.dataset.shownMs = String(Date.now());
    box.dataset.frameMs = shown.frame_ms == null ? "" : String(shown.frame_ms);
    box.dataset.stamped = d.event_id;
  });
}

function keepWedgeFocus() {
  const wedge = $("wedge");
  const active = document.activeElement;
  if (!active || active === document.body) wedge.focus();
}

function wireWedge() {
  const wedge = $("wedge");
  wedge.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const text = wedge.value.trim();
    wedge.value = "";
    if (text) invoke("scan_typed", { text });
  });
  document.addEventListener("click", () => setTimeout(keepWedgeFocus));
  wedge.addEventListener("blur", () => setTimeout(keepWedgeFocus));
  keepWedgeFocus();
}

function tick() {
  const now = new Date();
  $("clock").textContent = now.toLocaleTimeString(screen.words.lang === "vi" ? "vi-VN" : "en-GB", {
    hour12: false,
    timeZone: screen.timezone,
  });
}

async function start() {
  $("lang-toggle").addEventListener("click", () => {
    screen.words = screen.words === vi ? en : vi;
    renderWords();
    tick();
  });
  renderWords();
  tick();
  setInterval(tick, 1000);
  // Type sizes follow the viewport; WebKit keeps the recent rows' old column widths when the
  // window grows (the kiosk going full screen), so the rows are drawn afresh.
  window.addEventListener("resize", renderRecent);
  wireWedge();
  await listen("decision", (e) => show(e.payload));
  await listen("camera", (e) => {
    screen.camera = e.payload;
    renderCamera();
  });
  await listen("alert", (e) => {
    screen.storageAlert = e.payload;
    renderAlert();
  });
  // Only now that the listeners are in place may the kiosk start sending decisions.
  const ready = await invoke("screen_ready");
  $("enterprise").textContent = ready.heading.enterprise;
  $("gate-name").textContent = ready.heading.gate;
  screen.timezone = ready.heading.timezone;
  tick();
  $("demo-tag").hidden = !ready.heading.demo;
  setInside(ready.inside);
  document.body.dataset.ready = "true";
}

start().catch((e) => {
  screen.storageAlert = { code: String(e?.code ?? e) };
  renderAlert();
});
