// SolidOS: a person opens a container of a pod in headless Chromium. The server answers the browser's
// Accept (text/html first) with its data-browser page, which loads mashlib; mashlib then reads the
// container as RDF and must show what it contains. Then the same for a Turtle document; then a private
// container, where the person logs in from SolidOS itself.
// Environment: POD_CONTAINER (a public container), POD_NAMES (comma-separated names it contains),
// POD_DOCUMENT (a public Turtle document in it), POD_DOCUMENT_TEXT (a literal the document holds),
// POD_PRIVATE (a private container), POD_PRIVATE_NAME (a name in it), POD_BASE, POD_EMAIL,
// POD_PASSWORD, POD_ARTIFACTS (where the screenshots go).
import assert from "node:assert/strict";
import { ARTIFACTS, launch, run, step, watch } from "./browser.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const container = env("POD_CONTAINER");
const names = env("POD_NAMES").split(",");
const documentUrl = env("POD_DOCUMENT");
const privateContainer = env("POD_PRIVATE");

async function main() {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    watch(page, "solidos");

    await step("open a container: the server sends the data browser page, not Turtle", async () => {
      const response = await page.goto(container);
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-type"], /^text\/html/);
      assert.match(response.headers()["vary"], /Accept/);
    });

    await step("mashlib loads and shows what the container holds", async () => {
      await page.waitForFunction(() => typeof window.panes === "object", null, { timeout: 30000 });
      const outline = page.locator("#OutlineView");
      for (const name of names) {
        await outline.getByText(name, { exact: false }).first().waitFor({ timeout: 30000 });
      }
      console.log(`     the outline shows: ${JSON.stringify(await outline.innerText())}`);
      await page.screenshot({ path: `${ARTIFACTS}/solidos-container.png`, fullPage: true });
    });

    await step("open a Turtle document: mashlib shows its data", async () => {
      const response = await page.goto(documentUrl);
      assert.match(response.headers()["content-type"], /^text\/html/);
      await page.getByText(env("POD_DOCUMENT_TEXT")).first().waitFor({ timeout: 30000 });
      await page.screenshot({ path: `${ARTIFACTS}/solidos-document.png`, fullPage: true });
    });

    await step("the same URL still gives Turtle to a client that asks for it", async () => {
      const response = await page.request.get(documentUrl, { headers: { Accept: "text/turtle" } });
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-type"], /^text\/turtle/);
      assert.ok((await response.text()).includes(env("POD_DOCUMENT_TEXT")));
    });

    await step("open a private container: the data browser comes with the 401 and asks to log in", async () => {
      const response = await page.goto(privateContainer);
      assert.equal(response.status(), 401);
      assert.match(response.headers()["content-type"], /^text\/html/);
      await page.getByText("not publicly readable").first().waitFor({ timeout: 30000 });
    });

    await step("log in from SolidOS: the identity provider dialog, the login form, the consent", async () => {
      await page.getByRole("button", { name: "Log In" }).first().click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor({ timeout: 15000 });
      await dialog.locator("input").first().fill(env("POD_BASE"));
      await dialog.getByRole("button", { name: "Log In" }).click();
      await page.waitForURL((url) => url.href.includes("/.account/login/password/"), { timeout: 15000 });
      await page.fill('input[name="email"]', env("POD_EMAIL"));
      await page.fill('input[name="password"]', env("POD_PASSWORD"));
      await page.click('button[type="submit"]');
      const allow = page.locator('button[name="decision"][value="allow"]');
      await allow.waitFor({ timeout: 15000 });
      await allow.click();
    });

    await step("back in the data browser, logged in: the private container's contents", async () => {
      await page.waitForURL((url) => url.href === privateContainer, { timeout: 20000 });
      await page.locator("#OutlineView").getByText(env("POD_PRIVATE_NAME")).first().waitFor({ timeout: 30000 });
      await page.screenshot({ path: `${ARTIFACTS}/solidos-logged-in.png`, fullPage: true });
    });
  } finally {
    await browser.close();
  }
}

await run(main, "all SolidOS steps passed");
