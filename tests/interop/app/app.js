// The test app: @inrupt/solid-client-authn-browser as an app uses it, bundled by esbuild for the page.
// config.json (written by the test) says which issuer to log in at and which private resource to read.
import {
  getDefaultSession,
  handleIncomingRedirect,
  login,
  logout,
} from "@inrupt/solid-client-authn-browser";

const show = (id, text) => {
  document.getElementById(id).textContent = text;
};

async function main() {
  const config = await (await fetch("config.json")).json();
  const redirectUrl = new URL("./", window.location.href).href;
  document.getElementById("login-client-id").onclick = () =>
    login({ oidcIssuer: config.issuer, redirectUrl, clientId: config.clientId, clientName: "pod interop app" });
  document.getElementById("login-dynamic").onclick = () =>
    login({ oidcIssuer: config.issuer, redirectUrl, clientName: "pod interop app (registered)" });
  document.getElementById("logout").onclick = async () => {
    await logout();
    show("status", "logged out");
  };

  // As apps do: after a reload, log in again silently (prompt=none) if the person was logged in.
  const info = await handleIncomingRedirect({ restorePreviousSession: true });
  if (!info?.isLoggedIn) {
    show("status", "logged out");
    return;
  }
  show("webid", info.webId);
  show("client", getDefaultSession().info.clientAppId ?? "");
  const response = await getDefaultSession().fetch(config.resource, { headers: { Accept: "text/turtle" } });
  show("result", `${response.status}\n${await response.text()}`);
  show("status", response.ok ? "read" : `refused ${response.status}`);
}

main().catch((error) => {
  show("status", `error: ${error?.message ?? error}`);
  console.error(error);
});
