// The installed kiosk, reached over WebDriver while it runs as its systemd unit runs it (cage as
// the qrgate user, tauri-driver standing in as cage's application so WebKitWebDriver launches
// /usr/bin/qrgate-kiosk with no arguments, as the unit's ExecStart does).
//
//   node tests/package/kiosk.mjs setup|guard PORT VERSION SCREENSHOT
//
// setup: the empty data directory's setup page is shown; it is filled in as an installer would and
// must turn into the guard screen. guard: the guard screen comes up on its own. Either way the
// screen must be ready and its footer name VERSION. Prints "measure:" lines for the run script.

import { writeFileSync } from "node:fs";
import { WebDriver, until } from "../kiosk/webdriver.mjs";

const [mode, port, version, screenshot] = process.argv.slice(2);
if (!["setup", "guard"].includes(mode) || !port || !version || !screenshot) {
  console.error("usage: kiosk.mjs setup|guard PORT VERSION SCREENSHOT");
  process.exit(2);
}

// What decides the test, read in one round trip: which page is up, and the guard screen's state.
const READ_SCREEN = `
  const ready = document.body.dataset.ready === "true";
  const setup = document.getElementById("setup");
  return {
    setup: !!setup && !setup.hidden,
    guard: !!document.getElementById("last-decision") && !setup,
    ready,
    version: document.getElementById("version")?.textContent ?? null,
    error: document.getElementById("setup-error")?.textContent ?? null,
  };`;

const base = `http://127.0.0.1:${port}`;
await until("tauri-driver in cage to listen", 60_000, async () => ({
  ok: await fetch(`${base}/status`).then(() => true, () => false),
}));

const wd = new WebDriver(base);
const started = Date.now();
await wd.start("/usr/bin/qrgate-kiosk", []);
try {
  if (mode === "setup") {
    const shown = await until("the setup page", 60_000, async () => {
      const s = await wd.run(READ_SCREEN);
      return { ...s, ok: s.setup };
    });
    console.log(`measure: kiosk start to setup page: ${Date.now() - started} ms`);
    if (shown.guard) throw new Error("the setup page and the guard screen are both up");
    const fill = async (id, text) => wd.type(await wd.element(`#${id}`), text);
    await fill("setup-enterprise", "0312345678");
    await fill("setup-name", "Công ty TNHH May mặc Sao Mai");
    await fill("setup-kiosk", "gate-1");
    await fill("setup-gate", "Cổng chính");
    // The mode select keeps its first choice unless told: choose auto explicitly.
    await wd.run(`const m = document.getElementById("setup-mode"); m.value = "auto"; m.dispatchEvent(new Event("change")); return m.value;`);
    // An empty public key: this kiosk makes the enterprise's keys, as a first gate does.
    await fill("setup-pin", "482916");
    await fill("setup-pin-again", "482916");
    await wd.click(await wd.element("#setup-submit"));
  }
  const seen = await until("the guard screen, ready", 90_000, async () => {
    const s = await wd.run(READ_SCREEN);
    return { ...s, ok: s.guard && s.ready && !s.setup };
  });
  console.log(`measure: kiosk start to guard screen ready${mode === "setup" ? " (setup page filled in)" : ""}: ${Date.now() - started} ms`);
  if (!seen.version?.includes(`v${version}`)) {
    throw new Error(`the footer says ${JSON.stringify(seen.version)}, not version ${version}`);
  }
  writeFileSync(screenshot, await wd.screenshot());
  console.log(`kiosk.mjs: ${mode}: guard screen up, footer ${JSON.stringify(seen.version)}`);
} finally {
  await wd.stop();
}
