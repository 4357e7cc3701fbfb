// The portal's router: #/path → a page module, loaded when first needed.
import { errorText, h, heading, mount } from './ui.js';
import { client, signedIn } from './session.js';

const ROUTES = [
  [/^\/signin$/, 'signin', false],
  [/^\/privacy$/, 'privacy', false],
  [/^\/$/, 'projects', true],
  [/^\/projects\/(\d+)$/, 'project', true],
  [/^\/projects\/(\d+)\/lessons\/(\d+)$/, 'player', true],
  [/^\/projects\/(\d+)\/evaluation$/, 'evaluation', true],
  [/^\/projects\/(\d+)\/quizzes\/(\d+)$/, 'quiz', true],
  [/^\/attempts\/(\d+)$/, 'quiz', true],
  [/^\/support$/, 'support', true],
  [/^\/support\/(new|\d+)$/, 'support', true],
];

let leave = null; // the current page's clean-up (the player stops its session)
let generation = 0;

async function route() {
  const path = (location.hash || '#/').slice(1) || '/';
  const match = ROUTES.map(([re, name, auth]) => [path.match(re), name, auth])
    .find(([m]) => m);
  document.getElementById('nav').hidden = !signedIn();
  if (leave) {
    const done = leave;
    leave = null;
    try { await done(); } catch (e) { /* leaving never blocks navigation */ }
  }
  const mine = ++generation;
  if (!match) {
    mount(heading('页面不存在'), h('p', null, h('a', { href: '#/' }, '返回我的项目')));
    return;
  }
  const [m, name, auth] = match;
  if (auth && !signedIn()) {
    location.replace('#/signin');
    return;
  }
  try {
    const page = await import(`./pages/${name}.js`);
    if (mine !== generation) return;
    const cleanup = await page.render(m.slice(1), path);
    if (mine === generation) leave = typeof cleanup === 'function' ? cleanup : null;
    else if (typeof cleanup === 'function') cleanup();
  } catch (error) {
    if (mine !== generation) return;
    mount(heading('出错了'), h('p', { class: 'error' }, errorText(error)),
      h('p', null, h('a', { href: '#/' }, '返回我的项目')));
  }
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try { await client.signOut(); } catch (e) { /* signed out here either way */ }
  location.hash = '#/signin';
});
window.addEventListener('hashchange', route);
window.addEventListener('pagehide', () => { if (leave) leave(); });
route();
