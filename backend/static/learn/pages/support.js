// Online support: my questions, a new question, a conversation with replies and read state.
// Which replies were read is remembered in this browser (localStorage: thread id → last message id
// seen); it holds ids only, nothing personal.
import { errorText, h, heading, mount, statusLine, when } from '../ui.js';
import { api } from '../session.js';

const SEEN_KEY = 'shigang.portal.support-seen';

function seenMap() {
  try { return JSON.parse(localStorage.getItem(SEEN_KEY) || '{}'); } catch (e) { return {}; }
}

function markSeen(thread) {
  const seen = seenMap();
  const last = thread.messages.length ? thread.messages[thread.messages.length - 1].id : 0;
  seen[thread.id] = last;
  localStorage.setItem(SEEN_KEY, JSON.stringify(seen));
}

function unread(thread, seen) {
  const mark = seen[thread.id] || 0;
  return thread.messages.filter((m) => m.author_kind !== 'trainee' && m.id > mark).length;
}

function stateText(thread) {
  if (thread.status === 'closed') return '已结束';
  const last = thread.messages[thread.messages.length - 1];
  return last && last.author_kind !== 'trainee' ? '客服已回复' : '等待客服回复';
}

async function list() {
  const data = await api('GET', '/support/threads');
  const seen = seenMap();
  mount(
    heading('在线支持', ['#/', '我的项目']),
    h('p', null, h('a', { class: 'button primary', href: '#/support/new' }, '提问')),
    h('section', { class: 'card' }, h('h2', null, '我的问题'),
      data.threads.length ? h('ul', { class: 'threads' }, data.threads.map((t) => {
        const n = unread(t, seen);
        return h('li', { 'data-thread': t.id },
          h('a', { href: `#/support/${t.id}` }, t.subject),
          n ? h('span', { class: 'badge new' }, `${n} 条新回复`) : null,
          h('p', { class: 'muted' }, `${stateText(t)} · ${when(t.updated_at)}`));
      })) : h('p', { class: 'muted' }, '还没有提问。学习中遇到问题，可以在这里留言，企业培训管理员会回复。')),
  );
}

function newQuestion() {
  const subject = h('input', { id: 'subject', name: 'subject', maxlength: 100, required: true });
  const body = h('textarea', { id: 'body', name: 'body', maxlength: 1000, rows: 6, required: true });
  const status = statusLine();
  const form = h('form', { class: 'card' },
    h('label', { for: 'subject' }, '问题标题'), subject,
    h('label', { for: 'body' }, '问题描述'), body,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '提交问题')), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const thread = await api('POST', '/support/threads', { subject: subject.value, body: body.value });
      markSeen(thread);
      location.hash = `#/support/${thread.id}`;
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  mount(heading('提问', ['#/support', '在线支持']), form);
}

async function conversation(id) {
  const thread = await api('GET', `/support/threads/${id}`);
  const seen = seenMap()[thread.id] || 0;
  const messages = h('ol', { class: 'messages' }, thread.messages.map((m) => h('li', {
    class: `message ${m.author_kind === 'trainee' ? 'mine' : 'theirs'}${m.id > seen && m.author_kind !== 'trainee' ? ' unread' : ''}`,
  },
  h('p', { class: 'who' }, m.author_kind === 'trainee' ? '我' : '客服', ' · ', when(m.created_at),
    m.id > seen && m.author_kind !== 'trainee' ? h('span', { class: 'badge new' }, '新') : null),
  h('p', { class: 'text' }, m.body))));
  markSeen(thread);
  const reply = h('textarea', { id: 'reply', maxlength: 1000, rows: 3, required: true });
  const status = statusLine();
  const form = h('form', { class: 'card' }, h('label', { for: 'reply' }, '继续留言'), reply,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '发送')), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/support/threads/${id}/messages`, { body: reply.value });
      await conversation(id);
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  mount(heading(thread.subject, ['#/support', '在线支持']),
    h('p', { class: 'muted', id: 'thread-state' }, stateText(thread)),
    h('section', { class: 'card' }, messages), form);
}

export async function render([which]) {
  if (!which) return list();
  if (which === 'new') return newQuestion();
  return conversation(which);
}
