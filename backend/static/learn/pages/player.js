// The player: a lesson's media (video, audio) or document with its reading timer, driven by the
// SDK's lesson session. Beats go only while the media plays and the page is visible (the SDK);
// this page tells the SDK what the media element does and says why the credit stops.
import { KIND_NAMES, clock, duration, errorText, h, heading, mount, progressBar } from '../ui.js';
import { api, client } from '../session.js';
import { attentionDialog, faceCheckDialog } from './checks.js';

const COMPLETE_SHARE = 0.95;

export async function render([projectId, lessonId]) {
  const list = await api('GET', `/projects/${projectId}/lessons`);
  const lesson = list.lessons.find((l) => String(l.lesson_id) === lessonId);
  if (!lesson) throw { status: 404, message: '课节不存在或不在本项目中' };
  if (lesson.locked) throw { status: 409, message: '本项目需按顺序学习：请先完成上一课节。' };
  const back = [`#/projects/${projectId}`, '返回课程'];
  const base = lesson.credited_s; // credited before this visit (all sessions, live credit too)
  const state = {
    started: false, playing: false, hidden: document.hidden, stalled: false, ended: false,
    offline: false, check: null, notice: null, over: null, sessionCredit: 0,
  };

  // --- figures ---
  const lessonFigure = h('strong', { id: 'lesson-credit' });
  const sessionFigure = h('strong', { id: 'session-credit' }, duration(0));
  const stateLine = h('strong', { class: 'state', id: 'credit-state' });
  const why = h('p', { class: 'why', id: 'credit-why', role: 'status', 'aria-live': 'polite' });
  const barBox = h('div');
  function paint() {
    const total = Math.min(lesson.duration_s, base + state.sessionCredit);
    lessonFigure.textContent = `${duration(total)} / ${duration(lesson.duration_s)}`;
    sessionFigure.textContent = duration(state.sessionCredit);
    barBox.replaceChildren(progressBar(total, lesson.duration_s, '本课节已计入'));
    const reason = stopReason();
    const counting = state.started && !reason;
    stateLine.textContent = counting ? '正在计时' : (state.started ? '已停止计时' : '未开始');
    stateLine.className = `state ${counting ? 'counting' : 'stopped'}`;
    why.textContent = reason || (total >= lesson.duration_s * COMPLETE_SHARE
      ? '本课节已完成（学满时长的 95%）。' : '');
  }
  function stopReason() {
    if (state.over) return state.over;
    if (!state.started) return isMedia ? '点“开始学习”后开始计时。' : '点“开始学习”后开始阅读计时。';
    if (state.check === 'attention') return '请先回答随机弹题，答对后继续计时。';
    if (state.check === 'face') return '请先完成人脸核身，通过后继续计时。';
    if (state.notice) return state.notice;
    if (state.offline) return '网络中断：学习记录暂存在本页，网络恢复后自动补传。';
    if (state.hidden) return '页面不在前台，暂停计时。';
    if (state.ended) return isMedia ? '已播放到结尾，停止计时。' : '';
    if (state.stalled) return '正在缓冲，缓冲时不计时。';
    if (!state.playing) return isMedia ? '已暂停，暂停时不计时。' : '已暂停阅读，暂停时不计时。';
    return '';
  }

  // --- the media or the document ---
  const isMedia = lesson.kind === 'video' || lesson.kind === 'audio';
  let media = null;
  let reader = null;
  let readTimer = null;
  let readSeconds = lesson.resume_position_s || 0;
  const readClock = h('div', { class: 'doc-timer', id: 'read-clock' }, clock(readSeconds));
  const readToggle = h('button', { type: 'button', id: 'read-toggle', disabled: true }, '开始阅读');
  if (isMedia) {
    media = h(lesson.kind, { controls: true, preload: 'metadata', id: 'media',
      src: lesson.media_url || undefined, playsinline: true });
    media.setAttribute('controlslist', 'nodownload');
  } else {
    reader = h('div', { class: 'document' },
      lesson.media_url ? h('iframe', { src: lesson.media_url, title: lesson.title, class: 'doc-frame' }) : null,
      lesson.media_url ? h('p', null, h('a', { href: lesson.media_url, target: '_blank', rel: 'noopener' },
        '在新窗口打开文档'), h('span', { class: 'muted' }, '（新窗口阅读时本页在后台，不计时）')) : null,
      h('p', { class: 'muted' }, `阅读计时：本文档计 ${duration(lesson.duration_s)}，阅读时请保持本页在前台。`),
      readClock, readToggle);
  }

  const startButton = h('button', { type: 'button', class: 'primary', id: 'start' }, '开始学习');
  const startError = h('p', { class: 'error', role: 'alert' });
  mount(
    heading(lesson.title, back),
    h('p', { class: 'muted' }, `${lesson.course_name} · ${KIND_NAMES[lesson.kind]} · ${duration(lesson.duration_s)}`),
    h('section', { class: 'card player' }, media || reader,
      h('div', { class: 'actions' }, startButton), startError),
    h('section', { class: 'card' }, h('h2', null, '学习计时'),
      h('div', { class: 'meter' },
        h('div', null, lessonFigure, h('small', null, '本课节已计入 / 课节时长')),
        h('div', null, sessionFigure, h('small', null, '本次已计入')),
        h('div', null, stateLine, h('small', null, '计时状态'))),
      barBox, why,
      h('p', { class: 'note' }, '只计视频、音频实际播放（或文档阅读）且本页在前台的时间，以服务器时间为准；'
        + '暂停、缓冲、页面切到后台、播放结束时停止计时；拖动进度条不会多计时长；'
        + '每天最多计入的时长有上限；换到另一台设备学习会结束这里的学习。')),
  );
  paint();

  // --- the SDK's lesson session ---
  const session = client.lesson(Number(lessonId), {
    projectId: Number(projectId), device: navigator.userAgent.slice(0, 120),
  });
  let dialog = null;
  const closeDialog = () => { if (dialog) { dialog.close(); dialog = null; } };
  session.on('credit', (event) => {
    if (typeof event.credited_s === 'number') state.sessionCredit = event.credited_s;
    state.notice = event.notice ? event.notice.message : null;
    paint();
  });
  session.on('attention_check', (challenge) => {
    state.check = 'attention';
    paint();
    closeDialog();
    dialog = attentionDialog(challenge, async (answer) => {
      const reply = await session.answer(challenge.id, answer);
      // Right: the beat's answer carries no check. Wrong or late: a new check, which the SDK
      // emits as 'attention_check' (a new dialog).
      if (reply && !reply.challenge) {
        state.check = null;
        closeDialog();
        paint();
      }
      return reply;
    });
  });
  session.on('face_check', (check) => {
    state.check = 'face';
    paint();
    closeDialog();
    dialog = faceCheckDialog(check, session, () => { state.check = null; closeDialog(); paint(); });
  });
  const finish = (text) => () => {
    state.over = text;
    closeDialog();
    if (media) media.pause();
    stopReading();
    startButton.hidden = true;
    paint();
  };
  session.on('session_superseded', finish('你已在另一台设备上开始学习，这里的学习已结束。'));
  session.on('session_ended', finish('本次学习已结束。刷新页面可继续学习。'));
  session.on('project_closed', finish('培训项目已结束，不能再学习。'));
  session.on('notice', (notice) => { state.notice = notice.message; paint(); });
  session.on('stopped', (event) => {
    if (state.over) return;
    if (event.reason === 'ended') {
      if (typeof event.lesson_credited_s === 'number') {
        state.sessionCredit = Math.max(0, event.lesson_credited_s - base);
      }
      finish(event.completed ? '已播放到结尾并签退：本课节已完成。' : '已播放到结尾并签退，本次学习已计入。')();
    } else if (event.reason !== 'stopped') {
      finish(event.error ? errorText(event.error) : '本次学习已结束。')();
    }
  });
  session.on('offline', () => { state.offline = true; paint(); });
  session.on('online', () => { state.offline = false; paint(); });
  session.on('error', (error) => { why.textContent = errorText(error); });

  async function start() {
    startButton.disabled = true;
    startError.textContent = '';
    try {
      await session.start();
    } catch (error) {
      startButton.disabled = false;
      startError.textContent = errorText(error);
      return;
    }
    state.started = true;
    startButton.hidden = true;
    if (media) {
      if (lesson.resume_position_s > 0 && lesson.resume_position_s < lesson.duration_s - 5) {
        media.currentTime = lesson.resume_position_s;
      }
      media.play().catch(() => { why.textContent = '请点击播放按钮开始播放。'; });
    } else {
      readToggle.disabled = false;
      startReading();
    }
    paint();
  }
  startButton.addEventListener('click', start);

  // --- what the media does, told to the SDK ---
  if (media) {
    media.addEventListener('playing', () => {
      Object.assign(state, { playing: true, stalled: false, ended: false });
      if (state.started) session.mediaPlaying();
      paint();
    });
    media.addEventListener('pause', () => {
      state.playing = false;
      if (state.started && !media.ended) session.mediaPaused();
      paint();
    });
    media.addEventListener('ended', () => {
      Object.assign(state, { playing: false, ended: true });
      if (state.started) session.mediaEnded();
      paint();
    });
    for (const name of ['waiting', 'stalled']) {
      media.addEventListener(name, () => {
        if (media.paused) return;
        state.stalled = true;
        if (state.started) session.mediaStalled();
        paint();
      });
    }
    media.addEventListener('timeupdate', () => session.setPosition(Math.floor(media.currentTime)));
  }

  // --- the reading timer of a document ---
  function startReading() {
    if (readTimer || state.over) return;
    state.playing = true;
    readToggle.textContent = '暂停阅读';
    session.mediaPlaying();
    readTimer = setInterval(() => {
      if (document.hidden || state.check) return;
      readSeconds += 1;
      readClock.textContent = clock(readSeconds);
      session.setPosition(readSeconds);
    }, 1000);
    paint();
  }
  function stopReading() {
    if (!readTimer) return;
    clearInterval(readTimer);
    readTimer = null;
    state.playing = false;
    readToggle.textContent = '继续阅读';
    paint();
  }
  readToggle.addEventListener('click', () => {
    if (readTimer) { stopReading(); session.mediaPaused(); } else startReading();
  });

  const onVisibility = () => { state.hidden = document.hidden; paint(); };
  document.addEventListener('visibilitychange', onVisibility);

  return async () => {
    document.removeEventListener('visibilitychange', onVisibility);
    clearInterval(readTimer);
    closeDialog();
    if (media) media.pause();
    if (state.started) await session.stop();
  };
}
