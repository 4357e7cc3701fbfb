// A network cut in the middle of a lesson: beats go to storage, then one batch when it returns;
// the same batch sent again credits nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, hoursCredited, recordEvents, signedIn, sleep, tcpProxy, waitFor } from './helpers.js';

test('a cut network buffers the beats and sends them as one batch; a replay credits nothing', async () => {
  const proxy = await tcpProxy();
  const { client, requests, storage } = signedIn('offline', { baseUrl: proxy.url });
  const lesson = client.lesson(fixture.lesson_id, { device: 'node' });
  const events = recordEvents(lesson);
  try {
    await lesson.start();
    lesson.mediaPlaying();
    await sleep(3000);
    const started = Date.now();
    proxy.cut();
    await waitFor(() => events.some((e) => e.name === 'offline'), { what: 'offline' });
    await sleep(7000);
    const stored = JSON.parse(storage.get('shigang.beats.' + fixture.lesson_id));
    assert.ok(stored.beats.length >= 3, `buffered ${stored.beats.length}`);
    proxy.restore();
    await waitFor(() => events.some((e) => e.name === 'online'), { what: 'online' });
    const offlineFor = (Date.now() - started) / 1000;
    const batch = requests.filter((r) => r.body && r.body.beats).at(-1);
    assert.ok(batch.body.beats.length >= 3);
    assert.equal(storage.get('shigang.beats.' + fixture.lesson_id), null);
    lesson.mediaPaused();
    await sleep(500);
    const credited = events.filter((e) => e.name === 'credit').at(-1).value.credited_s;
    // The offline time is credited: all but about one interval of the whole play.
    assert.ok(credited >= 3 + offlineFor - 4, `credited ${credited} of ${3 + offlineFor}`);
    assert.ok(events.every((e) => e.name !== 'error'));

    // The same batch again: accepted as a replay, nothing more credited.
    const before = await hoursCredited(client);
    let replay;
    try {
      replay = await client.api('POST', `/api/v1/sessions/${lesson.sessionId}/heartbeats`, batch.body);
      assert.equal(replay.credited_s, credited);
    } catch (err) {
      assert.ok(err.status === 409 || err.status === 422, `${err.status} ${err.code}`);
    }
    assert.equal(await hoursCredited(client), before);
    await lesson.stop();
  } finally {
    await proxy.close();
  }
});
