// Practice (instant feedback and explanation) and assessment (countdown, saved answers, submit).
import { LETTERS, clock, errorText, h, heading, mount, statusLine } from '../ui.js';
import { api } from '../session.js';

const KIND = { single: '单选题', multiple: '多选题', true_false: '判断题' };

function feedbackBox(feedback) {
  return h('div', { class: `feedback ${feedback.correct ? 'right' : 'wrong'}`, role: 'status' },
    h('strong', null, feedback.correct ? '回答正确' : `回答错误，正确答案：${feedback.correct_letters}`),
    feedback.explanation ? h('p', null, `解析：${feedback.explanation}`) : null);
}

function resultView(attempt, projectId) {
  const practice = attempt.quiz_kind === 'practice';
  return h('section', { class: 'card result', id: 'result' },
    h('h2', null, attempt.passed ? '已通过' : (practice ? '练习完成' : '未通过')),
    h('p', { class: 'score' }, `得分 ${attempt.score} 分`),
    h('p', null, `答对 ${attempt.correct_count} / ${attempt.questions.length} 题`),
    projectId ? h('a', { class: 'button', href: `#/projects/${projectId}` }, '返回项目') : null);
}

export async function render(params, path) {
  let attempt;
  let projectId = null;
  if (path.startsWith('/attempts/')) {
    attempt = await api('GET', `/attempts/${params[0]}`);
  } else {
    [projectId] = params;
    attempt = await api('POST', `/quizzes/${params[1]}/attempts`);
  }
  const practice = attempt.quiz_kind === 'practice';
  const back = projectId ? [`#/projects/${projectId}`, '返回项目'] : ['#/', '我的项目'];
  const saved = statusLine('status saved');
  const countdown = h('p', { class: 'countdown', id: 'countdown' });
  const form = h('form', { class: 'questions' });
  const submit = h('button', { type: 'submit', class: 'primary' }, '交卷');
  const answers = new Map(attempt.answers.map((a) => [a.question_id, a.letters]));
  const feedback = new Map(attempt.feedback.map((f) => [f.question_id, f]));
  let timer = null;
  let finished = attempt.submitted_at !== null;

  async function save(question, letters, box) {
    saved.textContent = '正在保存…';
    try {
      const view = await api('POST', `/attempts/${attempt.id}/answers`,
        { answers: [{ question_id: question.id, letters }] });
      saved.textContent = `已保存第 ${question.number} 题的答案`;
      const mine = view.feedback.find((f) => f.question_id === question.id);
      if (practice && mine) box.replaceChildren(feedbackBox(mine));
      if (view.submitted_at) finish(view);
    } catch (error) {
      saved.textContent = `未保存：${errorText(error)}`;
      if (error.code === 'attempt_deadline_passed' || error.status === 409) {
        finish(await api('GET', `/attempts/${attempt.id}`));
      }
    }
  }

  function questionView(question) {
    const type = question.kind === 'multiple' ? 'checkbox' : 'radio';
    const box = h('div', { class: 'feedback-box' });
    const known = feedback.get(question.id);
    if (practice && known) box.append(feedbackBox(known));
    const chosen = answers.get(question.id) || '';
    const options = question.options.map((text, i) => h('label', { class: 'option' },
      h('input', { type, name: `q${question.id}`, value: LETTERS[i], checked: chosen.includes(LETTERS[i]),
        disabled: finished }),
      h('span', null, `${LETTERS[i]}. ${text}`)));
    const fieldset = h('fieldset', { class: 'question', 'data-question': question.id },
      h('legend', null, `${question.number}. 【${KIND[question.kind] || ''}】${question.stem}`),
      ...options, box);
    fieldset.addEventListener('change', () => {
      const letters = [...fieldset.querySelectorAll('input:checked')].map((i) => i.value).join('');
      answers.set(question.id, letters);
      save(question, letters, box);
    });
    return fieldset;
  }

  function finish(view) {
    finished = true;
    clearInterval(timer);
    countdown.textContent = '';
    form.querySelectorAll('input').forEach((i) => { i.disabled = true; });
    submit.hidden = true;
    if (practice) {
      for (const f of view.feedback) {
        const box = form.querySelector(`[data-question="${f.question_id}"] .feedback-box`);
        if (box) box.replaceChildren(feedbackBox(f));
      }
    }
    const old = document.getElementById('result');
    if (old) old.remove();
    form.after(resultView(view, projectId));
  }

  async function submitNow() {
    if (finished) return;
    submit.disabled = true;
    try {
      finish(await api('POST', `/attempts/${attempt.id}/submit`));
    } catch (error) {
      saved.textContent = errorText(error);
      submit.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const missing = attempt.questions.filter((q) => !answers.get(q.id)).length;
    if (missing && !window.confirm(`还有 ${missing} 题未作答，确定交卷吗？`)) return;
    submitNow();
  });
  attempt.questions.forEach((q, i) => { q.number = i + 1; });
  form.append(...attempt.questions.map(questionView), h('div', { class: 'actions' }, submit));
  mount(
    heading(practice ? '练习' : '考核', back),
    h('p', { class: 'muted' }, practice
      ? '每题选择后立即保存并显示对错和解析。'
      : '答案在选择时自动保存；到时未交卷将按已保存的答案自动评分。'),
    countdown, saved, form,
  );
  if (finished) finish(attempt);
  else if (attempt.seconds_left !== null) {
    const deadline = Date.now() + attempt.seconds_left * 1000;
    const show = () => {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      countdown.textContent = `剩余时间 ${clock(left)}`;
      countdown.classList.toggle('urgent', left <= 60);
      if (left <= 0) {
        clearInterval(timer);
        submitNow();
      }
    };
    show();
    timer = setInterval(show, 1000);
  }
  if (attempt.resumed && !finished) saved.textContent = '已恢复上次未交卷的作答。';
  return () => clearInterval(timer);
}
