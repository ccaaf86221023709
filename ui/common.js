// What every part of the kiosk window shares: the language in use, element lookup, filling a
// sentence's {placeholders}, times and dates on the gate's clock, and turning a kiosk failure
// into words for the person at the screen. The kiosk sends only codes, field names, numbers and
// instants; every word comes from i18n/.
import vi from "./i18n/vi.js";
import en from "./i18n/en.js";

export const { invoke } = window.__TAURI__.core;
export const { listen } = window.__TAURI__.event;

export const $ = (id) => document.getElementById(id);

export const languages = { vi, en };
export const lang = { words: vi };

// The gate's time zone (IANA name) once the kiosk says it; the machine's own until then.
export const gate = { timezone: undefined };

export function fill(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

// A failure from the kiosk ({code, message, detail}) in the screen's language. `message` is the
// kiosk's English for its log and is never shown: a code without words shows as the code.
export function failureText(failure) {
  const w = lang.words;
  const code = failure?.code;
  const detail = failure?.detail ?? {};
  if (code === "invalid_input" && w.invalid_fields[detail.field]) return w.invalid_fields[detail.field];
  if (code === "roster_unreadable" && detail.problem) {
    const p = detail.problem;
    const why = fill(w.roster_file_problems[p.code] ?? p.code, { ...p, columns: (p.columns ?? []).join(", "), found: (p.found ?? []).join(", ") });
    return `${w.errors.roster_unreadable}: ${why}`;
  }
  if (code === "photos_bad_files" && detail.files) return `${w.errors.photos_bad_files}: ${detail.files.join(", ")}`;
  if (code && w.errors[code]) return fill(w.errors[code], detail);
  return `${w.error}: ${code ?? failure}`;
}

// One bad roster row's problem ({code, ...its values}) in the screen's language.
export function rowProblemText(problem) {
  const words = lang.words.roster_problems[problem.code] ?? problem.code;
  const character = problem.character === " " ? lang.words.space_character : `“${problem.character}”`;
  return fill(words, { ...problem, character, known: (problem.known ?? []).join(", ") });
}

const formats = new Map();
function format(options) {
  const key = `${lang.words.locale}|${gate.timezone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(lang.words.locale, { timeZone: gate.timezone, ...options }));
  return formats.get(key);
}

// An instant (a Date or an RFC 3339 text) as the gate's clock shows it: 07:59:30.
export function clockTime(instant) {
  return format({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(new Date(instant));
}

// An instant's calendar day on the gate's clock, as the language writes it (01/12/2026).
export function gateDate(instant) {
  return format({ day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date(instant));
}

// A calendar day with no time of its own ("2026-12-01", a date of birth), as the language writes it.
export function plainDate(isoDay) {
  const [y, m, d] = isoDay.split("-").map(Number);
  const f = new Intl.DateTimeFormat(lang.words.locale, { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" });
  return f.format(new Date(Date.UTC(y, m - 1, d)));
}

// An instant's day on the gate's clock as "YYYY-MM-DD" (what a date field holds).
export function gateDay(instant = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: gate.timezone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date(instant));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

// Puts every fixed word of the page in the current language.
export function renderFixedWords(root = document) {
  for (const el of root.querySelectorAll("[data-text]")) el.textContent = lang.words[el.dataset.text];
}
