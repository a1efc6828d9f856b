// Inrupt's @inrupt/solid-client with @inrupt/solid-client-authn-node (client credentials) against pod.
// Each step prints what it did and asserts what it got; the first failure exits non-zero with its reason.
// Environment: POD_BASE (the server = the OpenID provider), POD_ROOT (the person's pod), POD_WEBID,
// POD_CLIENT_ID, POD_CLIENT_SECRET.
import assert from "node:assert/strict";
import {
  addStringNoLocale,
  buildThing,
  createContainerAt,
  createSolidDataset,
  createAclFromFallbackAcl,
  deleteContainer,
  deleteFile,
  deleteSolidDataset,
  getContainedResourceUrlAll,
  getContentType,
  getFile,
  getPodUrlAll,
  getResourceAcl,
  getSolidDataset,
  getSolidDatasetWithAcl,
  getSourceUrl,
  getStringNoLocale,
  getStringNoLocaleAll,
  getThing,
  hasAccessibleAcl,
  hasResourceAcl,
  overwriteFile,
  saveAclFor,
  saveFileInContainer,
  saveSolidDatasetAt,
  setPublicResourceAccess,
  setStringNoLocale,
  setThing,
  universalAccess,
} from "@inrupt/solid-client";
import { Session } from "@inrupt/solid-client-authn-node";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("POD_BASE");
const root = env("POD_ROOT");
const webId = env("POD_WEBID");
const TITLE = "http://purl.org/dc/terms/title";
const NOTE = "http://schema.org/text";

let stepName = "";
async function step(name, body) {
  stepName = name;
  const started = Date.now();
  await body();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (typeof error.statusCode === "number") return error.statusCode;
    if (typeof error.response?.status === "number") return error.response.status;
    throw error;
  }
}

async function main() {
  const session = new Session();
  const fetch = session.fetch;
  const container = `${root}interop-${Date.now()}/`;
  const notes = `${container}notes.ttl`;
  let fileUrl = "";

  await step("log in with client credentials (Session.login)", async () => {
    await session.login({
      clientId: env("POD_CLIENT_ID"),
      clientSecret: env("POD_CLIENT_SECRET"),
      oidcIssuer: base,
      tokenType: "DPoP",
    });
    assert.equal(session.info.isLoggedIn, true, "the session is not logged in");
    assert.equal(session.info.webId, webId, "the session has the wrong WebID");
  });

  await step("find the pod from the WebID profile (getPodUrlAll)", async () => {
    const pods = await getPodUrlAll(webId, { fetch });
    assert.deepEqual(pods, [root], `pim:storage of ${webId}`);
  });

  await step("create a container (createContainerAt)", async () => {
    const made = await createContainerAt(container, { fetch });
    assert.equal(getSourceUrl(made), container);
  });

  await step("save a new dataset (saveSolidDatasetAt)", async () => {
    const note = buildThing({ url: `${notes}#first` })
      .addStringNoLocale(TITLE, "First note")
      .addStringNoLocale(NOTE, "Hello from solid-client")
      .build();
    const saved = await saveSolidDatasetAt(notes, setThing(createSolidDataset(), note), { fetch });
    assert.equal(getSourceUrl(saved), notes);
  });

  let dataset;
  await step("read it back (getSolidDataset)", async () => {
    dataset = await getSolidDataset(notes, { fetch });
    const note = getThing(dataset, `${notes}#first`);
    assert.ok(note, "the saved thing is not in the dataset read back");
    assert.equal(getStringNoLocale(note, TITLE), "First note");
    assert.equal(getStringNoLocale(note, NOTE), "Hello from solid-client");
  });

  await step("update a thing and save again (a PATCH on the fetched dataset)", async () => {
    let note = getThing(dataset, `${notes}#first`);
    note = setStringNoLocale(note, TITLE, "First note, edited");
    note = addStringNoLocale(note, NOTE, "A second line");
    const second = buildThing({ url: `${notes}#second` }).addStringNoLocale(TITLE, "Second note").build();
    dataset = await saveSolidDatasetAt(notes, setThing(setThing(dataset, note), second), { fetch });
    const reread = await getSolidDataset(notes, { fetch });
    const edited = getThing(reread, `${notes}#first`);
    assert.equal(getStringNoLocale(edited, TITLE), "First note, edited");
    assert.deepEqual(
      getStringNoLocaleAll(edited, NOTE).sort(),
      ["A second line", "Hello from solid-client"],
    );
    assert.equal(getStringNoLocale(getThing(reread, `${notes}#second`), TITLE), "Second note");
  });

  await step("save the same dataset a third time (another PATCH after the one before)", async () => {
    const note = setStringNoLocale(getThing(dataset, `${notes}#second`), TITLE, "Second note, edited");
    dataset = await saveSolidDatasetAt(notes, setThing(dataset, note), { fetch });
    const reread = await getSolidDataset(notes, { fetch });
    assert.equal(getStringNoLocale(getThing(reread, `${notes}#second`), TITLE), "Second note, edited");
    assert.equal(getStringNoLocale(getThing(reread, `${notes}#first`), TITLE), "First note, edited");
  });

  await step("upload a file into the container (saveFileInContainer)", async () => {
    const saved = await saveFileInContainer(
      container,
      new Blob(["plain words\n"], { type: "text/plain" }),
      { fetch, slug: "words.txt", contentType: "text/plain" },
    );
    fileUrl = getSourceUrl(saved);
    assert.ok(fileUrl.startsWith(container), `the file was saved at ${fileUrl}`);
  });

  await step("download it with its content type (getFile)", async () => {
    const file = await getFile(fileUrl, { fetch });
    assert.equal(getContentType(file), "text/plain");
    assert.equal(await file.text(), "plain words\n");
  });

  const picture = `${container}picture.png`;
  const pixels = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
  await step("overwrite a binary file at a URL (overwriteFile) and download it", async () => {
    await overwriteFile(picture, new Blob([pixels], { type: "image/png" }), { fetch, contentType: "image/png" });
    const file = await getFile(picture, { fetch });
    assert.equal(getContentType(file), "image/png");
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), pixels);
  });

  await step("list the container (getContainedResourceUrlAll)", async () => {
    const listing = await getSolidDataset(container, { fetch });
    assert.deepEqual(getContainedResourceUrlAll(listing).sort(), [fileUrl, notes, picture].sort());
  });

  await step("a new resource is private: an anonymous read is refused", async () => {
    assert.equal(await status(getSolidDataset(notes)), 401);
    assert.equal(await status(getFile(fileUrl)), 401);
  });

  await step("universal access API: make the file public (setPublicAccess)", async () => {
    const access = await universalAccess.setPublicAccess(fileUrl, { read: true }, { fetch });
    assert.ok(access, "setPublicAccess returned null: no ACL it could change");
    assert.equal(access.read, true);
    const seen = await universalAccess.getPublicAccess(fileUrl, { fetch });
    assert.equal(seen?.read, true);
    assert.equal(seen?.write, false);
    const own = await universalAccess.getAgentAccess(fileUrl, webId, { fetch });
    assert.equal(own?.read, true, "the owner lost read access");
    assert.equal(own?.controlRead, true, "the owner lost control");
  });

  await step("anonymous read of the public file", async () => {
    const file = await getFile(fileUrl);
    assert.equal(await file.text(), "plain words\n");
    assert.equal(getContentType(file), "text/plain");
  });

  await step("WAC API: a resource ACL from the fallback ACL, public read (saveAclFor)", async () => {
    const withAcl = await getSolidDatasetWithAcl(notes, { fetch });
    assert.equal(hasResourceAcl(withAcl), false, "a new resource already has its own ACL");
    assert.equal(hasAccessibleAcl(withAcl), true, "the ACL's URL is not known or not accessible");
    const acl = createAclFromFallbackAcl(withAcl);
    await saveAclFor(withAcl, setPublicResourceAccess(acl, { read: true, append: false, write: false, control: false }), {
      fetch,
    });
    const again = await getSolidDatasetWithAcl(notes, { fetch });
    assert.equal(hasResourceAcl(again), true);
    assert.ok(getResourceAcl(again));
  });

  await step("anonymous read of the public dataset", async () => {
    const anonymous = await getSolidDataset(notes);
    assert.equal(getStringNoLocale(getThing(anonymous, `${notes}#first`), TITLE), "First note, edited");
  });

  await step("anonymous writes are still refused", async () => {
    const note = buildThing({ url: `${notes}#third` }).addStringNoLocale(TITLE, "spam").build();
    const fetched = await getSolidDataset(notes);
    assert.equal(await status(saveSolidDatasetAt(notes, setThing(fetched, note))), 401);
  });

  await step("delete the file, the dataset, the picture and the container", async () => {
    await deleteFile(fileUrl, { fetch });
    await deleteSolidDataset(notes, { fetch });
    await deleteFile(picture, { fetch });
    await deleteContainer(container, { fetch });
    assert.equal(await status(getSolidDataset(notes, { fetch })), 404);
    assert.equal(await status(getSolidDataset(container, { fetch })), 404);
  });

  await step("log out", async () => {
    await session.logout();
    assert.equal(session.info.isLoggedIn, false);
  });
}

try {
  await main();
  console.log("all solid-client steps passed");
} catch (error) {
  console.error(`FAILED at step: ${stepName}`);
  console.error(error?.stack ?? error);
  if (error?.response) console.error("response:", error.response.status, error.response.statusText);
  process.exit(1);
}
