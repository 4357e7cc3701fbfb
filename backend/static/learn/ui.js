// Small DOM helpers of the portal. Text from the server always goes in as text, never markup.

/**
 * Build an element: h('p', {class: 'x', onclick: fn}, 'text', child).
 * @param {string} tag
 * @param {Record<string, any>|null} [attrs]
 * @param {...any} children strings, numbers, nodes, arrays, null (skipped)
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the main area with ``nodes`` and move focus there (screen readers, keyboards). */
export function mount(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes.flat().filter(Boolean));
  window.scrollTo(0, 0);
  return main;
}

/** A page title with an optional back link. */
export function heading(text, back) {
  return h('div', { class: 'heading' },
    back ? h('a', { class: 'back', href: back[0] }, '‹ ', back[1]) : null,
    h('h1', null, text));
}

/** Seconds as 1 小时 5 分 3 秒 (leading zero parts omitted). */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (hours) return `${hours} 小时 ${minutes} 分`;
  if (minutes) return `${minutes} 分 ${rest} 秒`;
  return `${rest} 秒`;
}

/** Seconds as m:ss or h:mm:ss (media positions and countdowns). */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const pad = (n) => String(n).padStart(2, '0');
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return hours ? `${hours}:${pad(minutes)}:${pad(s % 60)}` : `${minutes}:${pad(s % 60)}`;
}

/** Fen as 元 with two decimals only when needed. */
export function yuan(fen) {
  const value = (fen || 0) / 100;
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const BEIJING = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hour12: false,
});

/** An ISO time as Beijing time, 2026/12/06 14:05. */
export function when(iso) {
  return iso ? BEIJING.format(new Date(iso)) : '';
}

/** The error as a sentence: the server's Chinese message, or a network problem. */
export function errorText(error) {
  if (error && error.message && error.status) return error.message;
  if (error && error.status === 0) return '网络连接失败，请检查网络后重试。';
  return (error && error.message) || '出错了，请稍后重试。';
}

/** A status line that can be updated: a polite live region. */
export function statusLine(cls = 'status') {
  return h('p', { class: cls, role: 'status', 'aria-live': 'polite' });
}

/** A percentage bar with its label. */
export function progressBar(part, whole, label) {
  const pct = whole > 0 ? Math.min(100, Math.floor((100 * part) / whole)) : 0;
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': pct,
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': label || '进度' });
  bar.append(h('span', { class: 'fill' }));
  bar.firstChild.style.width = `${pct}%`;
  return bar;
}

/** A modal dialog over the page; returns {el, close}. Focus moves into it. */
export function modal(title, ...body) {
  const overlay = document.getElementById('overlay');
  const box = h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true',
    'aria-label': title }, h('h2', null, title), ...body);
  overlay.replaceChildren(box);
  overlay.hidden = false;
  const first = box.querySelector('input, button');
  if (first) first.focus();
  return {
    el: box,
    close() {
      if (overlay.firstChild === box) {
        overlay.hidden = true;
        overlay.replaceChildren();
      }
    },
  };
}

export const KIND_NAMES = { video: '视频', audio: '音频', document: '文档' };
export const LETTERS = 'ABCDEF';
