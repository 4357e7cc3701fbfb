// The one client of the portal (the SDK, client/sdk/ served at /learn/sdk/) and the sign-in state.
// The bearer token lives only in this tab (sessionStorage, through the SDK's browser adapter): it
// survives a reload of the tab but not the tab itself, and no other tab or site can read it.
import { createClient } from '/learn/sdk/shigang.js';
import { browserAdapter } from '/learn/sdk/adapters/browser.js';

export const client = createClient({
  baseUrl: '', adapter: browserAdapter(), tokenKey: 'shigang.portal.token',
});
client.on('unauthorized', () => { location.hash = '#/signin'; });

export function signedIn() {
  return Boolean(client.token);
}

export function forget() {
  client.setToken(null);
}

/** client.api on the mini-program API (/api/v1); errors are {status, code, message}. */
export function api(method, path, body) {
  return client.api(method, `/api/v1${path}`, body);
}
