// 429 and 503 with Retry-After: waited out, then retried once, never in a tight loop. And the
// scan sign-in (扫码登录) as the portal uses it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from '../shigang.js';
import { fixture, recordEvents, recordingAdapter, signedIn, waitFor } from './helpers.js';

test('scan sign-in: the ticket, the confirmation from the mini-program, the token once', async () => {
  const web = recordingAdapter();
  const client = createClient({ baseUrl: fixture.base_url, adapter: web.adapter });
  assert.equal(client.token, null);
  const login = await client.startWebLogin({ pollMs: 300 });
  assert.ok(login.qrUrl.endsWith('/code.png'));
  const png = await fetch(login.qrUrl);
  assert.equal(png.headers.get('content-type'), 'image/png');
  const waiting = login.wait();
  // The mini-program, signed in on the phone, confirms the scanned ticket.
  const phone = signedIn('weblogin');
  assert.equal(await phone.client.api('POST', `/api/v1/auth/web-login-tickets/${login.ticket}/confirm`), null);
  const trainee = await waiting;
  assert.equal(trainee.id, fixture.trainees.weblogin.id);
  assert.ok(client.token && client.token !== fixture.trainees.weblogin.tokens[0]);
  assert.equal(web.storage.get('shigang.token'), client.token);
  const me = await client.api('GET', '/api/v1/me');
  assert.equal(me.trainee.id, fixture.trainees.weblogin.id);
  // A used ticket is gone: the error carries the server's code and message.
  await assert.rejects(client.api('GET', `/api/v1/auth/web-login-tickets/${login.ticket}`), (err) => err.status === 410 && err.code === 'ticket_expired' && err.message.length > 0);
  await client.signOut();
  assert.equal(client.token, null);
});

test('429 with Retry-After is waited out before the one retry', async () => {
  const { adapter, requests } = recordingAdapter();
  const client = createClient({ baseUrl: fixture.base_url, adapter });
  const backoffs = [];
  client.on('backoff', (b) => backoffs.push({ ...b, at: Date.now() }));
  // The served app allows one new ticket per address every 2 s.
  await client.api('POST', '/api/v1/auth/web-login-tickets');
  await client.api('POST', '/api/v1/auth/web-login-tickets');
  const limited = backoffs.find((b) => b.status === 429);
  assert.ok(limited, 'a 429 was answered');
  assert.ok(limited.retryAfter >= 1 && limited.retryAfter <= 2);
  const posts = requests.filter((r) => r.path === '/api/v1/auth/web-login-tickets');
  // Every retry came Retry-After seconds after the refusal, never at once.
  for (let i = 1; i < posts.length; i++) {
    if (posts[i - 1].status === 429) {
      assert.ok(posts[i].at - posts[i - 1].at >= Number(posts[i - 1].retryAfter) * 1000 - 50, 'no tight loop');
    }
  }
  assert.equal(posts.at(-1).status, 201);
  assert.equal(posts.length, 2 + backoffs.length);
});

test('503 with Retry-After at check-in (WeChat down for the face check) is retried after the wait', async () => {
  const { client, requests } = signedIn('backoff');
  const failed = await fetch(`${fixture.simulator_url}/_sim/fail-next`, { method: 'POST', body: JSON.stringify({ path: 'cityservice/face/identify/getverifyid', errcode: -1 }) });
  assert.equal(failed.status, 200);
  const backoffs = [];
  client.on('backoff', (b) => backoffs.push(b));
  const lesson = client.lesson(fixture.faced_lesson_id, { device: 'node' });
  const events = recordEvents(lesson);
  const started = Date.now();
  const checkIn = await lesson.start();
  const checkIns = requests.filter((r) => r.path.endsWith('/sessions'));
  assert.equal(checkIns.length, 2);
  assert.deepEqual(backoffs.map((b) => [b.status, b.code]), [[503, 'wechat_unavailable']]);
  assert.ok(checkIns[1].at - checkIns[0].at >= backoffs[0].retryAfter * 1000 - 50);
  assert.ok(Date.now() - started >= backoffs[0].retryAfter * 1000 - 50);
  // The face check asked at check-in: an event; the host runs it (here: the simulator), the SDK asks.
  const face = events.find((e) => e.name === 'face_check').value;
  assert.equal(face.id, checkIn.face_check.id);
  await fetch(`${fixture.simulator_url}/_sim/face/complete`, { method: 'POST', body: JSON.stringify({ verify_id: face.verify_id, verify_ret: 10000 }) });
  const result = await lesson.faceCheckResult(face.verify_id);
  assert.equal(result.passed, true);
  await lesson.stop();
  await waitFor(() => events.some((e) => e.name === 'stopped'));
});
