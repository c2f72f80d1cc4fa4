/*
 * Field page (phones first): the open tasks of the user's division and below, with the moves the
 * user's role allows: a grid worker receives (签收), starts (处置) and reports back (反馈) with a
 * note; a command post verifies (核查), returns (退回) and closes (销号). The server checks both the
 * scope and the move (the closed-loop transition table).
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
  window.znReady = { tasks: -1 };

  function when(t) {
    if (!t) return '–';
    const d = new Date(t * 1000 + 8 * 3600 * 1000); /* Beijing time */
    return d.toISOString().slice(0, 16).replace('T', ' ');
  }

  function card(t) {
    const div = document.createElement('div');
    div.className = 'task';
    div.appendChild(zn.text(document.createElement('h3'), '#' + t.id + ' ' + (t.title_zh || t.title)));
    const meta = document.createElement('div');
    meta.className = 'meta';
    const st = zn.text(document.createElement('span'), STATE_ZH[t.state] || t.state);
    st.className = 'state';
    meta.appendChild(st);
    meta.appendChild(zn.text(document.createElement('span'), ' 期限 ' + (t.suspended ? '暂停计时' : when(t.deadline)) + ' '));
    if (t.overdue) meta.appendChild(zn.text(document.createElement('span'), '已超时')).className = 'late';
    meta.appendChild(zn.text(document.createElement('div'), '对象 ' + (SUBJECT_ZH[t.subject_kind] || t.subject_kind || '') +
      ' ' + (t.subject_ref || '') + ' · 责任' + (ASSIGNEE_ZH[t.assignee_kind] || t.assignee_kind) + ' ' + t.assignee));
    div.appendChild(meta);
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
    const box = $('tasks');
    box.textContent = '';
    r.items.forEach((t) => box.appendChild(card(t)));
    $('empty').hidden = r.items.length > 0;
    window.znReady.tasks = r.items.length;
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
    await load();
  }
  start().catch((e) => { if (e.message !== 'unauthorized') $('tasks').textContent = '加载失败：' + e.message; });
})();
