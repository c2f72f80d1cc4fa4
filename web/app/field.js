/*
 * Field page (phones first): the open tasks of the user's division and below, with the moves the
 * user's role allows: a grid worker receives (签收), starts (处置) and reports back (反馈) with a
 * note; a command post verifies (核查), returns (退回) and closes (销号). The server checks both the
 * scope and the move (the closed-loop transition table).
 *
 * Everything a worker reads is Chinese: the task's title (the template's name_zh unless the issuer
 * wrote one), its steps (steps_zh of GET /templates, fetched once and looked up by template_id) and
 * the responsible unit by name (GET /divisions/{code}, one request per division, cached).
 */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const STATE_ZH = { issued: '已下发', received: '已签收', in_progress: '处置中', reported: '已反馈', verified: '已核查',
    closed: '已销号', returned: '已退回', reassigned: '已改派', transferred: '已协查', cancelled: '已撤销' };
  const WORK = { issued: [['received', '签收']], reassigned: [['received', '签收']],
    received: [['in_progress', '开始处置'], ['reported', '反馈']], in_progress: [['reported', '反馈']],
    returned: [['in_progress', '重新处置'], ['reported', '反馈']] };
  const COMMAND = { reported: [['verified', '核查通过'], ['returned', '退回']], verified: [['closed', '销号']] };
  const SUBJECT_ZH = { zone: '区域', contact: '密接', case: '病例', alert: '预警', person: '人员', place: '场所' };
  const ASSIGNEE_ZH = { division: '单位', grid: '网格', team: '队伍', person: '人员' };
  let me = null;
  let templates = {}; /* template id -> template (GET /templates) */
  const units = new Map(); /* division code -> Promise of its Chinese name */
  window.znReady = { tasks: -1 };

  function when(t) {
    if (!t) return '–';
    const d = new Date(t * 1000 + 8 * 3600 * 1000); /* Beijing time */
    return d.toISOString().slice(0, 16).replace('T', ' ');
  }

  /* The division's name as the user reads it: its path below the user's own division ("张江镇",
   * "张江镇 某村"), or its own name when it is the user's division; the code when it is unknown. */
  function unitName(code) {
    if (!code) return Promise.resolve('');
    if (!units.has(code)) {
      units.set(code, zn.get('/divisions/' + code).then((d) => {
        const below = d.path.filter((p) => p.level > me.division.level).map((p) => p.name);
        return below.length ? below.join(' ') : d.division.name;
      }, () => code));
    }
    return units.get(code);
  }

  function steps(t) {
    const tp = templates[t.template_id];
    if (!tp) return null;
    const list = tp.steps_zh && tp.steps_zh.length === tp.steps.length ? tp.steps_zh : tp.steps;
    if (!list.length) return null;
    const box = document.createElement('details');
    box.className = 'steps';
    box.open = !t.ended_at; /* the steps of open tasks are shown, those of finished ones folded */
    box.appendChild(zn.text(document.createElement('summary'), '处置步骤（时限 ' + tp.budget +
      (tp.budget_unit === 'hours' ? ' 小时）' : ' 个工作日）')));
    const ol = document.createElement('ol');
    list.forEach((s) => ol.appendChild(zn.text(document.createElement('li'), s)));
    box.appendChild(ol);
    return box;
  }

  async function card(t) {
    const div = document.createElement('div');
    div.className = 'task';
    div.dataset.id = t.id;
    const title = t.title_zh || t.title;
    div.appendChild(zn.text(document.createElement('h3'), '#' + t.id + ' ' + title));
    const tp = templates[t.template_id];
    const meta = document.createElement('div');
    meta.className = 'meta';
    const st = zn.text(document.createElement('span'), STATE_ZH[t.state] || t.state);
    st.className = 'state';
    meta.appendChild(st);
    if (tp && tp.name_zh && tp.name_zh !== title) /* the issuer's own title: say what kind of task it is */
      meta.appendChild(zn.text(document.createElement('span'), ' ' + tp.name_zh));
    meta.appendChild(zn.text(document.createElement('span'), ' 期限 ' + (t.suspended ? '暂停计时' : when(t.deadline)) + ' '));
    if (t.overdue) meta.appendChild(zn.text(document.createElement('span'), '已超时')).className = 'late';
    if (t.subject_kind || t.subject_ref)
      meta.appendChild(zn.text(document.createElement('div'), '对象 ' + (SUBJECT_ZH[t.subject_kind] || t.subject_kind || '') +
        ' ' + (t.subject_ref || '')));
    const name = await unitName(t.division_code);
    const unit = zn.text(document.createElement('div'), '责任单位 ' + name +
      (t.grid_id ? ' · 网格 ' + t.grid_id : '') +
      (t.assignee_kind !== 'division' && t.assignee_kind !== 'grid' ? ' · ' + (ASSIGNEE_ZH[t.assignee_kind] || t.assignee_kind) +
        ' ' + t.assignee : ''));
    unit.className = 'unit';
    unit.title = t.division_code; /* the code on hover, for the phone call to the command post */
    meta.appendChild(unit);
    div.appendChild(meta);
    const st2 = steps(t);
    if (st2) div.appendChild(st2);
    const moves = [];
    if (me.permissions.indexOf('task_work') >= 0) moves.push(...(WORK[t.state] || []));
    if (me.permissions.indexOf('task_command') >= 0) moves.push(...(COMMAND[t.state] || []));
    if (moves.length) {
      const note = document.createElement('textarea');
      note.placeholder = '处置情况 / 说明';
      div.appendChild(note);
      const act = document.createElement('div');
      act.className = 'actions';
      moves.forEach(([to, label]) => {
        const b = zn.text(document.createElement('button'), label);
        b.type = 'button';
        b.dataset.to = to;
        b.addEventListener('click', async () => {
          b.disabled = true;
          try {
            await zn.post('/tasks/' + t.id + '/move', { to, note: note.value });
            await load();
          } catch (e) {
            alert(e.message);
            b.disabled = false;
          }
        });
        act.appendChild(b);
      });
      div.appendChild(act);
    }
    return div;
  }

  async function load() {
    const r = await zn.get('/tasks', { open: $('all').checked ? '' : '1', limit: 200 });
    const cards = await Promise.all(r.items.map(card));
    const box = $('tasks');
    box.textContent = '';
    cards.forEach((c) => box.appendChild(c));
    /* nothing open: say whether there is nothing at all or only finished tasks */
    let closed = false;
    if (!r.items.length && !$('all').checked) closed = (await zn.get('/tasks', { limit: 1 })).items.length > 0;
    $('empty').textContent = closed ? '暂无待办任务（已办结的任务勾选“显示已办结”查看）。' : '本辖区暂无任务。';
    $('empty').hidden = r.items.length > 0;
    window.znReady.tasks = r.items.length;
    window.znReady.emptyText = r.items.length ? '' : $('empty').textContent;
  }

  async function start() {
    me = await zn.get('/me');
    $('who').textContent = me.display_name + '（' + me.role_zh + '·' + me.division.name + '）';
    $('logout').addEventListener('click', zn.logout);
    $('all').addEventListener('change', load);
    if (!me.features.tasks) {
      $('tasks').textContent = '任务模块未启用。';
      return;
    }
    (await zn.get('/templates')).rows.forEach((t) => { templates[t.id] = t; });
    await load();
  }
  start().catch((e) => { if (e.message !== 'unauthorized') $('tasks').textContent = '加载失败：' + e.message; });
})();
