/*
 * The cockpit (驾驶舱): map of the selected division with the case residences of the chosen day,
 * drill-down through the division tree, a day slider replaying the Shanghai 2022 lists, and panels
 * (epidemic curve, Rt, alerts, closed-loop tasks, data hub). Everything comes from /api/v1 with
 * the user's scope applied by the server. window.znReady tells tests what has rendered.
 */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const ready = (window.znReady = { me: false, map: false, boundaries: 0, points: -1, curve: false, day: '', mapDay: '', mapArea: '' });
  const state = { me: null, area: null, path: [], dates: [], idx: 0, mode: 'day', nameToCode: {}, playing: null };
  const charts = {};

  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init($(id), null, { renderer: 'canvas' });
    return charts[id];
  }
  /* no animation: the replay changes the charts every second, and what is drawn is what is true */
  function setOption(id, opt) {
    opt.animation = false;
    chart(id).setOption(opt, true);
  }
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

  function day() { return state.dates[state.idx] || undefined; }

  /* ---- header, breadcrumbs ---- */
  function crumbs() {
    const nav = $('crumbs');
    nav.textContent = '';
    const scopeLevel = state.me.division.level;
    state.path.forEach((d, i) => {
      if (i) nav.appendChild(zn.text(document.createElement('span'), '›')).className = 'sep';
      const mine = d.level >= scopeLevel; /* above the scope is context, not a link */
      const el = document.createElement(mine && i < state.path.length - 1 ? 'a' : 'span');
      el.textContent = d.name;
      if (el.tagName === 'A') el.addEventListener('click', () => go(d.code));
      nav.appendChild(el);
    });
  }

  /* ---- the map ---- */
  async function loadBoundaries(code) {
    try {
      const gj = await zn.get('/boundaries', { area: code });
      state.nameToCode = {};
      gj.features.forEach((f) => { state.nameToCode[f.properties.name] = f.properties.code; });
      echarts.registerMap('area-' + code, gj);
      ready.boundaries = gj.features.length;
      return 'area-' + code;
    } catch (e) {
      ready.boundaries = 0;
      return null;
    }
  }

  async function drawMap() {
    const code = state.area.code;
    const mapName = state.mapName;
    const d = day();
    const cum = state.mode === 'cum';
    const q = cum ? { area: code, to: d, cell: 0.005 } : { area: code, date: d, cell: 0 };
    const seq = (state.drawSeq = (state.drawSeq || 0) + 1);
    const pts = await zn.get('/cases/points', q);
    if (seq !== state.drawSeq) return; /* a later day or area was asked for meanwhile */
    const data = pts.points.map((p) => [p[0], p[1], p[2]]);
    ready.points = data.length;
    const max = data.reduce((m, p) => Math.max(m, p[2]), 1);
    const series = cum
      ? [{ type: 'heatmap', coordinateSystem: 'geo', data, pointSize: 6, blurSize: 10 }]
      : [{ type: 'scatter', coordinateSystem: 'geo', data, symbolSize: (v) => 3 + Math.sqrt(v[2]) * 2,
        itemStyle: { color: '#ff5a4e', opacity: 0.75 } }];
    const opt = {
      backgroundColor: 'transparent',
      tooltip: { trigger: 'item', formatter: (p) => (p.seriesType ? p.value[2] + ' 处' : p.name) },
      geo: mapName ? {
        map: mapName, roam: true, layoutCenter: ['50%', '50%'], layoutSize: '96%',
        label: { show: true, color: '#9fc3e6', fontSize: 11 },
        itemStyle: { areaColor: '#12355c', borderColor: '#4fa3e0', borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: '#1d5288' }, label: { color: '#fff' } },
        select: { disabled: true },
      } : undefined,
      series: mapName ? series : [],
    };
    if (cum) opt.visualMap = { min: 0, max: Math.max(5, Math.round(max / 2)), calculable: false, show: true,
      left: 10, bottom: 10, textStyle: { color: '#d9e6f5' }, inRange: { color: ['#1d5288', '#ffb547', '#ff5a4e'] } };
    setOption('map', opt);
    $('map-title').textContent = state.area.name + ' · ' + (d || '') + (cum ? ' 累计' : ' 当日') +
      ' · 有坐标 ' + zn.fmt(data.reduce((s, p) => s + p[2], 0)) + ' 处';
    ready.map = !!mapName;
    ready.mapDay = d || '';
    ready.mapArea = code;
  }

  /* ---- numbers and children ---- */
  /* the children of a division with their counts on the day and up to it; a municipality's only
   * city-level unit (市辖区) is looked through, so that Shanghai lists its districts */
  async function children(code, d) {
    const get = (c) => Promise.all([zn.get('/divisions', { area: c, date: d }), zn.get('/divisions', { area: c, to: d })]);
    let [onDay, toDay] = await get(code);
    const self = toDay.division;
    if (toDay.children.length === 1 && toDay.children[0].name === '市辖区') [onDay, toDay] = await get(toDay.children[0].code);
    return { self, onDay, toDay };
  }

  async function numbers() {
    const code = state.area.code, d = day();
    const [{ self, onDay, toDay }, m] = await Promise.all([children(code, d), zn.get('/metrics', { area: code, to: d })]);
    $('kpi-day').textContent = zn.fmt(m.cases.on_day);
    $('kpi-week').textContent = zn.fmt(m.cases.last_7_days);
    $('kpi-total').textContent = zn.fmt(self.cases);
    $('area-title').textContent = state.area.name + ' · 截至 ' + (d || '');
    const tb = $('children');
    tb.textContent = '';
    const today = {};
    onDay.children.forEach((c) => { today[c.code] = c.cases; });
    toDay.children.filter((c) => c.cases > 0 || toDay.children.length <= 40)
      .sort((a, b) => b.cases - a.cases).forEach((c) => {
        const tr = document.createElement('tr');
        [c.name, zn.fmt(today[c.code] || 0), zn.fmt(c.cases)].forEach((v) => tr.appendChild(zn.text(document.createElement('td'), v)));
        if (c.level <= 4) {
          tr.className = 'click';
          tr.addEventListener('click', () => go(c.code));
        }
        tb.appendChild(tr);
      });
    if (toDay.division.cases_not_in_a_child > 0) {
      const tr = document.createElement('tr');
      ['未定位到下级', '', zn.fmt(toDay.division.cases_not_in_a_child)].forEach((v) => tr.appendChild(zn.text(document.createElement('td'), v)));
      tb.appendChild(tr);
    }
    if (m.tasks) {
      $('tasks-panel').hidden = false;
      $('t-issued').textContent = zn.fmt(m.tasks.issued);
      $('t-closed').textContent = zn.fmt(m.tasks.closed);
      $('t-overdue').textContent = zn.fmt(m.tasks.overdue);
      $('t-rate').textContent = m.tasks.on_time_rate === null ? '–' : Math.round(m.tasks.on_time_rate * 100) + '%';
    }
    if (m.hub) await hub(m.hub);
    ready.numbersDay = d || '';
    ready.numbersArea = code;
  }

  async function hub(h) {
    const t = document.createElement('table');
    const rows = [['已归集文件', zn.fmt(h.files)], ['入库记录', zn.fmt(h.rows_accepted)], ['隔离（质检未通过）', zn.fmt(h.quarantined)]];
    try {
      const f = await zn.get('/feeds');
      f.feeds.filter((x) => x.rows).forEach((x) => rows.push([x.title_zh, zn.fmt(x.rows)]));
    } catch (e) { /* catalogue absent */ }
    rows.forEach((r) => {
      const tr = document.createElement('tr');
      r.forEach((v) => tr.appendChild(zn.text(document.createElement('td'), v)));
      t.appendChild(tr);
    });
    $('hub').replaceChildren(t);
  }

  /* ---- curve, Rt, alerts (whole range of the area) ---- */
  /* /rt once per area (or refresh): the Rt panel and the projection on the curve share it */
  function rtFetch() {
    return zn.get('/rt', { area: state.area.code }).then((r) => ({ r }), (e) => ({ e }));
  }

  async function curve(rtp) {
    const [s, rt] = await Promise.all([zn.get('/cases/daily', { area: state.area.code }), rtp || rtFetch()]);
    state.series = s;
    /* the renewal-equation projection (server: zn_rt_project, R from the last Rt window) after the
     * last observed day: dashed median from the last count, shaded lo..hi interval */
    const p = rt.r && rt.r.projection && s.dates.length && rt.r.projection.dates[0] > s.dates[s.dates.length - 1]
      ? rt.r.projection : null;
    const n = s.dates.length, h = p ? p.horizon : 0, last = n ? s.counts[n - 1] : 0;
    const pad = (a, first) => new Array(n - 1).fill('-').concat([first]).concat(a);
    const name = p ? '预测 (' + h + '天)' : '';
    const series = [{ type: 'bar', name: '新增', data: s.counts, itemStyle: { color: '#ff5a4e' },
      markLine: { symbol: 'none', data: [], lineStyle: { color: '#ffb547', width: 2 }, label: { color: '#ffb547' } } }];
    if (p) {
      series.push(
        { type: 'line', name: name + '下限', data: pad(p.lo, last), symbol: 'none', lineStyle: { opacity: 0 }, stack: 'proj',
          tooltip: { show: false } },
        { type: 'line', name: name + '区间', data: pad(p.hi.map((v, i) => v - p.lo[i]), 0), symbol: 'none',
          lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(255,181,71,0.28)' }, stack: 'proj', tooltip: { show: false } },
        { type: 'line', name, data: pad(p.median, last), symbol: 'none', itemStyle: { color: '#ffb547' },
          lineStyle: { color: '#ffb547', type: 'dashed', width: 2 } });
    }
    setOption('curve', {
      grid: { left: 48, right: 12, top: p ? 28 : 16, bottom: 28 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v === undefined || v === '-' ? '' : zn.fmt(Math.round(v))),
        formatter: p ? (ps) => ps.filter((x) => (x.seriesName === '新增' ? x.dataIndex < n : x.seriesName === name && x.dataIndex >= n))
          .map((x) => {
            const i = x.dataIndex - n;
            const v = x.seriesName === '新增' ? zn.fmt(x.value)
              : zn.fmt(Math.round(p.median[i])) + '（95% 区间 ' + zn.fmt(Math.round(p.lo[i])) + '–' + zn.fmt(Math.round(p.hi[i])) + '）';
            return zn.text(document.createElement('i'), x.axisValue).innerHTML + '<br>' + x.marker + x.seriesName + '：' + v;
          }).join('<br>') : undefined },
      legend: p ? { data: ['新增', name], top: 0, right: 8, textStyle: { color: '#8aa4c2' } } : undefined,
      xAxis: { type: 'category', data: p ? s.dates.concat(p.dates) : s.dates, axisLabel: { color: '#8aa4c2' } },
      yAxis: { type: 'value', axisLabel: { color: '#8aa4c2' }, splitLine: { lineStyle: { color: '#1f4470' } } },
      series,
    });
    ready.curve = s.dates.length > 0;
    ready.projection = p ? h : 0;
  }

  function markDay() {
    const d = day();
    if (!charts.curve || !d) return;
    charts.curve.setOption({ series: [{ markLine: { data: [{ xAxis: d, name: d }] } }] });
    if (charts.rt) charts.rt.setOption({ series: [{ markLine: { data: [{ yAxis: 1 }, { xAxis: d }] } }] });
  }

  async function rt(rtp) {
    const { r, e } = await (rtp || rtFetch());
    if (e) {
      chart('rt').clear();
      $('rt-note').textContent = '无法估计：' + e.message;
      ready.rt = 0;
      return;
    }
    const x = r.windows.map((w) => w.end);
    setOption('rt', {
      grid: { left: 40, right: 12, top: 16, bottom: 28 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v === undefined ? '' : Number(v).toFixed(2)) },
      xAxis: { type: 'category', data: x, axisLabel: { color: '#8aa4c2' } },
      yAxis: { type: 'value', min: 0, axisLabel: { color: '#8aa4c2' }, splitLine: { lineStyle: { color: '#1f4470' } } },
      series: [
        { type: 'line', name: 'Rt', data: r.windows.map((w) => w.mean), symbol: 'none', lineStyle: { color: '#3fb5ff' },
          markLine: { symbol: 'none', silent: true, data: [{ yAxis: 1 }], lineStyle: { color: '#37d399', type: 'dashed' },
            label: { color: '#8aa4c2' } } },
        { type: 'line', name: '下限', data: r.windows.map((w) => w.lo), symbol: 'none', lineStyle: { opacity: 0 }, stack: 'ci' },
        { type: 'line', name: '区间', data: r.windows.map((w) => w.hi - w.lo), symbol: 'none', lineStyle: { opacity: 0 },
          areaStyle: { color: 'rgba(63,181,255,0.25)' }, stack: 'ci' },
      ],
    });
    ready.rt = r.windows.length;
    $('rt-note').textContent = 'Cori 等 (2013) 方法，7 日滑动窗；序列间隔均值 ' + r.method.si_mean + ' 天、标准差 ' + r.method.si_sd + ' 天。按公布的病例居住地数估计。';
  }

  async function alerts() {
    const ul = $('alerts');
    ul.textContent = '';
    try {
      const a = await zn.get('/alerts', { area: state.area.code, method: 'c2' });
      if (!a.alerts.length) ul.appendChild(zn.text(document.createElement('li'), '无预警信号'));
      a.alerts.slice(-12).reverse().forEach((x) => {
        const li = document.createElement('li');
        li.innerHTML = '';
        li.appendChild(zn.text(document.createElement('span'), x.date + ' '));
        const b = zn.text(document.createElement('b'), zn.fmt(x.count) + ' 处');
        b.className = 'hot';
        li.appendChild(b);
        li.appendChild(zn.text(document.createElement('span'), '（阈值 ' + zn.fmt(Math.round(x.upperbound)) + '）'));
        ul.appendChild(li);
      });
    } catch (e) {
      ul.appendChild(zn.text(document.createElement('li'), e.message));
    }
  }

  /* ---- day slider ---- */
  function setDay(i) {
    state.idx = Math.max(0, Math.min(state.dates.length - 1, i));
    $('day').value = state.idx;
    $('day-label').textContent = day() || '无数据';
    ready.day = day() || '';
    markDay();
  }

  let pending = null;
  function dayChanged() {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      await Promise.all([drawMap(), numbers()]);
    }, 120);
  }

  async function go(code) {
    const d = await zn.get('/divisions', { area: code });
    state.area = d.division;
    state.path = d.path.length ? d.path : [d.division];
    if (!d.path.length) state.path = [{ code: d.division.code, name: d.division.name, level: 0 }];
    crumbs();
    ready.map = false;
    ready.rt = -1;
    state.mapName = await loadBoundaries(code);
    const rtp = rtFetch();
    await Promise.all([drawMap(), numbers(), curve(rtp), rt(rtp), alerts()]);
    markDay();
  }

  /* ---- live updates ---- */
  function live() {
    if (!window.EventSource) return;
    const es = new EventSource('/api/v1/events');
    es.addEventListener('hello', () => $('live').classList.add('on'));
    es.onerror = () => $('live').classList.remove('on');
    const refresh = () => { numbers(); curve(); };
    ['cases.changed', 'hub.lineage', 'tasks.changed', 'tasks.overdue', 'task.escalated']
      .forEach((n) => es.addEventListener(n, refresh));
  }

  async function start() {
    const me = await zn.get('/me');
    state.me = me;
    ready.me = true;
    $('user').textContent = me.display_name + '（' + me.role_zh + '·' + me.division.name + '）';
    if (me.features.tasks && me.permissions.indexOf('task_work') >= 0) $('field-link').hidden = false;
    if (me.permissions.indexOf('hub') < 0) $('hub-panel').hidden = true;
    $('logout').addEventListener('click', zn.logout);
    const c = me.features.cases;
    if (c.first) {
      const dates = [];
      for (let t = Date.parse(c.first + 'T00:00:00Z'); t <= Date.parse(c.last + 'T00:00:00Z'); t += 86400000)
        dates.push(new Date(t).toISOString().slice(0, 10));
      state.dates = dates;
      $('day').max = dates.length - 1;
      /* open on the peak of the wave when the data has one, else on the last day */
      state.idx = dates.indexOf('2022-04-10') >= 0 ? dates.indexOf('2022-04-10') : dates.length - 1;
    }
    setDay(state.idx);
    $('day').addEventListener('input', () => { setDay(Number($('day').value)); dayChanged(); });
    $('mode').addEventListener('change', () => { state.mode = $('mode').value; drawMap(); });
    $('play').addEventListener('click', () => {
      if (state.playing) { clearInterval(state.playing); state.playing = null; $('play').textContent = '▶'; return; }
      $('play').textContent = '⏸';
      state.playing = setInterval(() => {
        if (state.idx >= state.dates.length - 1) { clearInterval(state.playing); state.playing = null; $('play').textContent = '▶'; return; }
        setDay(state.idx + 1);
        dayChanged();
      }, 900);
    });
    chart('map').on('click', (p) => {
      const code = state.nameToCode[p.name];
      if (code && p.componentType === 'geo' && code !== state.area.code) go(code);
    });
    await go(me.division.code);
    live();
  }

  start().catch((e) => {
    if (e.message !== 'unauthorized') document.body.appendChild(zn.text(document.createElement('p'), '加载失败：' + e.message));
  });
})();
