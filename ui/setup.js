// The setup page of a gate PC's first start: the enterprise, the gate, the enterprise's keys
// (pasted, or found on a USB stick) and the first admin PIN. The kiosk checks everything and sets
// its data directory up exactly as `qrgate init` would; then the window reloads as the guard screen.
import { $, invoke, lang, languages, fill, renderFixedWords, failureText } from "./common.js";

const FIELDS = {
  tax_code: "setup-enterprise",
  enterprise_name: "setup-name",
  kiosk_id: "setup-kiosk",
  gate_name: "setup-gate",
  gate_mode: "setup-mode",
  badge_public_key: "setup-pubkey",
  visitor_key: "setup-visitor-key",
  operator_name: "setup-admin",
  PIN: "setup-pin",
  PIN_again: "setup-pin-again",
};

function renderWords() {
  document.documentElement.lang = lang.words.lang;
  renderFixedWords();
  $("setup-lang").textContent = lang.words.other_language;
  if (!$("setup-admin").value) $("setup-admin").placeholder = lang.words.setup_admin_default;
}

function showError(failure) {
  const box = $("setup-error");
  box.textContent = failureText(failure);
  box.hidden = false;
  for (const id of Object.values(FIELDS)) $(id).removeAttribute("aria-invalid");
  const field = FIELDS[failure?.detail?.field];
  if (field) {
    $(field).setAttribute("aria-invalid", "true");
    $(field).focus();
  }
}

async function fromUsb() {
  const found = await invoke("setup_keys");
  const note = $("setup-usb-found");
  if (found.length === 0) {
    note.textContent = lang.words.setup_usb_none;
    return;
  }
  // The first stick's keys; more than one folder is said, so the installer can check which.
  const keys = found[0];
  $("setup-pubkey").value = keys.badge_public_key;
  $("setup-visitor-key").value = keys.visitor_key ?? "";
  note.textContent = fill(found.length > 1 ? lang.words.setup_usb_many : lang.words.setup_usb_found, { folder: keys.folder, count: found.length });
}

export function showSetup() {
  document.body.replaceChildren($("setup-page").content.cloneNode(true));
  document.body.dataset.screen = "setup";
  $("setup-lang").addEventListener("click", () => {
    lang.words = lang.words === languages.vi ? languages.en : languages.vi;
    renderWords();
  });
  $("setup-usb").addEventListener("click", () => fromUsb().catch(showError));
  $("setup").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = (id) => $(id).value;
    const form = {
      enterprise: value("setup-enterprise"),
      enterprise_name: value("setup-name"),
      kiosk_id: value("setup-kiosk"),
      gate: value("setup-gate"),
      mode: value("setup-mode"),
      badge_public_key: value("setup-pubkey"),
      visitor_key: value("setup-visitor-key"),
      admin_name: value("setup-admin") || lang.words.setup_admin_default,
      pin: value("setup-pin"),
      pin_again: value("setup-pin-again"),
    };
    $("setup-submit").disabled = true;
    try {
      await invoke("setup_complete", { form });
      location.reload();
    } catch (failure) {
      showError(failure);
      $("setup-submit").disabled = false;
    }
  });
  renderWords();
  $("setup-enterprise").focus();
  document.body.dataset.ready = "setup";
}
