// Sign-in on a computer: scan the mini-program code with WeChat and confirm in the mini-program.
import { errorText, h, heading, mount, statusLine } from '../ui.js';
import { api, signIn, signedIn } from '../session.js';

const POLL_MS = 2000;

export async function render() {
  if (signedIn()) {
    location.replace('#/');
    return undefined;
  }
  const img = h('img', { class: 'qr', alt: '登录小程序码', width: 240, height: 240 });
  const frame = h('div', { class: 'qr-frame' }, img);
  const status = statusLine();
  const countdown = h('p', { class: 'muted', id: 'qr-expiry' });
  const refresh = h('button', { type: 'button', class: 'primary', hidden: true }, '刷新二维码');
  let timer = null;
  let tick = null;
  let stopped = false;

  function stop() {
    clearTimeout(timer);
    clearInterval(tick);
  }

  function expired(text) {
    stop();
    frame.classList.add('expired');
    status.textContent = text;
    countdown.textContent = '';
    refresh.hidden = false;
  }

  async function poll(ticket) {
    if (stopped) return;
    try {
      const answer = await api('GET', `/auth/web-login-tickets/${ticket}`);
      if (answer.status === 'confirmed') {
        stop();
        signIn(answer.token);
        status.textContent = `${answer.trainee ? answer.trainee.name + '，' : ''}登录成功，正在进入…`;
        location.replace('#/');
        return;
      }
      if (answer.status === 'scanned') status.textContent = '已扫码，请在手机上确认登录。';
    } catch (error) {
      if (error.status === 410) return expired('二维码已失效，请刷新后重新扫码。');
      if (error.status !== 0 && error.status !== 429 && error.status !== 503) {
        return expired(errorText(error));
      }
      status.textContent = '网络不稳定，正在重试…';
    }
    timer = setTimeout(() => poll(ticket), POLL_MS);
  }

  async function start() {
    stop();
    refresh.hidden = true;
    frame.classList.remove('expired');
    status.textContent = '正在生成二维码…';
    let ticket;
    try {
      ticket = await api('POST', '/auth/web-login-tickets');
    } catch (error) {
      status.textContent = errorText(error);
      refresh.hidden = false;
      return;
    }
    img.src = ticket.qr_url;
    status.textContent = '请用微信扫描二维码，在“适岗”小程序中确认登录。';
    const deadline = Date.now() + ticket.expires_in * 1000;
    const show = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) return expired('二维码已过期，请刷新后重新扫码。');
      countdown.textContent = `二维码 ${left} 秒后过期`;
      return undefined;
    };
    show();
    tick = setInterval(show, 1000);
    timer = setTimeout(() => poll(ticket.ticket), POLL_MS);
  }

  refresh.addEventListener('click', start);
  mount(
    heading('扫码登录'),
    h('section', { class: 'card signin' },
      frame, status, countdown, refresh,
      h('ol', { class: 'steps' },
        h('li', null, '打开微信，扫描上方小程序码；'),
        h('li', null, '首次使用请先在小程序中绑定平台登录账号；'),
        h('li', null, '在小程序中点“确认登录”，本页自动进入学习。')),
      h('p', { class: 'muted' }, '登录状态只保存在本浏览器标签页中，关闭标签页即退出。登录即表示同意',
        h('a', { href: '#/privacy' }, '个人信息处理规则'), '。')),
  );
  start();
  return () => {
    stopped = true;
    stop();
  };
}
