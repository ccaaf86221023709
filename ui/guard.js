// The guard screen: shows each decision the kiosk pushes (camera, USB scanner, manual entry,
// visitor form), the recent scans, who is inside, the camera preview and the state of the camera,
// the disk and the link to the province. It decides nothing; every word comes from i18n/.
import { $, invoke, listen, lang, languages, gate, fill, renderFixedWords, clockTime, gateDate, gateDay, failureText } from "./common.js";
import { wireDialogs, askPin, openManual, openVisitor, renderManualWords, renderHealth } from "./dialogs.js";
import { wireHr, openHr, renderEvacuation } from "./hr.js";

const RECENT = 12;
// The preview asks for a frame this often (20 a second, so a busy machine still shows 15; the
// camera gives 30).
const PREVIEW_MS = 50;

const screen = {
  get words() {
    return lang.words;
  },
  // Per lane (one, or two side by side): the last decision shown and the camera's state.
  last: [null],
  recent: [],
  cameras: [{ state: "starting" }],
  // A two-lane gate's lanes ({number, direction}); empty for one camera.
  lanes: [],
  storageAlert: null,
  status: null,
  adminPin: true,
  measure: false,
};

// How long the alert bar says the kiosk started again after a stop it did not make.
const RESTART_SHOWN_MS = 3600_000;

function kindOf(d) {
  if (d.verdict === "refused") return "refused";
  return d.direction === "out" ? "out" : "in";
}

function personName(d) {
  return d.person ? d.person.name : screen.words.unknown_person;
}

// The ids of lane `i`'s elements end in this: the first (or only) lane's are the page's own.
const suffix = (i) => (i === 0 ? "" : `-${i + 1}`);

function renderDecision() {
  screen.last.forEach((shown, i) => renderDecisionIn(i, shown));
}

function renderDecisionIn(i, shown) {
  const w = screen.words;
  const part = (name) => $(`${name}${suffix(i)}`);
  const box = part("last-decision");
  const lane = screen.lanes[i];
  part("lane-label").hidden = !lane;
  if (lane) part("lane-label").textContent = fill(w.lane_label, { number: lane.number, direction: w[`lane_${lane.direction}`] });
  if (!shown) {
    box.dataset.verdict = "none";
    box.dataset.direction = "";
    part("decision-word").textContent = w.waiting;
    part("decision-name").textContent = "";
    part("decision-detail").textContent = w.waiting_hint;
    part("decision-reason").textContent = "";
    part("decision-time").textContent = "";
    part("decision-clock").textContent = "";
    box.dataset.clockFlag = "";
    box.dataset.photo = "";
    return;
  }
  const d = shown.decision;
  box.dataset.verdict = d.verdict;
  box.dataset.direction = d.direction ?? "";
  box.dataset.reason = d.reason ?? "";
  box.dataset.debounced = String(d.debounced);
  part("decision-word").textContent = w[kindOf(d)];
  part("decision-name").textContent = personName(d);
  const p = d.person;
  const who = p ? (p.kind === "visitor" ? [w.visitor, p.code] : [p.department, p.code]) : [];
  part("decision-detail").textContent = who.filter(Boolean).join(" · ");
  const why = d.reason ?? d.warning;
  const reason = why ? (d.warning && !d.reason ? `${w.warning}: ` : "") + (w.reasons[why] ?? why) : "";
  part("decision-reason").textContent = reason;
  part("decision-time").textContent = (d.debounced ? `${w.again} ` : "") + clockTime(d.time);
  // The event's time is far from what the kiosk last knew to be true: the guard checks the clock.
  box.dataset.clockFlag = d.clock_flag ?? "";
  part("decision-clock").textContent = d.clock_flag ? w[`clock_flag_${d.clock_flag}`] : "";
  renderPhoto(d, i);
}

// The worker's photo beside the name on an accepted scan, large enough to compare with the face
// at the gate; a neutral placeholder until it arrives, and when HR has none.
function renderPhoto(d, i) {
  const box = $(`last-decision${suffix(i)}`);
  const img = $(`decision-photo${suffix(i)}`);
  const worker = d.verdict === "accepted" && d.person?.kind === "worker";
  if (!worker) {
    box.dataset.photo = "";
    img.removeAttribute("src");
    return;
  }
  const src = `kiosk://localhost/photo/${encodeURIComponent(d.person.code)}?e=${d.event_id}`;
  if (img.getAttribute("src") === src) return;
  box.dataset.photo = "none";
  img.onload = () => {
    if (img.getAttribute("src") === src) box.dataset.photo = "shown";
  };
  img.onerror = () => {
    if (img.getAttribute("src") === src) box.dataset.photo = "none";
  };
  img.src = src;
}

function renderRecent() {
  const w = screen.words;
  const list = $("recent");
  list.replaceChildren(
    ...screen.recent.map((d) => {
      const li = document.createElement("li");
      li.dataset.kind = kindOf(d);
      li.dataset.reason = d.reason ?? "";
      li.dataset.passed = d.notPassed ? "no" : "";
      const time = document.createElement("time");
      time.textContent = clockTime(d.time);
      const word = document.createElement("span");
      word.className = "word";
      word.textContent = w[kindOf(d)];
      const who = document.createElement("span");
      who.className = "who";
      who.textContent =
        personName(d) +
        (d.reason ? ` — ${w.reasons[d.reason] ?? d.reason}` : "") +
        (d.notPassed ? ` — ${w.not_passed}` : "");
      li.append(time, word, who);
      return li;
    }),
  );
}

function renderCamera() {
  const w = screen.words;
  screen.cameras.forEach((c, i) => {
    const el = $(`camera-state${suffix(i)}`);
    el.dataset.state = c.state;
    const label = {
      starting: w.camera_starting,
      live: w.camera_live,
      lost: w.camera_lost,
      reopening: fill(w.camera_reopening, c),
    }[c.state] ?? c.state;
    const name = screen.lanes.length > 1 ? `${w.camera} ${i + 1}` : w.camera;
    el.textContent = `${name}: ${label}`;
    // The system's own description, for whoever repairs the camera; the guard reads the words above.
    el.title = c.detail ?? "";
  });
  renderAlert();
}

// A lost camera or a failed write is an alert the guard cannot miss, never silence.
function renderAlert() {
  const w = screen.words;
  const alerts = [];
  if (screen.cameras.some((c) => c.state === "lost" || c.state === "reopening")) alerts.push(w.camera_lost);
  if (screen.storageAlert) alerts.push(`${w.alert_storage}: ${failureText(screen.storageAlert)}`);
  if (screen.pipeline) alerts.push(fill(w.pipeline_restarted, screen.pipeline));
  if (screen.turnstile && !screen.turnstile.reachable) alerts.push(w.turnstile_down);
  if (screen.status?.low_disk) alerts.push(fill(w.disk_low, { mb: screen.status.disk_free_mb }));
  if (!screen.adminPin) alerts.push(w.no_admin_pin_banner);
  // For the hour after a start that followed a crash, a kill or the watchdog (sync --status keeps it).
  const restarted = screen.restarted;
  if (restarted && Date.now() - Date.parse(restarted.at) < RESTART_SHOWN_MS) {
    alerts.push(fill(w.restarted, { time: `${clockTime(restarted.at)} ${gateDate(restarted.at)}` }));
  }
  const el = $("alert");
  el.hidden = alerts.length === 0;
  el.textContent = alerts.join(" · ");
}

// The disk and the link to the province, from the kiosk's status (polled every few seconds).
function renderStatus() {
  const w = screen.words;
  const s = screen.status;
  const disk = $("disk-state");
  if (!s) {
    disk.textContent = `${w.disk}: …`;
    $("sync-state").textContent = `${w.sync}: …`;
    return;
  }
  disk.dataset.state = s.low_disk ? "low" : "ok";
  disk.textContent = `${w.disk}: ${s.disk_free_mb == null ? "?" : fill(w.disk_free, { mb: s.disk_free_mb })}`;
  const el = $("sync-state");
  const sync = s.sync;
  let text;
  if (!s.sync_configured) {
    el.dataset.state = "off";
    text = w.sync_off;
  } else if (sync?.online) {
    el.dataset.state = "online";
    text = fill(w.sync_online, { time: sync.last_success ? syncTime(sync.last_success) : w.sync_never, waiting: sync.waiting });
  } else {
    el.dataset.state = "offline";
    text = fill(w.sync_offline, { waiting: sync?.waiting ?? "?" });
  }
  if (sync?.rejected) text += ` · ${fill(w.sync_rejected, { count: sync.rejected })}`;
  // The kiosk signs on the server's time, but its own clock stamps events: the guard should know.
  const offset = sync?.clock_offset_ms;
  if (offset != null && Math.abs(offset) > 120000) {
    const minutes = Math.round(Math.abs(offset) / 60000);
    text += ` · ${fill(offset > 0 ? w.sync_clock_behind : w.sync_clock_ahead, { minutes })}`;
  }
  if (sync?.roster_error) text += ` · ${w.sync_roster_refused}`;
  el.textContent = `${w.sync}: ${text}`;
  const error = sync?.last_error;
  el.title = error ? `${failureText(error)} (${syncTime(error.at)}) — ${error.detail}` : "";
}

// When the link last worked, on the gate's clock; the day too when it was not today.
function syncTime(instant) {
  return gateDay(instant) === gateDay() ? clockTime(instant) : `${gateDate(instant)} ${clockTime(instant)}`;
}

async function pollStatus() {
  try {
    screen.status = await invoke("status");
  } catch {
    screen.status = null;
  }
  renderStatus();
  renderAlert();
}

function renderWords() {
  const w = screen.words;
  document.documentElement.lang = w.lang;
  renderFixedWords();
  $("lang-toggle").textContent = w.other_language;
  $("demo-tag").textContent = w.demo;
  if (screen.demoPins) $("demo-pins").textContent = fill(w.demo_pins, screen.demoPins);
  renderDecision();
  renderRecent();
  renderCamera();
  renderStatus();
  renderManualWords();
  renderHealth();
  renderEvacuation();
}

function setInside(inside) {
  $("inside-workers").textContent = inside.workers;
  $("inside-visitors").textContent = inside.visitors;
}

// A distinct sound for in, out and refused (assets/sounds, served by the kiosk).
const sounds = {};
function beep(kind) {
  try {
    sounds[kind] ??= new Audio(`kiosk://localhost/sound/${kind}.wav`);
    sounds[kind].currentTime = 0;
    sounds[kind].play().catch(() => {});
  } catch {
    // No audio device: the screen still shows everything.
  }
}

// Which lane's box shows a decision: its camera's, or for a typed scan or a manual entry the
// lane going its way (the first when none does).
function laneIndex(shown) {
  if (screen.lanes.length < 2) return 0;
  const byCamera = screen.lanes.findIndex((l) => l.number === shown.lane);
  if (byCamera >= 0) return byCamera;
  return Math.max(0, screen.lanes.findIndex((l) => l.direction === shown.decision.direction));
}

function show(shown) {
  const lane = laneIndex(shown);
  screen.last[lane] = shown;
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
  const box = $(`last-decision${suffix(lane)}`);
  box.dataset.eventId = d.event_id;
  requestAnimationFrame(() => {
    const shownMs = Date.now();
    box.dataset.shownMs = String(shownMs);
    box.dataset.frameMs = shown.frame_ms == null ? "" : String(shown.frame_ms);
    box.dataset.stamped = d.event_id;
    if (screen.measure && shown.frame_ms != null) invoke("shown", { frameMs: shown.frame_ms, shownMs });
  });
}

// The USB scanner's keystrokes go to the hidden field unless a person is typing in a dialog or
// on the HR pages.
function keepWedgeFocus() {
  const wedge = $("wedge");
  const active = document.activeElement;
  const busy = document.querySelector("dialog[open]") || !$("hr-page").hidden;
  if (!busy && (!active || active === document.body || active.tagName === "BUTTON")) wedge.focus();
}

// The camera preview: a new frame asked for every PREVIEW_MS, counted from when the last one was
// asked for (never two at once), and none while the HR pages cover the screen.
function runPreview(i) {
  const img = $(`preview${suffix(i)}`);
  let n = 0;
  let asked = 0;
  const next = () => setTimeout(() => {
    if (!$("hr-page").hidden) return next();
    // Only as many pixels as the box shows: the kiosk shrinks the frame before sending it.
    const width = Math.round(img.parentElement.clientWidth * (window.devicePixelRatio || 1));
    asked = performance.now();
    img.src = `kiosk://localhost/preview${suffix(i)}.bmp?w=${width}&n=${++n}`;
  }, Math.max(0, PREVIEW_MS - (performance.now() - asked)));
  img.addEventListener("load", () => {
    img.dataset.frames = String(n);
    img.classList.remove("empty");
    next();
  });
  // No frame yet (the camera opening): an empty box, never a broken-image sign.
  img.addEventListener("error", () => {
    img.classList.add("empty");
    next();
  });
  next();
}

// A two-lane gate: a second decision box beside the first, a second preview and camera state,
// each a copy of the first lane's whose ids end in -2.
function twoLanes(lanes) {
  screen.lanes = lanes;
  screen.last = lanes.map(() => null);
  screen.cameras = lanes.map(() => ({ state: "starting" }));
  const copy = (id) => {
    const original = $(id);
    const twin = original.cloneNode(true);
    for (const el of [twin, ...twin.querySelectorAll("[id]")]) if (el.id) el.id = `${el.id}-2`;
    original.after(twin);
    return twin;
  };
  copy("last-decision");
  const preview = $("preview").parentElement;
  const twin = preview.cloneNode(true);
  twin.querySelector("img").id = "preview-2";
  preview.after(twin);
  copy("camera-state");
  document.querySelector("main").classList.add("two-lanes");
}

function wireActions() {
  $("manual-open").addEventListener("click", openManual);
  $("hr-open").addEventListener("click", () =>
    askPin(screen.words.pin_hr, async (pin) => openHr(await invoke("hr_open", { pin }))),
  );
  const leave = () => askPin(screen.words.pin_leave, (pin) => invoke("leave", { pin }));
  $("leave-open").addEventListener("click", leave);
  return leave;
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
  $("clock").textContent = clockTime(new Date());
}

async function start() {
  // A gate PC's first start: its data directory is set up on a page of its own first.
  if (await invoke("setup_needed")) {
    const { showSetup } = await import("./setup.js");
    return showSetup();
  }
  $("lang-toggle").addEventListener("click", () => {
    lang.words = lang.words === languages.vi ? languages.en : languages.vi;
    renderWords();
    tick();
  });
  wireDialogs();
  wireHr();
  const leave = wireActions();
  renderWords();
  tick();
  setInterval(tick, 1000);
  // Type sizes follow the viewport; WebKit keeps the recent rows' old column widths when the
  // window grows (the kiosk going full screen), so the rows are drawn afresh.
  window.addEventListener("resize", renderRecent);
  wireWedge();
  await listen("decision", (e) => show(e.payload));
  await listen("camera", (e) => {
    const i = Math.max(0, screen.lanes.findIndex((l) => l.number === e.payload.lane));
    screen.cameras[i] = e.payload;
    renderCamera();
  });
  // The frame loop panicked and was started again: red for a minute after the last restart, so a
  // guard looking away still sees that scans may have been missed.
  await listen("pipeline", (e) => {
    screen.pipeline = { restarts: e.payload.restarts, time: clockTime(new Date()) };
    clearTimeout(screen.pipelineTimer);
    screen.pipelineTimer = setTimeout(() => {
      screen.pipeline = null;
      renderAlert();
    }, 60_000);
    renderAlert();
  });
  // The turnstile's relay board or controller: red while it cannot be reached.
  await listen("turnstile", (e) => {
    screen.turnstile = e.payload;
    renderAlert();
  });
  // The passage sensor saw nobody go through an opening: its row in the recent list says so.
  await listen("not_passed", (e) => {
    setInside(e.payload.inside);
    const opened = screen.recent.find((d) => d.event_id === e.payload.follows);
    if (opened) {
      opened.notPassed = true;
      renderRecent();
    }
  });
  await listen("alert", (e) => {
    screen.storageAlert = e.payload;
    renderAlert();
  });
  await listen("visitor_form", (e) => openVisitor(e.payload));
  await listen("leave_requested", leave);
  await listen("sync", (e) => {
    if (screen.status) screen.status.sync = e.payload;
    renderStatus();
  });
  // Only now that the listeners are in place may the kiosk start sending decisions.
  const ready = await invoke("screen_ready");
  lang.words = languages[ready.heading.language] ?? languages.vi;
  gate.timezone = ready.heading.timezone;
  screen.demoPins = ready.heading.demo_pins;
  screen.adminPin = ready.admin_pin;
  screen.measure = ready.heading.measure;
  $("demo-pins").hidden = !screen.demoPins;
  $("leave-open").hidden = !ready.heading.kiosk_mode;
  // A start after a stop the kiosk did not make: the guard and IT see when, for this whole run.
  screen.restarted = ready.heading.restarted;
  if (ready.heading.lanes.length > 1) twoLanes(ready.heading.lanes);
  renderWords();
  $("enterprise").textContent = ready.heading.enterprise;
  $("gate-name").textContent = ready.heading.gate;
  $("version").textContent = `${ready.heading.kiosk_id} · v${ready.heading.version}`;
  tick();
  $("demo-tag").hidden = !ready.heading.demo;
  setInside(ready.inside);
  screen.last.forEach((_, i) => runPreview(i));
  pollStatus();
  setInterval(pollStatus, 3000);
  document.body.dataset.ready = "true";
}

start().catch((e) => {
  screen.storageAlert = e?.code ? e : { code: String(e) };
  renderAlert();
});
