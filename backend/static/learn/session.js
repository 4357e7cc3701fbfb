// The one client of the portal (the SDK) and the signed-in state.
// The bearer token lives only in this tab (sessionStorage): it survives a reload of the tab but
// not the tab itself, and no other tab, window or site can read it.
import { attachLessons, createClient } from './tmp-client.js';

const KEY = 'shigang.portal.token';
export const client = attachLessons(createClient({ baseUrl: '/api/v1' }));
const saved = sessionStorage.getItem(KEY);
if (saved) client.setToken(saved);

export function signedIn() {
  return Boolean(client.token);
}

export function signIn(token) {
  client.setToken(token);
  sessionStorage.setItem(KEY, token);
}

export function forget() {
  client.setToken(null);
  sessionStorage.removeItem(KEY);
}

/** client.api, sending the trainee to the sign-in page when the token is no longer good. */
export async function api(method, path, body) {
  try {
    return await client.api(method, path, body);
  } catch (error) {
    if (error && error.status === 401) {
      forget();
      location.hash = '#/signin';
    }
    throw error;
  }
}
