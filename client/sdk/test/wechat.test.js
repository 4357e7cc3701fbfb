// The mini-program adapter on a stand-in for WeChat's runtime (wx.request over real HTTP,
// wx storage in memory, onAppHide/onAppShow the test fires), against the real app.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wechatAdapter } from '../adapters/wechat.js';
import { createClient } from '../shigang.js';
import { fixture, recordEvents, sleep, waitFor } from './helpers.js';

function fakeWx() {
  const store = new Map();
  const hide = [];
  const show = [];
  const requests = [];
  return {
    requests,
    hideApp() { hide.forEach((fn) => fn()); },
    showApp() { show.forEach((fn) => fn({})); },
    request({ url, method, header, data, timeout, success, fail }) {
      requests.push({ method, url, data });
      fetch(url, { method, headers: header, body: data, signal: AbortSignal.timeout(timeout) })
        .then(async (res) => {
          const text = await res.text();
          const headers = {};
          res.headers.forEach((value, key) => { headers[key.replace(/^./, (c) => c.toUpperCase())] = value; });
          success({ statusCode: res.status, data: text ? JSON.parse(text) : '', header: headers });
        })
        .catch(() => fail({ errMsg: 'request:fail' }));
    },
    getStorageSync: (key) => (store.has(key) ? store.get(key) : ''),
    setStorageSync: (key, value) => store.set(key, value),
    removeStorageSync: (key) => store.delete(key),
    onAppHide: (fn) => hide.push(fn),
    onAppShow: (fn) => show.push(fn),
  };
}

test('the mini-program adapter: wx.request, wx storage, beats stop while the app is hidden', async () => {
  const wx = fakeWx();
  const client = createClient({ baseUrl: fixture.base_url, adapter: wechatAdapter(wx) });
  client.setToken(fixture.trainees.wechat.tokens[0]);
  assert.equal(wx.getStorageSync('shigang.token'), fixture.trainees.wechat.tokens[0]);
  const lesson = client.lesson(fixture.lesson_id, { device: 'iPhone 15' });
  const events = recordEvents(lesson);
  await lesson.start();
  assert.ok(wx.getStorageSync('shigang.device_id').length >= 16);
  lesson.mediaPlaying();
  await sleep(4500);
  wx.hideApp();
  await sleep(300);
  const beats = () => wx.requests.filter((r) => r.url.endsWith('/heartbeats'));
  const atHide = beats().length;
  assert.equal(JSON.parse(beats().at(-1).data).playing, false);
  await sleep(4500);
  assert.equal(beats().length, atHide, 'no beat while the app is hidden');
  wx.showApp();
  await waitFor(() => beats().length > atHide, { what: 'a beat after onAppShow' });
  assert.equal(JSON.parse(beats().at(-1).data).playing, true);
  const credit = events.filter((e) => e.name === 'credit').at(-1).value;
  assert.ok(credit.credited_s >= 3, `credited ${credit.credited_s}`);
  const result = await lesson.stop();
  assert.ok(result.credited_s >= credit.credited_s);
  // A 401 through wx.request: the token is forgotten and the host told.
  const told = [];
  client.on('unauthorized', (err) => told.push(err.code));
  client.setToken('made-up-token');
  await assert.rejects(client.api('GET', '/api/v1/me'), (err) => err.status === 401);
  assert.deepEqual(told, ['invalid_token']);
  assert.equal(client.token, null);
  assert.equal(wx.getStorageSync('shigang.token'), '');
});
