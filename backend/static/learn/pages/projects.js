// My projects: class hours and subsidy per calendar year, each explained; certificates.
import { duration, h, heading, mount, progressBar, when, yuan } from '../ui.js';
import { api } from '../session.js';

const STATUS = { approved: '学习中', filed: '已备案', closed: '已结束', draft: '未开始', returned: '未开始' };

function rulesText(rules) {
  if (!rules) return '';
  return `有效学习时长按 ${rules.minutes_per_class_hour} 分钟计 1 课时，不足不计；`
    + `最多 ${rules.planned_class_hours} 课时（计划课时）可申请补贴，`
    + `${yuan(rules.fen_per_class_hour)} 元/课时，每人每年 ${yuan(rules.yearly_cap_fen)} 元封顶（各项目合计）。`;
}

function projectCard(project, figures) {
  const planned = project.planned_class_hours;
  const hours = figures ? figures.class_hours : 0;
  return h('article', { class: 'card project', 'data-project': project.id },
    h('h2', null, h('a', { href: `#/projects/${project.id}` }, project.name)),
    h('p', { class: 'muted' }, `${project.start_date} 至 ${project.end_date} · ${STATUS[project.status] || project.status}`),
    h('div', { class: 'figures' },
      h('div', null, h('strong', { class: 'class-hours' }, `${hours} / ${planned}`), h('small', null, '已得课时 / 计划课时')),
      h('div', null, h('strong', { class: 'credited' }, duration(figures ? figures.credited_s : 0)), h('small', null, '有效学习时长')),
      h('div', null, h('strong', null, figures ? `${figures.subsidizable_hours}` : '0'), h('small', null, '可申请补贴课时'))),
    progressBar(hours, planned, '课时完成度'),
    // A closed project credits nothing more, so it says so instead of how far the next hour is.
    project.status === 'closed'
      ? h('p', { class: 'muted' }, '项目已结束，学时已冻结，不再计入新的学习时长。')
      : figures && hours < planned
        ? h('p', { class: 'muted' }, `再学 ${figures.minutes_to_next_hour} 分钟得下一课时。`) : null,
    h('p', { class: 'note' }, rulesText(figures && figures.rules)),
    h('p', null, h('a', { class: 'button primary', href: `#/projects/${project.id}` }, '进入学习')));
}

async function certificates() {
  // GET /me/certificates: [{serial, project_id, project_name, issued_at, revoked_at, pdf_url,
  // verify_url}]; pdf_url is signed and expires, so it is read afresh on each visit.
  let list;
  try {
    list = await api('GET', '/me/certificates');
  } catch (error) {
    return null;
  }
  const items = (list || []).map((c) => h('li', null,
    c.revoked_at ? c.project_name : h('a', { href: c.pdf_url }, c.project_name),
    h('span', { class: 'muted' }, ` 编号 ${c.serial} · ${when(c.issued_at)}`),
    c.revoked_at ? h('span', { class: 'muted' }, ` · 已撤销（${when(c.revoked_at)}）`) : null,
    ' ', h('a', { href: c.verify_url }, '查验')));
  return h('section', { class: 'card', id: 'certificates' }, h('h2', null, '我的培训证明'),
    items.length ? h('ul', null, items) : h('p', { class: 'muted' }, '暂无培训证明：项目结项后，符合条件的学员将获得培训证明。'));
}

export async function render() {
  const [me, mine, certs] = await Promise.all([
    api('GET', '/me'), api('GET', '/me/hours'), certificates(),
  ]);
  const byProject = new Map(mine.projects.map((p) => [p.project_id, p]));
  const anyRules = mine.projects.find((p) => p.rules);
  const years = mine.years.length
    ? h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, '年度'), h('th', null, '课时'), h('th', null, '补贴（元）'))),
      h('tbody', null, mine.years.map((y) => h('tr', null,
        h('td', null, String(y.year)), h('td', null, String(y.class_hours)), h('td', null, yuan(y.subsidy_fen))))))
    : h('p', { class: 'muted' }, '还没有课时。开始学习后，这里按年度显示课时与补贴。');
  mount(
    heading(`${me.trainee.name}，你好`),
    h('p', { class: 'muted' }, `${me.enterprise.name} · 账号 ${me.trainee.account}`),
    h('section', { class: 'projects' },
      me.projects.length
        ? me.projects.map((p) => projectCard(p, byProject.get(p.id)))
        : h('p', { class: 'card' }, '你还没有参加培训项目，请联系所在企业的培训管理员。')),
    h('section', { class: 'card', id: 'years' }, h('h2', null, '每年课时与补贴'), years,
      h('p', { class: 'note' }, '按北京时间的自然年统计；补贴按获得课时的先后计算，'
        + (anyRules ? `每人每年最多 ${yuan(anyRules.rules.yearly_cap_fen)} 元（同一人各项目、各企业合计）。` : '每人每年有上限。')
        + '正在学习的时长已计入。')),
    certs,
  );
}
