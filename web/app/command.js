/*
 * Command page (指令下达): a command post picks a task template, writes the reason, adds one or
 * more responsible units inside its scope (a division, optionally a compound/building key that
 * routes to its grid) and issues the instruction (POST /api/v1/instructions); below, the
 * instructions of its area with how far their tasks have got. Reports are verified on the field
 * page (/field), which shows the command moves to command roles. The server checks the role, the
 * scope of every target and the template; this page only offers what the API would accept.
 */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const LEVEL_ZH = ['全国', '省', '市', '县(区)', '乡镇(街道)', '村(社区)'];
  let me = null, templates = [];
  const targets = [];
  window.znReady = { templates: -1, instructions: -1, issued: 0 };

  function when(t) {
    const d = new Date(t * 1000 + 8 * 3600 * 1000); /* Beijing time */
    return d.toISOString().slice(0, 16).replace('T', ' ');
  }

  function option(sel, value, label) {
    const o = zn.text(document.createElement('option'), label);
    o.value = value;
    sel.appendChild(o);
  }

  async function children(code, sel) {
    const d = await zn.get('/divisions', { area: code });
    sel.textContent = '';
    option(sel, d.division.code, d.division.name + '（本级）');
    d.children.forEach((c) => option(sel, c.code, c.name + ' · ' + (LEVEL_ZH[c.level] || '')));
    return d;
  }

  function drawTargets() {
    const ul = $('targets');
    ul.textContent = '';
    targets.forEach((t, i) => {
      const li = zn.text(document.createElement('li'), t.label + ' ' + t.division + (t.place ? ' · ' + t.place : '') + ' ');
      const rm = zn.text(document.createElement('button'), '移除');
      rm.type = 'button';
      rm.addEventListener('click', () => { targets.splice(i, 1); drawTargets(); });
      li.appendChild(rm);
      ul.appendChild(li);
    });
    $('send').disabled = targets.length === 0;
  }

  function showSteps() {
    const t = templates.find((x) => x.id === $('template').value);
    const steps = t && t.steps_zh && t.steps_zh.length === t.steps.length ? t.steps_zh : t ? t.steps : [];
    $('steps').textContent = t ? '时限 ' + t.budget + (t.budget_unit === 'hours' ? ' 小时' : ' 个工作日') + '；步骤：' +
      steps.map((s, i) => (i + 1) + '. ' + s).join('；') : '';
  }

  const PAGE = 50;
  let offset = 0;

  async function loadInstructions() {
    const r = await zn.get('/instructions', { limit: PAGE, offset });
    const body = $('instructions').tBodies[0];
    body.textContent = '';
    r.rows.forEach((i) => {
      const tr = document.createElement('tr');
      [i.id, i.reason, i.issuer, when(i.issued_at), i.tasks, i.by_state.issued, i.by_state.working,
        i.by_state.reported, i.by_state.done, i.by_state.overdue].forEach((v, k) => {
        const td = zn.text(document.createElement('td'), String(v));
        if (k === 9 && v > 0) td.className = 'late';
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $('empty').hidden = r.rows.length > 0;
    $('pages').hidden = r.total <= PAGE;
    $('page-info').textContent = r.total ? (offset + 1) + '–' + (offset + r.rows.length) + ' / ' + r.total : '';
    $('prev').disabled = offset === 0;
    $('next').disabled = offset + r.rows.length >= r.total;
    window.znReady.instructions = r.total;
  }

  async function start() {
    me = await zn.get('/me');
    $('who').textContent = me.display_name + '（' + me.role_zh + '·' + me.division.name + '）';
    $('logout').addEventListener('click', zn.logout);
    if (!me.features.tasks) {
      $('issue').textContent = '任务模块未启用。';
      return;
    }
    if (me.permissions.indexOf('task_command') < 0) {
      $('issue').textContent = '您的角色不能下达指令（仅各级指挥部）。';
    } else {
      templates = (await zn.get('/templates')).rows;
      templates.forEach((t) => option($('template'), t.id, (t.name_zh || t.name)));
      $('template').addEventListener('change', showSteps);
      showSteps();
      window.znReady.templates = templates.length;
      await children(me.division.code, $('level1'));
      $('level1').addEventListener('change', async () => {
        const code = $('level1').value;
        if (code === me.division.code) { $('level2').hidden = true; return; }
        const d = await children(code, $('level2'));
        $('level2').hidden = d.children.length === 0;
      });
      $('add').addEventListener('click', () => {
        const sel = !$('level2').hidden ? $('level2') : $('level1');
        const o = sel.options[sel.selectedIndex];
        if (!o) return;
        const place = $('place').value.trim();
        if (targets.some((t) => t.division === o.value && t.place === place)) return;
        targets.push({ division: o.value, place, label: o.textContent.replace(/（本级）| · .*/g, '') });
        $('place').value = '';
        drawTargets();
      });
      drawTargets();
      $('issue').addEventListener('submit', async (ev) => {
        ev.preventDefault();
        $('send').disabled = true;
        $('result').textContent = '';
        try {
          const body = { template: $('template').value, reason: $('reason').value.trim(),
            targets: targets.map((t) => (t.place ? { division: t.division, place: t.place } : { division: t.division })) };
          if ($('title').value.trim()) body.title = $('title').value.trim();
          const r = await zn.post('/instructions', body);
          const moved = r.tasks.filter((t) => t.transfer_id).length;
          $('result').textContent = '指令 #' + r.instruction_id + ' 已下达：' + r.tasks.length + ' 项任务' +
            (moved ? '（其中 ' + moved + ' 项转外地协查）' : '') + '。';
          window.znReady.issued = r.instruction_id;
          targets.length = 0;
          offset = 0;
          $('reason').value = '';
          $('title').value = '';
          drawTargets();
          await loadInstructions();
        } catch (e) {
          $('result').textContent = '未下达：' + e.message;
          $('send').disabled = targets.length === 0;
        }
      });
    }
    $('prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); loadInstructions(); });
    $('next').addEventListener('click', () => { offset += PAGE; loadInstructions(); });
    await loadInstructions();
  }
  start().catch((e) => { if (e.message !== 'unauthorized') $('result').textContent = '加载失败：' + e.message; });
})();
