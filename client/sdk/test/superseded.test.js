// One device at a time: a check-in on another device supersedes this one's session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, recordEvents, signedIn, sleep, waitFor } from './helpers.js';

test('a check-in on another device stops this one with session_superseded', async () => {
  const phone = signedIn('superseded', { device: 0 });
  const computer = signedIn('superseded', { device: 1 });
  const first = phone.client.lesson(fixture.lesson_id, { device: 'phone' });
  const events = recordEvents(first);
  await first.start();
  first.mediaPlaying();
  await sleep(3000);

  const second = computer.client.lesson(fixture.lesson_id, { device: 'computer' });
  await second.start();
  second.mediaPlaying();
  const stopped = await waitFor(() => events.find((e) => e.name === 'stopped'), { what: 'stopped' });
  assert.equal(stopped.value.reason, 'session_superseded');
  const superseded = events.find((e) => e.name === 'session_superseded');
  assert.equal(superseded.value.status, 409);
  assert.ok(superseded.value.message.length > 0);
  // No beat after that, however long the media plays on.
  const beats = () => phone.requests.filter((r) => r.path.endsWith('/heartbeats')).length;
  const count = beats();
  await sleep(4500);
  assert.equal(beats(), count);
  // The computer's session goes on and earns credit.
  await waitFor(() => computer.requests.filter((r) => r.path.endsWith('/heartbeats')).length >= 2, { what: 'computer beats' });
  const result = await second.stop();
  assert.ok(result.credited_s >= 2, `computer credited ${result.credited_s}`);
});
