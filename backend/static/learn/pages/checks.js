// The attention-check dialog (随机弹题) and the face-check step (人脸核身 on a computer: scan the
// code with the mini-program, which runs wx.requestFacialVerify; this page follows the result).
import { LETTERS, errorText, h, modal, statusLine } from '../ui.js';
import { api } from '../session.js';

const FACE_POLL_MS = 2000;

/** Show a challenge; ``send(answer)`` hands the answer to the SDK (sent with the next beat). */
export function attentionDialog(challenge, send) {
  const status = statusLine();
  const form = h('form', { class: 'attention' });
  let input;
  if (challenge.kind === 'question') {
    const type = challenge.multiple ? 'checkbox' : 'radio';
    form.append(h('p', { class: 'prompt' }, challenge.prompt),
      ...challenge.options.map((text, i) => h('label', { class: 'option' },
        h('input', { type, name: 'answer', value: LETTERS[i] }), h('span', null, `${LETTERS[i]}. ${text}`))));
  } else {
    input = h('input', { name: 'answer', autocomplete: 'off', maxlength: 64, 'aria-label': '验证码' });
    form.append(h('p', { class: 'prompt' }, challenge.prompt), input);
  }
  const left = h('p', { class: 'muted' });
  form.append(left, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '提交答案')), status);
  const timer = setInterval(() => {
    const s = Math.ceil((challenge.expires_ts - Date.now()) / 1000);
    left.textContent = s > 0 ? `请在 ${s} 秒内作答` : '已超时，本段时长不计入，稍后会出现新的题目。';
  }, 1000);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = input ? input.value.trim()
      : [...form.querySelectorAll('input:checked')].map((i) => i.value).join('');
    if (!answer) { status.textContent = '请先作答。'; return; }
    status.textContent = '已提交，正在确认…';
    try {
      await send(answer);
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  const box = modal('随机弹题：请确认你在学习', h('p', { class: 'muted' }, '答对后继续计时。'), form);
  return { close() { clearInterval(timer); box.close(); } };
}

/** The face check on a computer: show its mini-program code, follow the result. */
export function faceCheckDialog(check, session, done) {
  const img = h('img', { alt: '人脸核身小程序码', width: 200, height: 200 });
  const status = statusLine();
  const retry = h('button', { type: 'button', hidden: true }, '我已完成，查询结果');
  let timer = null;
  let current = check;
  let closed = false;

  async function show(faceCheck) {
    current = faceCheck;
    try {
      const code = await api('GET', `/face-checks/${faceCheck.id}/wxacode`);
      img.src = code.image;
    } catch (error) {
      status.textContent = errorText(error);
    }
    poll();
  }

  async function passed() {
    status.textContent = '核身通过，继续学习。';
    closed = true;
    done();
  }

  // The phone asks the server for the result (POST …/result); this page follows the check
  // without side effects until it is decided.
  async function poll() {
    clearTimeout(timer);
    if (closed) return;
    try {
      const state = await api('GET', `/face-checks/${current.id}`);
      if (state.outcome === 'passed') {
        await session.faceCheckResult(current.verify_id).catch(() => null);
        passed();
        return;
      }
      if (state.outcome !== 'pending') {
        // A failed or expired check brings a new one with the next beat: its code replaces this.
        status.textContent = `${state.reason || '核身未通过'}。稍后显示新的小程序码，请重新扫码。`;
        img.hidden = true;
        retry.hidden = true;
        return;
      }
    } catch (error) {
      status.textContent = errorText(error);
    }
    retry.hidden = false;
    timer = setTimeout(poll, FACE_POLL_MS);
  }

  // “我已完成”: ask WeChat through the server now (the phone may not have reported).
  async function askNow() {
    retry.disabled = true;
    try {
      const result = await session.faceCheckResult(current.verify_id);
      if (result && result.passed) { passed(); return; }
      status.textContent = `${(result && result.reason) || '核身未通过'}，请扫描新的小程序码。`;
    } catch (error) {
      status.textContent = errorText(error);
    } finally {
      retry.disabled = false;
    }
  }

  retry.addEventListener('click', askNow);
  const box = modal('人脸核身', h('p', null, '请用微信扫描下方小程序码，在手机上完成人脸核身。核身通过前不计时。'),
    img, status, h('div', { class: 'actions' }, retry));
  show(check);
  return { close() { closed = true; clearTimeout(timer); box.close(); } };
}
