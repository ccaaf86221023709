// A minimal W3C WebDriver client over plain HTTP (Node's fetch), enough to drive the kiosk window
// through tauri-driver: sessions, scripts, elements, keys and screenshots.

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async call(method, path, body) {
    const res = await fetch(this.base + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value ?? {};
      throw new Error(`${method} ${path}: HTTP ${res.status} ${v.error ?? ""} ${v.message ?? ""}`);
    }
    return json.value;
  }

  async start(application, args) {
    const caps = {
      capabilities: {
        alwaysMatch: { browserName: "wry", "tauri:options": { application, args } },
      },
    };
    const value = await this.call("POST", "/session", caps);
    this.session = value.sessionId;
  }

  async stop() {
    if (this.session) await this.call("DELETE", `/session/${this.session}`).catch(() => {});
    this.session = null;
  }

  run(script, ...args) {
    return this.call("POST", `/session/${this.session}/execute/sync`, { script, args });
  }

  async element(css) {
    const value = await this.call("POST", `/session/${this.session}/element`, { using: "css selector", value: css });
    return Object.values(value)[0];
  }

  click(elementId) {
    return this.call("POST", `/session/${this.session}/element/${elementId}/click`, {});
  }

  clear(elementId) {
    return this.call("POST", `/session/${this.session}/element/${elementId}/clear`, {});
  }

  type(elementId, text) {
    return this.call("POST", `/session/${this.session}/element/${elementId}/value`, { text });
  }

  async screenshot() {
    return Buffer.from(await this.call("GET", `/session/${this.session}/screenshot`), "base64");
  }
}

// Polls `probe` until it returns a truthy value or the deadline passes; the last value is kept
// for the failure message, so a timeout says what the screen showed instead.
export async function until(what, deadlineMs, probe) {
  const end = Date.now() + deadlineMs;
  let last;
  while (Date.now() < end) {
    last = await probe();
    if (last && last.ok) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}
