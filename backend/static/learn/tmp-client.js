// TEMPORARY stand-in for client/sdk/shigang.js until the SDK lands: client.api only.
export function createClient({ baseUrl }) {
  let token = null;
  return {
    setToken(t) { token = t; },
    get token() { return token; },
    async api(method, path, body) {
      const headers = { Accept: 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      let response;
      try {
        response = await fetch(baseUrl + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw { status: 0, code: 'network_error', message: '网络连接失败，请检查网络后重试。' };
      }
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (!response.ok) {
        const err = (data && data.error) || {};
        throw { status: response.status, code: err.code || 'http_error', message: err.message || `HTTP ${response.status}` };
      }
      return data;
    },
  };
}

// TEMPORARY lesson session (replaced by the SDK's client.lesson).
export function attachLessons(client) {
  client.lesson = (lessonId, opts = {}) => {
    const handlers = {};
    const emit = (name, data) => (handlers[name] || []).forEach((fn) => fn(data));
    let session = null; let seq = 0; let timer = null; let playing = false; let position = 0;
    let pendingAnswer = null; let buffer = []; let offline = false; let stopped = false;
    const visible = () => document.visibilityState === 'visible';
    const counting = () => playing && visible();
    async function send(flagPlaying, extra) {
      if (!session || stopped) return;
      seq += 1;
      const beat = { seq, client_ts: Date.now(), position_s: Math.floor(position), playing: flagPlaying };
      if (buffer.length) {
        buffer.push(beat);
        try {
          const r = await client.api('POST', `/sessions/${session.session_id}/heartbeats`, { beats: buffer });
          buffer = []; if (offline) { offline = false; emit('online', {}); }
          handle(r);
        } catch (e) { if (e.status !== 0) { buffer = []; fail(e); } }
        return;
      }
      const body = { ...beat, ...(extra || {}) };
      try {
        handle(await client.api('POST', `/sessions/${session.session_id}/heartbeats`, body));
      } catch (e) {
        if (e.status === 0) { buffer.push(beat); if (!offline) { offline = true; emit('offline', {}); } } else fail(e);
      }
    }
    function handle(r) {
      emit('credit', r);
      if (r.challenge) emit('attention_check', r.challenge);
      if (r.face_check) emit('face_check', r.face_check);
    }
    function fail(e) {
      if (e.code === 'session_superseded') { halt(); emit('session_superseded', e); }
      else if (e.code === 'session_ended') { halt(); emit('session_ended', e); }
      else if (e.code === 'project_not_open') { halt(); emit('project_closed', e); }
      else emit('error', e);
    }
    function halt() { stopped = true; clearInterval(timer); }
    function loop() {
      clearInterval(timer);
      if (counting() && session) timer = setInterval(() => send(true, takeAnswer()), session.heartbeat_interval_s * 1000);
    }
    function takeAnswer() { const a = pendingAnswer; pendingAnswer = null; return a ? { challenge_answer: a } : null; }
    function change(nowPlaying) {
      const was = counting(); playing = nowPlaying;
      if (was !== counting()) { send(was ? false : true, takeAnswer()); loop(); }
    }
    document.addEventListener('visibilitychange', () => { if (playing) { send(visible(), null); loop(); } });
    return {
      on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
      async start() {
        session = await client.api('POST', `/lessons/${lessonId}/sessions`, { client_ts: Date.now(), device: 'browser', project_id: opts.projectId });
        playing = true; loop();
        if (session.face_check) emit('face_check', session.face_check);
        return session;
      },
      mediaPlaying() { change(true); }, mediaPaused() { change(false); }, mediaEnded() { change(false); },
      mediaStalled() { change(false); }, setPosition(s) { position = s; },
      answer(id, answer) { pendingAnswer = { id, answer }; return send(counting(), takeAnswer()); },
      async faceCheckResult(verifyId, id) { return client.api('POST', `/face-checks/${id}/result`); },
      async stop() { if (!session || stopped) return; halt(); try { await client.api('POST', `/sessions/${session.session_id}/end`, { position_s: Math.floor(position) }); } catch (e) { /* */ } emit('stopped', {}); },
    };
  };
  return client;
}
