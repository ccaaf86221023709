// What every part of the kiosk window shares: the language in use, element lookup, filling a
// sentence's {placeholders}, and turning a kiosk error into words for the person at the screen.
import vi from "./i18n/vi.js";
import en from "./i18n/en.js";

export const { invoke } = window.__TAURI__.core;
export const { listen } = window.__TAURI__.event;

export const $ = (id) => document.getElementById(id);

export const languages = { vi, en };
export const lang = { words: vi };

export function fill(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

// A failure from the kiosk ({code, message, detail}) in the screen's language; the message as
// the kiosk wrote it when there are no words for its code.
export function failureText(failure) {
  const w = lang.words;
  const code = failure?.code ?? "";
  if (code === "wrong_pin" || code === "pin_locked") return fill(w[code], failure.detail ?? {});
  if (code === "no_admin_pin") return w.no_admin_pin;
  return w.errors[code] ?? `${w.error}: ${failure?.message ?? failure}`;
}

// Puts every fixed word of the page in the current language.
export function renderFixedWords(root = document) {
  for (const el of root.querySelectorAll("[data-text]")) el.textContent = lang.words[el.dataset.text];
}
