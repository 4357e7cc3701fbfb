// The beat loop: credit while the media plays and the page is visible, nothing while paused or hidden.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, hoursCredited, recordEvents, signedIn, sleep, waitFor } from './helpers.js';

test('beats while playing earn credit, read back from /me/hours; pause and hide stop the beats', async () => {
  const { client, requests, doc } = signedIn('credit');
  const lesson = client.lesson(fixture.lesson_id, { device: 'node' });
  const events = recordEvents(lesson);
  const checkIn = await lesson.start();
  assert.equal(checkIn.heartbeat_interval_s, 2);
  lesson.mediaPlaying();
  lesson.setPosition(0);
  await sleep(7000);
  lesson.mediaPaused();
  const credit = await waitFor(() => {
    const last = events.filter((e) => e.name === 'credit').at(-1);
    return last && last.value.acked_seq >= 4 && last.value;
  }, { what: 'credit events' });
  assert.ok(credit.credited_s >= 6 && credit.credited_s <= 9, `credited ${credit.credited_s}`);
  const beats = () => requests.filter((r) => r.path.endsWith('/heartbeats'));
  const last = beats().at(-1);
  assert.equal(last.body.playing, false, 'the pause sends one beat with playing false');
  const atPause = await hoursCredited(client);
  assert.ok(atPause >= credit.credited_s, `hours ${atPause}, session ${credit.credited_s}`);

  // Paused: no beat at all for three intervals, and no credit added.
  const beatsAtPause = beats().length;
  await sleep(6500);
  assert.equal(beats().length, beatsAtPause);
  assert.equal(await hoursCredited(client), atPause);

  // Playing again, then the page hidden: one beat at each change, none while hidden.
  lesson.mediaPlaying();
  await sleep(4500);
  doc.setVisible(false);
  await sleep(300);
  const beatsAtHide = beats().length;
  assert.equal(beats().at(-1).body.playing, false);
  await sleep(6000);
  assert.equal(beats().length, beatsAtHide);
  const result = await lesson.stop();
  assert.ok(result.credited_s >= credit.credited_s + 3, `after replay ${result.credited_s}`);
  assert.ok(result.credited_s <= credit.credited_s + 6);
  const final = await hoursCredited(client);
  assert.ok(final >= result.credited_s && final <= result.credited_s + 1, `hours ${final}`);
  assert.deepEqual(events.at(-1).name, 'stopped');
  assert.equal(events.at(-1).value.reason, 'stopped');
});
