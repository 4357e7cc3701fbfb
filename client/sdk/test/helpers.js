// Shared by the SDK's Node tests: the fixture the Python harness seeded, an in-memory storage,
// a page whose visibility the test sets, a recording adapter and a TCP proxy the test can cut.
import net from 'node:net';
import { browserAdapter } from '../adapters/browser.js';
import { createClient } from '../shigang.js';

export const fixture = JSON.parse(process.env.SHIGANG_SDK_FIXTURE || 'null');
if (!fixture) throw new Error('SHIGANG_SDK_FIXTURE is not set: run through tests/client/test_sdk_node.py');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function memoryStorage() {
  const map = new Map();
  return { get: (k) => (map.has(k) ? map.get(k) : null), set: (k, v) => map.set(k, String(v)), remove: (k) => map.delete(k), map };
}

export class FakeDocument extends EventTarget {
  visibilityState = 'visible';
  setVisible(visible) {
    this.visibilityState = visible ? 'visible' : 'hidden';
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

/** The browser adapter on Node's fetch, recording every request it makes (method, path, body). */
export function recordingAdapter() {
  const doc = new FakeDocument();
  const storage = memoryStorage();
  const adapter = browserAdapter({ storage, document: doc });
  const requests = [];
  const request = adapter.request;
  adapter.request = async (req) => {
    const entry = { at: Date.now(), method: req.method, path: new URL(req.url).pathname, body: req.body ? JSON.parse(req.body) : null, status: 0 };
    requests.push(entry);
    const res = await request(req);
    entry.status = res.status;
    entry.retryAfter = res.header('Retry-After');
    return res;
  };
  return { adapter, requests, doc, storage };
}

/** A client signed in with the trainee's token number `device` (0 or 1). */
export function signedIn(name, { device = 0, baseUrl = fixture.base_url } = {}) {
  const rec = recordingAdapter();
  const client = createClient({ baseUrl, adapter: rec.adapter });
  client.setToken(fixture.trainees[name].tokens[device]);
  return Object.assign(rec, { client });
}

/** Record every event of a lesson in order. */
export function recordEvents(lesson) {
  const seen = [];
  for (const name of ['credit', 'attention_check', 'face_check', 'notice', 'session_superseded', 'session_ended', 'project_closed', 'stopped', 'offline', 'online', 'error']) {
    lesson.on(name, (value) => seen.push({ name, value, at: Date.now() }));
  }
  return seen;
}

export async function waitFor(predicate, { timeoutMs = 20000, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await predicate();
    if (value) return value;
    await sleep(100);
  }
  throw new Error('timed out waiting for ' + what);
}

/** Credited seconds of a project in GET /me/hours (live figures included). */
export async function hoursCredited(client, projectId = fixture.project_id) {
  const hours = await client.api('GET', '/api/v1/me/hours');
  const row = hours.projects.find((p) => p.project_id === projectId);
  return row ? row.credited_s : 0;
}

/** A TCP proxy to the app on loopback: cut() resets every connection and refuses new ones. */
export async function tcpProxy(target = fixture.base_url) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut() { cut = true; for (const s of sockets) s.destroy(); },
    restore() { cut = false; },
    close() { for (const s of sockets) s.destroy(); return new Promise((resolve) => server.close(resolve)); },
  };
}
