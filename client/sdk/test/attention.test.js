// Attention checks (随机弹题): an event with the question; the answer goes in the next beat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, recordEvents, signedIn, waitFor } from './helpers.js';

test('an attention check is an event; a wrong answer brings a new one, the right one releases the time', async () => {
  const { client, requests } = signedIn('attention');
  const lesson = client.lesson(fixture.checked_lesson_id, { projectId: fixture.checked_project_id, device: 'node' });
  const events = recordEvents(lesson);
  await lesson.start();
  lesson.mediaPlaying();
  const first = (await waitFor(() => events.find((e) => e.name === 'attention_check'), { what: 'a check' })).value;
  assert.equal(first.kind, 'code');
  assert.ok(first.prompt.length > 0 && first.expires_ts > Date.now() - 60000);

  const wrong = await lesson.answer(first.id, 'nope');
  assert.ok(wrong.challenge && wrong.challenge.id !== first.id, 'a wrong answer brings a new check');
  const second = events.filter((e) => e.name === 'attention_check').at(-1).value;
  assert.equal(second.id, wrong.challenge.id);
  const sent = requests.filter((r) => r.body && r.body.challenge_answer).at(-1);
  assert.deepEqual(sent.body.challenge_answer, { id: first.id, answer: 'nope' });

  const code = second.prompt.match(/[0-9A-Za-z]{4,}/)[0];
  const right = await lesson.answer(second.id, code);
  assert.ok(!right.challenge || right.challenge.id !== second.id, 'the check is settled');
  await lesson.stop();
  assert.ok(events.every((e) => e.name !== 'error'));
});
