// A browser login: the test app (app/, using @inrupt/solid-client-authn-browser) in headless Chromium logs
// in at pod's OpenID provider with the login form and the consent screen, comes back with a session and
// reads a private resource; then once more with a dynamically registered client, and logs out.
// Environment: POD_APP (the app's URL), POD_BASE, POD_WEBID, POD_EMAIL, POD_PASSWORD, POD_SECRET (text
// the private resource holds), POD_ARTIFACTS (where the screenshots go).
import assert from "node:assert/strict";
import { ARTIFACTS, launch, run, step, watch } from "./browser.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const app = env("POD_APP");
const base = env("POD_BASE");
const webId = env("POD_WEBID");
const secret = env("POD_SECRET");

async function main() {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    const page = await context.newPage();
    watch(page, "app");

    await step("open the app: nobody is logged in", async () => {
      await page.goto(app);
      await page.locator("#status", { hasText: "logged out" }).waitFor({ timeout: 15000 });
    });

    await step("log in with a Client ID Document: the app sends the browser to the login page", async () => {
      await page.click("#login-client-id");
      await page.waitForURL((url) => url.href.startsWith(`${base}.account/login/password/`), { timeout: 15000 });
      await page.locator('input[name="email"]').waitFor();
      await page.screenshot({ path: `${ARTIFACTS}/login.png`, fullPage: true });
    });

    await step("fill in the login form", async () => {
      await page.fill('input[name="email"]', env("POD_EMAIL"));
      await page.fill('input[name="password"]', env("POD_PASSWORD"));
      await Promise.all([page.waitForURL((url) => url.href.startsWith(`${base}.oidc/`)), page.click('button[type="submit"]')]);
    });

    await step("the consent screen names the app and the WebID", async () => {
      const allow = page.locator('button[name="decision"][value="allow"]');
      await allow.waitFor({ timeout: 15000 });
      const text = await page.locator("body").innerText();
      assert.ok(text.includes(webId), `the consent screen does not name ${webId}:\n${text}`);
      assert.ok(text.includes("pod interop app"), `the consent screen does not name the app:\n${text}`);
      await page.screenshot({ path: `${ARTIFACTS}/consent.png`, fullPage: true });
    });

    await step("allow: back in the app with a session that reads the private resource", async () => {
      await page.click('button[name="decision"][value="allow"]');
      await page.waitForURL((url) => url.href.startsWith(app), { timeout: 15000 });
      await page.locator("#status", { hasText: /^(read|refused|error)/ }).waitFor({ timeout: 20000 });
      const status = await page.textContent("#status");
      const result = await page.textContent("#result");
      assert.equal(status, "read", `the app could not read the resource: ${status}\n${result}`);
      assert.ok(result.startsWith("200\n") && result.includes(secret), `unexpected resource:\n${result}`);
      assert.equal(await page.textContent("#webid"), webId);
      assert.equal(await page.textContent("#client"), new URL("id.jsonld", app).href);
      await page.screenshot({ path: `${ARTIFACTS}/app-logged-in.png`, fullPage: true });
    });

    await step("reload the app: the session comes back silently (prompt=none, no login, no consent)", async () => {
      await page.evaluate(() => {
        document.getElementById("status").textContent = "reloading";
      });
      const seen = [];
      const record = (request) => seen.push(request.url());
      page.on("request", record);
      await page.reload();
      await page.locator("#status", { hasText: /^(read|refused|error|logged out)/ }).waitFor({ timeout: 20000 });
      page.off("request", record);
      assert.equal(await page.textContent("#status"), "read", await page.textContent("#result"));
      assert.ok(seen.some((url) => url.startsWith(`${base}.oidc/auth`) && url.includes("prompt=none")), seen.join("\n"));
      assert.ok(!seen.some((url) => url.startsWith(`${base}.account/login/`)), "the login page was shown again");
    });

    await step("log out of the app (the provider's session stays)", async () => {
      await page.click("#logout");
      await page.locator("#status", { hasText: "logged out" }).waitFor();
    });

    await step("log in again with dynamic registration: no login form, a new consent", async () => {
      await page.click("#login-dynamic");
      const allow = page.locator('button[name="decision"][value="allow"]');
      await allow.waitFor({ timeout: 15000 });
      assert.ok(page.url().startsWith(`${base}.oidc/`), `expected the consent screen, got ${page.url()}`);
      await allow.click();
      await page.waitForURL((url) => url.href.startsWith(app), { timeout: 15000 });
      await page.locator("#status", { hasText: /^(read|refused|error)/ }).waitFor({ timeout: 20000 });
      const status = await page.textContent("#status");
      assert.equal(status, "read", `${status}\n${await page.textContent("#result")}`);
      assert.ok((await page.textContent("#result")).includes(secret));
      const client = await page.textContent("#client");
      assert.ok(client && !client.startsWith("http"), `a registered client has an opaque id, not ${client}`);
    });

    await step("a browser without the session is refused the private resource", async () => {
      const anonymous = await browser.newContext();
      const other = await anonymous.newPage();
      const response = await other.request.get(env("POD_RESOURCE"));
      assert.equal(response.status(), 401);
      await anonymous.close();
    });
  } finally {
    await browser.close();
  }
}

await run(main, "all browser login steps passed");
