// Inrupt's @inrupt/solid-client-notifications receives WebSocketChannel2023 notifications from pod, logged in
// with @inrupt/solid-client-authn-node (client credentials). Each step prints what it did and asserts what it
// got; the first failure exits non-zero with its reason, and every wait is bounded.
// Environment: POD_BASE (the server = the OpenID provider), POD_ROOT (the person's pod), POD_WEBID,
// POD_CLIENT_ID, POD_CLIENT_SECRET.
//
// What the library does not do the Solid Notifications Protocol's way (found at 3.0.1, documented here):
// its own discovery (`connect()` with no arguments) follows Inrupt ESS's earlier "notification gateway"
// protocol: it reads `/.well-known/solid` at the origin (or below a `Link: rel="pim:storage"`, not the
// `solid:storageDescription` link), looks there for `solid:notificationGateway` (or
// `ess:notificationGatewayEndpoint`), POSTs `{protocols, features}` there, then POSTs `{topic}` to the endpoint it is given
// and expects `{endpoint, subprotocol}`. The protocol (0.2, §Discovery, §Subscription) has none of that: a
// storage description lists `notify:subscription` services by `notify:channelType`, and a subscription is a
// JSON-LD channel request answered with the channel and its `receiveFrom`. Only ESS ever spoke the gateway
// protocol (CSS and NSS do not either), so pod stays with the specification and this scenario checks that the
// library's discovery is refused with its NotSupported error, then discovers and subscribes as the
// specification says (with the same authenticated fetch) and hands `receiveFrom` to `connect(endpoint)`,
// which the library offers for exactly this. From there on the library is used as it is.
import assert from "node:assert/strict";
import { getIri, getSolidDataset, getThingAll } from "@inrupt/solid-client";
import { Session } from "@inrupt/solid-client-authn-node";
import { WebsocketNotification } from "@inrupt/solid-client-notifications";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("POD_BASE");
const root = env("POD_ROOT");
const webId = env("POD_WEBID");
const NOTIFY = "http://www.w3.org/ns/solid/notifications#";
const WEBSOCKET_CHANNEL = `${NOTIFY}WebSocketChannel2023`;
const STORAGE_DESCRIPTION = "http://www.w3.org/ns/solid/terms#storageDescription";
const PATIENCE_MS = 10_000; // the longest any notification, connection or close may take

let stepName = "";
async function step(name, body) {
  stepName = name;
  const started = Date.now();
  await body();
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

/** Resolves with the first event `name` from `emitter` that `accept`s, or rejects after PATIENCE_MS. */
function nextEvent(emitter, name, what, accept = () => true) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const listener = (value) => {
      seen.push(value);
      if (!accept(value)) return;
      clearTimeout(timer);
      emitter.off(name, listener);
      resolve(value);
    };
    const timer = setTimeout(() => {
      emitter.off(name, listener);
      const received = seen.length ? `; received instead: ${JSON.stringify(seen)}` : "";
      reject(new Error(`no ${what} within ${PATIENCE_MS} ms${received}`));
    }, PATIENCE_MS);
    emitter.on(name, listener);
  });
}

/** Link header targets with relation `rel` (enough of RFC 8288 for this server's headers). */
function linkTargets(header, rel) {
  const targets = [];
  for (const match of (header ?? "").matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rels = /rel="?([^";,]+)"?/.exec(match[2])?.[1]?.split(/\s+/) ?? [];
    if (rels.includes(rel)) targets.push(match[1]);
  }
  return targets;
}

async function expectOk(response, what) {
  if (!response.ok) {
    throw new Error(`${what}: ${response.status} ${response.statusText}: ${(await response.text()).slice(0, 500)}`);
  }
  return response;
}

async function main() {
  const session = new Session();
  const fetch = session.fetch;
  const topic = `${root}notifications-${Date.now()}.ttl`;
  let socket;
  let receiveFrom = "";
  let channelId = "";

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

  await step("create the topic resource (authenticated PUT)", async () => {
    await expectOk(
      await fetch(topic, {
        method: "PUT",
        headers: { "Content-Type": "text/turtle" },
        body: '<#it> <http://purl.org/dc/terms/title> "before" .\n',
      }),
      `PUT ${topic}`,
    );
  });

  await step("the library's own discovery (ESS notification gateway) is refused: NotSupported", async () => {
    const discovering = new WebsocketNotification(topic, { fetch });
    // NotSupported is not exported by the package: known by its message. Here its cause is the library's
    // "Could not determine storage root or well-known solid resource": /.well-known/solid at the origin is
    // 404 (pods live below it) and no `Link: rel="pim:storage"` names the pod (the Solid Protocol has
    // clients find it by rel="type" pim:Storage up the path, or the storageDescription link).
    await assert.rejects(discovering.connect(), (error) => {
      assert.ok(
        String(error?.message).startsWith("The server appears to not support notifications"),
        `expected the library's NotSupported, got ${error?.stack ?? error}`,
      );
      return true;
    });
    assert.equal(discovering.websocket, undefined, "a socket was opened without a gateway");
  });

  let service = "";
  await step("discover the WebSocketChannel2023 subscription service (storage description)", async () => {
    const head = await expectOk(await fetch(topic, { method: "HEAD" }), `HEAD ${topic}`);
    const [description] = linkTargets(head.headers.get("link"), STORAGE_DESCRIPTION);
    assert.ok(description, `no Link rel="${STORAGE_DESCRIPTION}" on ${topic}: ${head.headers.get("link")}`);
    const dataset = await getSolidDataset(description, { fetch });
    const services = getThingAll(dataset, { acceptBlankNodes: true }).filter(
      (thing) => getIri(thing, `${NOTIFY}channelType`) === WEBSOCKET_CHANNEL,
    );
    assert.equal(services.length, 1, `WebSocketChannel2023 services in ${description}`);
    service = services[0].url;
    assert.ok(service.startsWith(base), `the service ${service} is not on ${base}`);
  });

  await step("subscribe to the topic (POST a channel request with the session's fetch)", async () => {
    const response = await expectOk(
      await fetch(service, {
        method: "POST",
        headers: { "Content-Type": "application/ld+json", Accept: "application/ld+json" },
        body: JSON.stringify({
          "@context": ["https://www.w3.org/ns/solid/notification/v1"],
          type: "WebSocketChannel2023",
          topic,
        }),
      }),
      `POST ${service}`,
    );
    const channel = await response.json();
    assert.equal(channel.topic, topic);
    assert.ok([WEBSOCKET_CHANNEL, "WebSocketChannel2023"].includes(channel.type), `type ${channel.type}`);
    receiveFrom = channel.receiveFrom;
    channelId = channel.id;
    assert.match(receiveFrom ?? "", /^wss?:\/\//, "receiveFrom is not a WebSocket URL");
  });

  await step("the channel type's IRI cannot be a WebSocket subprotocol here (ws: RFC 6455 token)", async () => {
    // WebSocketChannel2023's (non-normative) example opens `new WebSocket(receiveFrom, "http://www.w3.org/
    // ns/solid/notifications#WebSocketChannel2023")`, but RFC 6455 §4.1 allows only tokens (no ":", "/",
    // "#") as subprotocols: `ws` (as browsers) throws before connecting. pod accepts that IRI, the short
    // name `WebSocketChannel2023` or no subprotocol at all; this client connects with none.
    const strict = new WebsocketNotification(topic, { fetch });
    await assert.rejects(strict.connect(receiveFrom, WEBSOCKET_CHANNEL), { name: "SyntaxError" });
    assert.equal(strict.websocket, undefined);
  });

  await step("connect a WebsocketNotification to receiveFrom (connect(receiveFrom))", async () => {
    socket = new WebsocketNotification(topic, { fetch });
    socket.on("error", (error) => console.error("websocket error:", error?.message ?? error));
    const connected = nextEvent(socket, "connected", '"connected" event');
    await socket.connect(receiveFrom);
    await connected;
    assert.equal(socket.status, "connected");
  });

  const isAbout = (type) => (message) => message?.type === type && message?.object === topic;

  await step("an authenticated PUT of the topic is announced: an Update of it", async () => {
    const arrives = nextEvent(socket, "message", `Update notification for ${topic}`, isAbout("Update"));
    await expectOk(
      await fetch(topic, {
        method: "PUT",
        headers: { "Content-Type": "text/turtle" },
        body: '<#it> <http://purl.org/dc/terms/title> "after a PUT" .\n',
      }),
      `PUT ${topic}`,
    );
    const message = await arrives;
    assert.ok(message.id, "the notification has no id");
    assert.ok(message.published, "the notification has no published time");
    assert.ok(JSON.stringify(message["@context"]).includes("activitystreams"), "no ActivityStreams context");
  });

  await step("an authenticated PATCH (N3 Patch) of the topic is announced: an Update of it", async () => {
    const arrives = nextEvent(socket, "message", `Update notification for ${topic}`, isAbout("Update"));
    await expectOk(
      await fetch(topic, {
        method: "PATCH",
        headers: { "Content-Type": "text/n3" },
        body: `@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:patch a solid:InsertDeletePatch;
  solid:inserts { <#it> <http://schema.org/text> "added by a PATCH" . }.
`,
      }),
      `PATCH ${topic}`,
    );
    const message = await arrives;
    const head = await expectOk(await fetch(topic, { method: "HEAD" }), `HEAD ${topic}`);
    // state: an opaque xsd:string (protocol §3.4); pod sends the ETag's opaque-tag, without its quotes.
    const etag = head.headers.get("etag") ?? "";
    assert.equal(message.state, etag.replace(/^W\//, "").replaceAll('"', ""), `state is not the ETag ${etag}`);
  });

  await step("an authenticated DELETE of the topic is announced: a Delete of it", async () => {
    const arrives = nextEvent(socket, "message", `Delete notification for ${topic}`, isAbout("Delete"));
    await expectOk(await fetch(topic, { method: "DELETE" }), `DELETE ${topic}`);
    await arrives;
  });

  await step("disconnect, then end the channel (DELETE its id)", async () => {
    const closed = nextEvent(socket, "closed", '"closed" event');
    socket.disconnect();
    await closed;
    assert.equal(socket.status, "closed");
    await expectOk(await fetch(channelId, { method: "DELETE" }), `DELETE ${channelId}`);
  });

  await step("log out", async () => {
    await session.logout();
    assert.equal(session.info.isLoggedIn, false);
  });
}

try {
  await main();
  console.log("all notifications steps passed");
  process.exit(0);
} catch (error) {
  console.error(`FAILED at step: ${stepName}`);
  console.error(error?.stack ?? error);
  process.exit(1);
}
