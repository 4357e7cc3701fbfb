// Sign-in on a computer: scan the mini-program code with WeChat and confirm in the mini-program.
import { errorText, h, heading, mount, statusLine } from '../ui.js';
import { client, signedIn } from '../session.js';

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
  let tick = null;
  let stopped = false;

  function stop() {
    clearInterval(tick);
  }

  function expired(text) {
    stop();
    frame.classList.add('expired');
    status.textContent = text;
    countdown.textContent = '';
    refresh.hidden = false;
  }

  let login = null;

  async function start() {
    stop();
    if (login) login.cancel();
    refresh.hidden = true;
    frame.classList.remove('expired');
    status.textContent = '正在生成二维码…';
    try {
      login = await client.startWebLogin();
    } catch (error) {
      status.textContent = errorText(error);
      refresh.hidden = false;
      return;
    }
    img.src = login.qrUrl;
    status.textContent = '请用微信扫描二维码，在“适岗”小程序中确认登录。';
    const deadline = Date.now() + login.expiresIn * 1000;
    const show = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) {
        login.cancel();
        return expired('二维码已过期，请刷新后重新扫码。');
      }
      countdown.textContent = `二维码 ${left} 秒后过期`;
      return undefined;
    };
    show();
    tick = setInterval(show, 1000);
    const mine = login;
    try {
      const trainee = await mine.wait();
      stop();
      status.textContent = `${trainee.name}，登录成功，正在进入…`;
      location.replace('#/');
    } catch (error) {
      if (stopped || mine !== login || error.code === 'cancelled') return;
      expired(error.status === 410 ? '二维码已失效，请刷新后重新扫码。' : errorText(error));
    }
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
    if (login) login.cancel();
  };
}
