// A project's lessons (progress, completed, locked, resume position), quizzes and evaluation.
import { KIND_NAMES, clock, duration, h, heading, mount, progressBar } from '../ui.js';
import { api } from '../session.js';

function lessonRow(projectId, lesson) {
  const credited = Math.min(lesson.credited_s, lesson.duration_s);
  let state;
  if (lesson.completed) state = h('span', { class: 'badge done' }, '已完成');
  else if (lesson.locked) state = h('span', { class: 'badge locked' }, '未解锁');
  else if (lesson.credited_s > 0) state = h('span', { class: 'badge' }, '学习中');
  else state = h('span', { class: 'badge todo' }, '未开始');
  const title = lesson.locked
    ? h('span', { class: 'title' }, lesson.title)
    : h('a', { class: 'title', href: `#/projects/${projectId}/lessons/${lesson.lesson_id}` }, lesson.title);
  return h('li', { class: 'lesson', 'data-lesson': lesson.lesson_id },
    h('div', { class: 'row' }, title, state),
    h('p', { class: 'muted' },
      `${KIND_NAMES[lesson.kind]} · ${duration(lesson.duration_s)}`,
      lesson.kind === 'document' && lesson.page_count ? ` · ${lesson.page_count} 页` : '',
      ` · 已计入 ${duration(credited)}`,
      lesson.resume_position_s > 0 && !lesson.completed && lesson.kind !== 'document'
        ? ` · 上次看到 ${clock(lesson.resume_position_s)}` : ''),
    progressBar(credited, lesson.duration_s, `${lesson.title} 学习进度`),
    lesson.locked ? h('p', { class: 'note' }, '本项目需按顺序学习：完成上一课节后解锁。') : null);
}

function quizRow(projectId, quiz) {
  const kind = quiz.kind === 'assessment' ? '考核' : '练习';
  const facts = [`${quiz.question_count} 题`];
  if (quiz.kind === 'assessment') facts.push(`${quiz.pass_score} 分及格`);
  if (quiz.time_limit_s) facts.push(`限时 ${Math.round(quiz.time_limit_s / 60)} 分钟`);
  if (quiz.attempt_limit) facts.push(`还可作答 ${quiz.attempts_left} 次`);
  if (quiz.best_score !== null) facts.push(`最高 ${quiz.best_score} 分`);
  const done = quiz.attempts_left === 0;
  return h('li', { class: 'quiz', 'data-quiz': quiz.id },
    h('div', { class: 'row' }, h('span', { class: 'title' }, `【${kind}】${quiz.title}`),
      quiz.passed ? h('span', { class: 'badge done' }, '已通过') : null),
    h('p', { class: 'muted' }, facts.join(' · ')),
    done ? h('p', { class: 'note' }, '作答次数已用完。')
      : h('a', { class: 'button', href: `#/projects/${projectId}/quizzes/${quiz.id}` },
        quiz.kind === 'assessment' ? '开始考核' : '开始练习'));
}

export async function render([projectId]) {
  const [me, lessons, quizzes] = await Promise.all([
    api('GET', '/me'),
    api('GET', `/projects/${projectId}/lessons`),
    api('GET', `/projects/${projectId}/quizzes`),
  ]);
  const project = me.projects.find((p) => String(p.id) === projectId);
  const courses = [];
  for (const lesson of lessons.lessons) {
    let course = courses.find((c) => c.id === lesson.course_id);
    if (!course) courses.push(course = { id: lesson.course_id, name: lesson.course_name, lessons: [] });
    course.lessons.push(lesson);
  }
  const done = lessons.lessons.filter((l) => l.completed).length;
  mount(
    heading(project ? project.name : '培训项目', ['#/', '我的项目']),
    h('p', { class: 'muted' }, `共 ${lessons.lessons.length} 个课节，已完成 ${done} 个。课节学满时长的 95% 即为完成。`),
    courses.length ? courses.map((course) => h('section', { class: 'card' },
      h('h2', null, course.name),
      h('ul', { class: 'lessons' }, course.lessons.map((l) => lessonRow(projectId, l)))))
      : h('p', { class: 'card' }, '本项目还没有课程。'),
    h('section', { class: 'card', id: 'quizzes' }, h('h2', null, '练习与考核'),
      quizzes.quizzes.length
        ? h('ul', { class: 'quizzes' }, quizzes.quizzes.map((q) => quizRow(projectId, q)))
        : h('p', { class: 'muted' }, '本项目没有练习或考核。')),
    h('section', { class: 'card' }, h('h2', null, '培训评价'),
      h('p', null, '学完后请对本次培训打分，帮助企业改进培训。'),
      h('a', { class: 'button', href: `#/projects/${projectId}/evaluation` }, '评价培训')),
  );
}
