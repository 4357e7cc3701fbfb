/**
 * Shigang SDK (适岗): the trainee side of the learning protocol, once, for the web portal and the
 * WeChat mini-program. One ES module, no dependency, no build step. Public API (stable):
 *
 *   import { createClient } from './shigang.js';
 *   import { browserAdapter } from './adapters/browser.js';   // or wechatAdapter(wx)
 *   const client = createClient({ baseUrl: '', adapter: browserAdapter() });
 *
 *   client.token / client.setToken(token|null)      bearer token (kept in adapter storage)
 *   client.api(method, path, body?, options?)       JSON call; rejects with ApiError {status, code, message, retryAfter}
 *   client.startWebLogin()                          scan sign-in: {ticket, qrUrl, expiresIn, wait(), cancel()}
 *   client.signOut()                                revokes the token on the server and forgets it
 *   client.on(event, fn) → off()                    'unauthorized' (401), 'account_disabled' (403), 'backoff' ({status, retryAfter})
 *
 *   const lesson = client.lesson(lessonId, { projectId?, device? });
 *   await lesson.start()              check-in (retried after 503/429 with Retry-After); resolves to the check-in answer
 *   lesson.mediaPlaying() / mediaPaused() / mediaStalled() / mediaEnded() / setPosition(seconds)
 *   await lesson.answer(id, answer)   attention check answer ("B", "AC" or the code typed)
 *   await lesson.faceCheckResult(verifyId)  after the host ran the face verification
 *   await lesson.stop()               check-out
 *   lesson.on(event, fn) → off()
 *     'credit'            {credited_s, acked_seq, notice, position_s}: the server's figures after each beat or batch
 *     'attention_check'   the challenge {id, kind, prompt, options, multiple, expires_ts}
 *     'face_check'        {id, verify_id, expires_in}: run the verification, then faceCheckResult(verify_id)
 *     'notice'            {code, message}: why time stopped counting (daily maximum, face check expired)
 *     'session_superseded' / 'session_ended' / 'project_closed'   {status, code, message}
 *     'stopped'           {reason, ...}: reason 'stopped' | 'ended' (with the check-out answer) or an error code
 *     'offline' / 'online'   the network failed (beats go to storage) / came back (the batch was sent)
 *     'error'             ApiError: a refused offline batch (dropped, with the server's reason) or a failed call
 *
 * Beats go every `heartbeat_interval_s` (from the check-in answer) only while the media plays,
 * the page or app is visible and the media is not stalled; a change of any of these sends one
 * beat at once. See client/sdk/README.md.
 */

/** @typedef {{status: number, data: any, header: (name: string) => (string|undefined)}} AdapterResponse */
/**
 * @typedef {object} Adapter
 * @property {(req: {method: string, url: string, headers: Object<string,string>, body?: string, timeoutMs: number}) => Promise<AdapterResponse>} request
 *   resolves with any HTTP status; rejects only when no answer came (network failure, timeout)
 * @property {{get(key: string): (string|null), set(key: string, value: string): void, remove(key: string): void}} storage
 * @property {(fn: Function, ms: number) => any} setTimeout
 * @property {(id: any) => void} clearTimeout
 * @property {() => number} now  epoch milliseconds
 * @property {() => boolean} isVisible
 * @property {(fn: (visible: boolean) => void) => (() => void)} onVisibilityChange
 */
/** @typedef {{credited_s: number, acked_seq: number, challenge?: object|null, face_check?: object|null, notice?: object|null}} BeatReply */

const CLOSED = { session_superseded: 'session_superseded', session_ended: 'session_ended', session_abandoned: 'session_ended', project_closed: 'project_closed' };
const MAX_BATCH = 120;

/** An API failure: HTTP status (0: no answer), machine code, Chinese message, Retry-After seconds. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {number|null} [retryAfter] */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function emitter() {
  /** @type {Object<string, Function[]>} */
  const map = {};
  return {
    /** @param {string} event @param {Function} fn */
    on(event, fn) {
      (map[event] = map[event] || []).push(fn);
      return () => { map[event] = (map[event] || []).filter((f) => f !== fn); };
    },
    /** @param {string} event @param {any} [value] */
    emit(event, value) {
      for (const fn of (map[event] || []).slice()) {
        try { fn(value); } catch (e) { /* a listener's failure never stops the protocol */ }
      }
    },
  };
}

function readJSON(storage, key) {
  try { const raw = storage.get(key); return raw ? JSON.parse(raw) : null; } catch (e) { return null; }
}

function randomId() {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const bytes = new Uint8Array(24);
  const c = globalThis.crypto;
  if (c && c.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => abc[b & 63]).join('');
}

/**
 * @param {{baseUrl?: string, adapter: Adapter, tokenKey?: string|null, timeoutMs?: number}} options
 *   tokenKey: where the token is kept in adapter storage (null: memory only)
 */
export function createClient({ baseUrl = '', adapter, tokenKey = 'shigang.token', timeoutMs = 15000 }) {
  const events = emitter();
  const storage = adapter.storage;
  let token = tokenKey ? storage.get(tokenKey) : null;

  const sleep = (ms) => new Promise((resolve) => adapter.setTimeout(resolve, ms));

  function setToken(value) {
    token = value || null;
    if (!tokenKey) return;
    if (token) storage.set(tokenKey, token); else storage.remove(tokenKey);
  }

  function toError(res) {
    const err = (res.data && typeof res.data === 'object' && res.data.error) || {};
    const raw = res.header('Retry-After');
    const retryAfter = raw != null && /^\d+$/.test(String(raw).trim()) ? Number(raw) : null;
    return new ApiError(res.status, err.code || 'http_' + res.status, err.message || '请求失败（' + res.status + '）', retryAfter);
  }

  /**
   * One JSON call. 429 and 503 are retried after Retry-After (or 2, 4, 8 s without one) up to
   * `retries` times while the wait is at most `maxWaitS`; then the ApiError is thrown.
   * @param {string} method @param {string} path @param {any} [body]
   * @param {{retries?: number, maxWaitS?: number, auth?: boolean}} [options]
   * @returns {Promise<any>} the parsed answer (null for 204)
   */
  async function api(method, path, body, { retries = 2, maxWaitS = 30, auth = true } = {}) {
    for (let attempt = 0; ; attempt++) {
      const headers = { Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const sent = auth ? token : null;
      if (sent) headers.Authorization = 'Bearer ' + sent;
      let res;
      try {
        res = await adapter.request({ method, url: baseUrl + path, headers, body: body === undefined ? undefined : JSON.stringify(body), timeoutMs });
      } catch (e) {
        throw new ApiError(0, 'network_error', '网络连接失败，请检查网络后重试');
      }
      if (res.status >= 200 && res.status < 300) return res.status === 204 ? null : res.data;
      const err = toError(res);
      if (res.status === 401 && sent) {
        if (token === sent) setToken(null);
        events.emit('unauthorized', err);
      } else if (res.status === 403 && err.code === 'account_disabled') {
        setToken(null);
        events.emit('account_disabled', err);
      }
      if (res.status === 429 || res.status === 503) {
        const wait = err.retryAfter != null ? err.retryAfter : 2 ** (attempt + 1);
        if (attempt < retries && wait <= maxWaitS) {
          events.emit('backoff', { status: res.status, code: err.code, retryAfter: wait });
          await sleep(Math.max(wait, 1) * 1000);
          continue;
        }
      }
      throw err;
    }
  }

  /** A random id per installation, sent at every check-in (tells one phone from another). */
  function deviceId() {
    let id = storage.get('shigang.device_id');
    if (!id) { id = randomId(); storage.set('shigang.device_id', id); }
    return id;
  }

  /**
   * Scan sign-in on a computer (扫码登录): show `qrUrl`, then `await wait()`, which polls until the
   * trainee confirms in the mini-program, keeps the token and resolves to the trainee; it rejects
   * with ApiError 'ticket_expired' (410) when the code lapses: start a new one.
   */
  async function startWebLogin({ pollMs = 2000 } = {}) {
    const created = await api('POST', '/api/v1/auth/web-login-tickets', undefined, { auth: false });
    let cancelled = false;
    const path = '/api/v1/auth/web-login-tickets/' + created.ticket;
    return {
      ticket: created.ticket,
      qrUrl: baseUrl + created.qr_url,
      expiresIn: created.expires_in,
      cancel() { cancelled = true; },
      async wait() {
        while (!cancelled) {
          const state = await api('GET', path, undefined, { auth: false });
          if (state.status === 'confirmed') {
            setToken(state.token);
            events.emit('signed_in', state.trainee);
            return state.trainee;
          }
          await sleep(pollMs);
        }
        throw new ApiError(0, 'cancelled', '已取消');
      },
    };
  }

  async function signOut() {
    try { if (token) await api('POST', '/api/v1/auth/logout', undefined, { retries: 0 }); } finally { setToken(null); }
  }

  const client = {
    get token() { return token; },
    setToken,
    api,
    on: events.on,
    startWebLogin,
    signOut,
    deviceId,
    /** @param {number} lessonId @param {{projectId?: number, device?: string}} [options] */
    lesson: (lessonId, options) => createLesson(client, adapter, api, lessonId, options || {}),
  };
  return client;
}

function createLesson(client, adapter, api, lessonId, { projectId, device = '' }) {
  const events = emitter();
  const storage = adapter.storage;
  const bufferKey = 'shigang.beats.' + lessonId;
  let sessionId = null;
  let seq = 0;
  let intervalS = 30;
  let timer = null;
  let position = 0;
  let playing = false;
  let stalled = false;
  let visible = adapter.isVisible();
  let stopped = false;
  let offline = false;
  let holdUntil = 0;
  let shownChallenge = 0;
  let shownFace = 0;
  const faceIds = {};
  let queue = Promise.resolve();
  let unwatch = null;

  const active = () => playing && visible && !stalled && !stopped && sessionId !== null;
  const beatsPath = () => '/api/v1/sessions/' + sessionId + '/heartbeats';

  /** @returns {{session_id: number, beats: object[]}|null} */
  const readBuffer = () => readJSON(storage, bufferKey);
  function writeBuffer(beats) {
    if (beats.length) storage.set(bufferKey, JSON.stringify({ session_id: sessionId, beats: beats.slice(-MAX_BATCH) }));
    else storage.remove(bufferKey);
  }
  const buffered = () => { const b = readBuffer(); return b && b.session_id === sessionId ? b.beats : []; };

  function enqueue(fn) {
    const run = queue.then(fn);
    queue = run.catch(() => {});
    return run;
  }

  function schedule() {
    if (timer !== null) { adapter.clearTimeout(timer); timer = null; }
    if (stopped || sessionId === null) return;
    const wait = Math.max(intervalS * 1000, holdUntil - adapter.now());
    if (active()) {
      timer = adapter.setTimeout(() => { timer = null; send(true); schedule(); }, intervalS * 1000);
    } else if (buffered().length) {
      // Paused while offline: keep trying to hand the buffered beats over.
      timer = adapter.setTimeout(() => { timer = null; enqueue(flush).then(schedule, schedule); }, wait);
    }
  }

  function handleReply(/** @type {BeatReply} */ reply) {
    seq = Math.max(seq, reply.acked_seq);
    events.emit('credit', { credited_s: reply.credited_s, acked_seq: reply.acked_seq, notice: reply.notice || null, position_s: position });
    if (reply.notice) events.emit('notice', reply.notice);
    if (reply.challenge && reply.challenge.id !== shownChallenge) {
      shownChallenge = reply.challenge.id;
      events.emit('attention_check', reply.challenge);
    }
    showFace(reply.face_check);
  }

  function showFace(check) {
    if (!check) return;
    faceIds[check.verify_id] = check.id;
    if (check.id !== shownFace) { shownFace = check.id; events.emit('face_check', check); }
  }

  function finish(reason, detail) {
    if (stopped) return;
    stopped = true;
    if (timer !== null) { adapter.clearTimeout(timer); timer = null; }
    if (unwatch) unwatch();
    storage.remove(bufferKey);
    events.emit('stopped', Object.assign({ reason }, detail));
  }

  /** A refusal that ends the session (closed, signed out, disabled): true if it was one. */
  function closing(err) {
    const event = CLOSED[err.code];
    if (event) { events.emit(event, err); finish(err.code, { error: err }); return true; }
    if (err.status === 401 || err.status === 403 || err.status === 404) { finish(err.code, { error: err }); return true; }
    return false;
  }

  function wentOffline() { if (!offline) { offline = true; events.emit('offline'); } }
  function cameOnline() { if (offline) { offline = false; events.emit('online'); } }

  /** Send the buffered beats as one batch; a refused batch is dropped with the server's reason. */
  async function flush() {
    const beats = buffered();
    if (!beats.length || stopped || adapter.now() < holdUntil) return;
    try {
      const reply = await api('POST', beatsPath(), { beats }, { retries: 0 });
      writeBuffer([]);
      cameOnline();
      handleReply(reply);
    } catch (err) {
      if (err.status === 0) return wentOffline();
      if (err.status === 429 || err.status === 503) { holdUntil = adapter.now() + 1000 * (err.retryAfter || intervalS); return; }
      writeBuffer([]);
      cameOnline();
      if (!closing(err)) events.emit('error', err);
    }
  }

  /** One beat now (live, or into the buffer while offline or held back). */
  function send(isPlaying, answer) {
    const beat = { seq: ++seq, client_ts: Math.floor(adapter.now()), position_s: Math.max(0, Math.floor(position)), playing: isPlaying };
    return enqueue(async () => {
      if (stopped) return null;
      if (offline || buffered().length || adapter.now() < holdUntil) {
        writeBuffer([...buffered(), beat]);
        await flush();
        if (!active()) schedule();
        if (answer) throw new ApiError(0, 'network_error', '网络连接失败，答案未提交，请稍后再试');
        return null;
      }
      const body = answer ? Object.assign({ challenge_answer: answer }, beat) : beat;
      try {
        const reply = await api('POST', beatsPath(), body, { retries: 0 });
        handleReply(reply);
        return reply;
      } catch (err) {
        if (err.status === 0 || err.status === 429 || err.status === 503) {
          if (err.status === 0) wentOffline();
          else holdUntil = adapter.now() + 1000 * (err.retryAfter || intervalS);
          writeBuffer([...buffered(), beat]);
          schedule();
        } else if (!closing(err)) {
          events.emit('error', err);
        }
        if (answer) throw err;
        return null;
      }
    });
  }

  /** Media or visibility changed: one beat at once, then the timer as the new state says. */
  function changed(update) {
    const before = active();
    update();
    const after = active();
    if (before !== after) send(after);
    if (before !== after || !after) schedule();
  }

  /** Beats a previous page of this lesson left in storage (closed or offline): sent first. */
  async function sendLeftovers() {
    const left = readJSON(storage, bufferKey);
    storage.remove(bufferKey);
    if (!left || !left.beats || !left.beats.length) return;
    try {
      await api('POST', '/api/v1/sessions/' + left.session_id + '/heartbeats', { beats: left.beats }, { retries: 0 });
    } catch (err) {
      events.emit('error', err);
    }
  }

  return {
    on: events.on,
    get sessionId() { return sessionId; },
    get offline() { return offline; },
    /** Check in (签到); resolves to the check-in answer {session_id, heartbeat_interval_s, server_ts, face_check}. */
    async start() {
      if (sessionId !== null || stopped) throw new ApiError(0, 'already_started', '本课节已开始');
      await sendLeftovers();
      const body = { client_ts: Math.floor(adapter.now()), device, device_id: client.deviceId() };
      if (projectId) body.project_id = projectId;
      const answer = await api('POST', '/api/v1/lessons/' + lessonId + '/sessions', body, { retries: 3, maxWaitS: 120 });
      sessionId = answer.session_id;
      intervalS = Math.max(1, answer.heartbeat_interval_s);
      seq = 0;
      unwatch = adapter.onVisibilityChange((isVisible) => changed(() => { visible = isVisible; }));
      visible = adapter.isVisible();
      showFace(answer.face_check);
      schedule();
      return answer;
    },
    mediaPlaying() { changed(() => { playing = true; stalled = false; }); },
    mediaPaused() { changed(() => { playing = false; }); },
    mediaStalled() { changed(() => { stalled = true; }); },
    /** The media reached its end: check out. */
    mediaEnded() { playing = false; return checkOut('ended'); },
    /** @param {number} seconds the playback position, sent with the beats */
    setPosition(seconds) { position = seconds; },
    /**
     * Answer the open attention check; resolves to the beat's answer (a wrong or late answer brings
     * a new 'attention_check').
     * @param {number} id @param {string} answer
     */
    answer(id, answer) { return send(active(), { id, answer: String(answer) }); },
    /** Ask the server for the result of a face check the host has run; emits a new 'face_check' if it failed. */
    async faceCheckResult(verifyId) {
      const id = faceIds[verifyId];
      if (!id) throw new ApiError(0, 'unknown_face_check', '没有这项人脸核身');
      const result = await api('POST', '/api/v1/face-checks/' + id + '/result', undefined, { retries: 2, maxWaitS: 30 });
      showFace(result.face_check);
      return result;
    },
    /** Check out (签退); resolves to {session_id, credited_s, lesson_credited_s, completed}. */
    stop() { return checkOut('stopped'); },
  };

  async function checkOut(reason) {
    if (sessionId === null || stopped) return null;
    playing = false;
    schedule();
    return enqueue(async () => {
      if (stopped) return null;
      await flush();
      try {
        const result = await api('POST', '/api/v1/sessions/' + sessionId + '/end', { position_s: Math.max(0, Math.floor(position)) });
        finish(reason, result);
        return result;
      } catch (err) {
        if (!closing(err)) { events.emit('error', err); finish(err.code, { error: err }); }
        return null;
      }
    });
  }
}
