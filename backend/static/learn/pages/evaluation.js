// The course evaluation: four ratings from 1 to 5 and a comment; changed until the project closes.
import { errorText, h, heading, mount, statusLine } from '../ui.js';
import { api } from '../session.js';

const ASPECTS = [
  ['overall', '总体评价'], ['content', '课程内容'], ['teaching', '授课讲解'], ['platform', '平台使用'],
];
const WORDS = ['', '很差', '较差', '一般', '较好', '很好'];

export async function render([projectId]) {
  let current = null;
  try {
    current = await api('GET', `/projects/${projectId}/evaluation`);
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const status = statusLine();
  const comment = h('textarea', { name: 'comment', maxlength: 500, rows: 4, id: 'comment' });
  comment.value = current ? current.comment : '';
  const rows = ASPECTS.map(([key, label]) => h('fieldset', { class: 'rating' },
    h('legend', null, label),
    [1, 2, 3, 4, 5].map((n) => h('label', { class: 'star' },
      h('input', { type: 'radio', name: key, value: n, required: true,
        checked: current ? current[key] === n : false }),
      h('span', null, `${n} ${WORDS[n]}`)))));
  const form = h('form', { class: 'card evaluation' }, ...rows,
    h('label', { for: 'comment' }, '意见和建议（选填，500 字以内）'), comment,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '提交评价')), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { comment: comment.value };
    for (const [key] of ASPECTS) {
      const picked = form.querySelector(`input[name="${key}"]:checked`);
      if (!picked) { status.textContent = '请为每一项打分。'; return; }
      body[key] = Number(picked.value);
    }
    try {
      const saved = await api('POST', `/projects/${projectId}/evaluation`, body);
      status.textContent = saved.created ? '感谢你的评价，已提交。' : '评价已更新。';
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  mount(heading('培训评价', [`#/projects/${projectId}`, '返回项目']),
    h('p', { class: 'muted' }, current ? '你已评价过，可以修改后再次提交（项目结束前）。' : '1 分最低，5 分最高。'),
    form);
}
