// Debian's Chromium (never a downloaded browser) driven by playwright-core, with the flags this machine
// needs: no sandbox as root, no GPU, and no background connections to the (closed) network.
import { chromium } from "playwright-core";

export const ARTIFACTS = process.env.POD_ARTIFACTS ?? "artifacts";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.POD_INTEROP_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

// Print what the page says in its console and what it failed to load, to explain a failure. Requests to
// hosts off this machine fail here by design (no network: solid-ui's icons, for one); they are counted.
const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);
export const offline = { count: 0 };

export function watch(page, label) {
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return;
    if (message.text().includes("net::ERR_NAME_NOT_RESOLVED")) return;
    console.log(`[${label} console.${message.type()}] ${message.text()}`);
  });
  page.on("pageerror", (error) => console.log(`[${label} page error] ${error.message}`));
  page.on("requestfailed", (request) => {
    if (!LOCAL.has(new URL(request.url()).hostname)) {
      offline.count += 1;
      return;
    }
    console.log(`[${label} request failed] ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      console.log(`[${label} ${response.status()}] ${response.request().method()} ${response.url()}`);
    }
  });
}

let stepName = "";
export async function step(name, body) {
  stepName = name;
  const started = Date.now();
  await body();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

export async function run(main, done) {
  try {
    await main();
    if (offline.count) console.log(`(${offline.count} requests to hosts off this machine failed, as they must here)`);
    console.log(done);
  } catch (error) {
    console.error(`FAILED at step: ${stepName}`);
    console.error(error?.stack ?? error);
    process.exit(1);
  }
}
