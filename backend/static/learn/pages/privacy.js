// The privacy notice (个人信息处理规则), readable before signing in.
import { h, heading, mount } from '../ui.js';
import { api, signedIn } from '../session.js';

export async function render() {
  const notice = await api('GET', '/privacy-notice');
  const paragraphs = notice.text.split(/\n+/).filter(Boolean).map((line) => h('p', null, line));
  mount(
    heading(notice.title, signedIn() ? ['#/', '我的项目'] : ['#/signin', '登录']),
    h('article', { class: 'card prose' }, ...paragraphs,
      h('p', { class: 'muted' }, `版本 ${notice.version}`)),
  );
}
