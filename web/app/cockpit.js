/*
 * The cockpit (驾驶舱): map of the selected division with the case residences of the chosen day,
 * drill-down through the division tree, a day slider replaying the Shanghai 2022 lists, the zones
 * (三区) of the day by level, and panels (epidemic curve, Rt, zone counts, contacts found and
 * controlled, the transmission graph and the contact list behind an audited reason, alerts,
 * closed-loop tasks, data hub). Everything comes from /api/v1 with
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
  /* a chart whose box is empty (a hidden panel, a layout in progress) keeps its size: ECharts' geo
   * would get a singular transform from a zero-sized view */
  function resize(c) {
    const el = c.getDom();
    if (el.clientWidth > 0 && el.clientHeight > 0 && (el.clientWidth !== c.getWidth() || el.clientHeight !== c.getHeight())) c.resize();
  }
  window.addEventListener('resize', () => Object.values(charts).forEach(resize));
  /* the map fills its panel, whose height follows the panels beside it as they fill */
  if (window.ResizeObserver) new ResizeObserver(() => { if (charts.map) resize(charts.map); }).observe($('map'));

  function day() { return state.dates[state.idx] || undefined; }
  /* the slider's day as a markLine (every chart over days is drawn with it, so a redraw keeps it) */
  function dayMark() { const d = day(); return d ? [{ xAxis: d, name: d }] : []; }

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

  /* ---- zones (三区) on the map: /zones/runs, /zones/days, /zones ---- */
  /* colours by the level's Chinese name, then by its name, then by its rank (0 = highest) */
  const ZONE_ZH_COLOR = { 封控区: '#e8212e', 管控区: '#ff8c1a', 防范区: '#3a8ee6', 高风险区: '#e8212e', 中风险区: '#ff8c1a',
    低风险区: '#3a8ee6' };
  const ZONE_NAME_COLOR = { sealed: '#e8212e', controlled: '#ff8c1a', precaution: '#3a8ee6', high: '#e8212e',
    medium: '#ff8c1a', low: '#3a8ee6' };
  const ZONE_RANK_COLOR = ['#e8212e', '#ff8c1a', '#f2d24b', '#3a8ee6', '#37d399'];
  const ZONE_SIZE = [6, 5, 3, 3, 3];
  function zoneColor(lv, rank) { return ZONE_ZH_COLOR[lv.zh] || ZONE_NAME_COLOR[lv.name] || ZONE_RANK_COLOR[rank % 5]; }
  /* at or below this geo zoom (1 = the whole area fits) polygons are drawn as their centre point in
   * the level's point layer: one canvas pass for 10^4 units instead of 10^4 paths */
  const POLYGON_ZOOM = 3;
  const zs = (state.zone = { runs: [], rules: '', want: '', levels: [], days: {}, daysKey: '', cache: new Map(), hidden: {},
    on: true, zoom: 1 });

  /* WGS-84 -> GCJ-02 (the published "eviltransform" series, as zn_crs_convert in src/geo/crs.c):
   * the map is drawn in GCJ-02 like its DataV boundaries and the case points */
  function gcj(lon, lat) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lon, lat];
    const a = 6378245.0, ee = 0.00669342162296594323, x = lon - 105.0, y = lat - 35.0;
    let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    dLat += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLon += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    dLon += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    dLon += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    const rad = lat / 180.0 * Math.PI;
    let magic = Math.sin(rad);
    magic = 1 - ee * magic * magic;
    const sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sq) * Math.PI);
    dLon = (dLon * 180.0) / (a / sq * Math.cos(rad) * Math.PI);
    return [lon + dLon, lat + dLat];
  }

  async function zoneRuns() {
    try {
      zs.runs = (await zn.get('/zones/runs')).rows || [];
    } catch (e) {
      zs.runs = []; /* no zones in this store (or no route): the layer stays hidden */
    }
    ready.zoneRuns = zs.runs.length;
    zoneChoose();
  }

  /* a division code as the API's area prefix (zn_scope_prefix): 310000000000 -> 31,
   * 330106002000 -> 330106002, 000000000000 -> '' (the country) */
  function areaPrefix(code) {
    const c = String(code || '').padEnd(12, '0');
    for (const n of [0, 2, 4, 6, 9]) if (/^0*$/.test(c.slice(n))) return c.slice(0, n);
    return c;
  }
  const latestRun = (a) => a.reduce((m, x) => (!m || x.id > m.id ? x : m), null);
  /* The run of rule set `rules` that serves the area `code`, as the API chooses it (docs/server.md
   * "Zones"): the latest run whose area (within) covers the area, else the latest lying inside it;
   * null when the rule set has no run for the area. A rule set can have one run per area. */
  function runFor(rules, code) {
    const p = areaPrefix(code), mine = zs.runs.filter((x) => x.rules === rules);
    return latestRun(mine.filter((x) => p.startsWith(x.within || ''))) ||
      latestRun(mine.filter((x) => (x.within || '').startsWith(p)));
  }
  function zoneArea() { return state.area ? state.area.code : (state.me ? state.me.division.code : ''); }
  /* the rule sets with a run for the area on screen, each once, by that run (runs come by rule set) */
  function runsHere() {
    const code = zoneArea(), out = [];
    zs.runs.forEach((x) => {
      if (out.length && out[out.length - 1].rules === x.rules) return;
      const r = runFor(x.rules, code);
      if (r) out.push(r);
    });
    return out;
  }

  /* the chooser for the area on screen: the rule set chosen (zs.want) when it has a run here, else
   * the latest run here that covers the slider's day, else the latest here */
  function zoneChoose() {
    const here = runsHere();
    const sel = $('zone-rules');
    sel.textContent = '';
    here.forEach((r) => {
      /* short in the bar (the level names and the dates), the run's title on hover */
      const o = zn.text(document.createElement('option'), levelsName(r.levels || []) + '（' + r.from + '–' + r.to + '）');
      o.title = runTitle(r);
      o.value = r.rules;
      sel.appendChild(o);
    });
    sel.hidden = here.length < 2;
    $('zone-controls').hidden = here.length === 0;
    const d = day();
    const r = here.find((x) => x.rules === zs.want) || latestRun(here.filter((x) => d && x.from <= d && d <= x.to)) ||
      latestRun(here);
    zs.rules = r ? r.rules : '';
    if (!zs.want && r) zs.want = r.rules;
    zs.levels = r ? r.levels : [];
    sel.value = zs.rules;
  }
  function zoneRun() { return zs.rules ? runFor(zs.rules, zoneArea()) : null; }
  /* a run's Chinese title: title_zh when the row has one, else the part of title before " / " (the
   * English half), else the rule set's id */
  function runTitle(r) { return r ? r.title_zh || (r.title || r.rules).split(' / ')[0] : ''; }
  /* the levels as one name: 高风险区, 中风险区, 低风险区 -> 高/中/低风险区 (a common ending of two
   * characters or more is said once), 封控区, 管控区, 防范区 -> 封控区/管控区/防范区 */
  function levelsName(levels) {
    const zh = levels.map((lv) => lv.zh || lv.name);
    if (!zh.length) return '分区';
    let k = 0;
    while (zh.every((x) => x.length > k + 1 && x[x.length - 1 - k] === zh[0][zh[0].length - 1 - k])) k++;
    return zh.length > 1 && k >= 2 ? zh.map((x) => x.slice(0, x.length - k)).join('/') + zh[0].slice(-k) : zh.join('/');
  }

  /* the daily counts per level of the area (the legend and the stacked chart) */
  async function zoneDays() {
    const key = zs.rules + '|' + state.area.code;
    if (!zs.rules) { zs.days = {}; zs.daysKey = key; return; }
    if (zs.daysKey === key) return;
    const r = await zn.get('/zones/days', { rules: zs.rules, area: state.area.code });
    zs.levels = r.levels;
    zs.days = {};
    r.days.forEach((x) => { zs.days[x.date] = x; });
    zs.daysList = r.days;
    zs.daysKey = key;
    /* no unit of the run in this area (another province): no layer, no chart */
    zs.unitsInArea = r.days.reduce((a, x) => a + Object.values(x.counts).reduce((b, n) => b + n, 0), 0);
    if (!zs.unitsInArea) zs.days = {};
  }

  /* the units of one level on a day: points [lon, lat, i] (i indexes props) and polygons, cached per
   * run, area, day and level (a level's list is fetched only while it is shown: the floor level of a
   * whole province is some 30,000 units) */
  async function zoneLevel(d, lv) {
    const key = zs.rules + '|' + state.area.code + '|' + d + '|' + lv;
    if (zs.cache.has(key)) {
      const v = zs.cache.get(key);
      zs.cache.delete(key); /* most recently used last */
      zs.cache.set(key, v);
      return v;
    }
    const fc = await zn.get('/zones', { rules: zs.rules, day: d, area: state.area.code, level: lv });
    const wgs = !(fc.crs && /GCJ/i.test(JSON.stringify(fc.crs)));
    const conv = wgs ? (c) => gcj(c[0], c[1]) : (c) => [c[0], c[1]];
    const v = { points: [], polys: [], props: [] };
    fc.features.forEach((f) => {
      const g = f.geometry, i = v.props.length;
      v.props.push(f.properties);
      if (!g) return;
      if (g.type === 'Point') {
        const c = conv(g.coordinates);
        v.points.push([c[0], c[1], i]);
      } else if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
        const rings = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates).map((poly) => poly[0].map(conv));
        let sx = 0, sy = 0, n = 0;
        rings[0].forEach((c) => { sx += c[0]; sy += c[1]; n++; });
        v.polys.push({ rings, centre: [sx / n, sy / n, i] });
      }
    });
    zs.cache.set(key, v);
    while (zs.cache.size > 60) zs.cache.delete(zs.cache.keys().next().value);
    return v;
  }
  /* the shown levels of a day: {by: {level: units}, n: features} */
  async function zoneFeatures(d) {
    const shown = zs.levels.filter((lv) => !zs.hidden[lv.name]);
    const lists = await Promise.all(shown.map((lv) => zoneLevel(d, lv.name)));
    const by = {};
    let n = 0;
    shown.forEach((lv, k) => { by[lv.name] = lists[k]; n += lists[k].props.length; });
    return { by, n };
  }

  /* ECharts series of the zone layer, lowest level first so that the highest is drawn on top */
  function zoneSeries(z) {
    const out = [];
    if (!z || !zs.on) return out;
    const levels = zs.levels.map((lv, rank) => ({ lv, rank })).reverse();
    levels.forEach(({ lv, rank }) => {
      const b = z.by[lv.name];
      if (!b || zs.hidden[lv.name]) return;
      const color = zoneColor(lv, rank);
      const asPoints = zs.zoom <= POLYGON_ZOOM;
      const pts = asPoints && b.polys.length ? b.points.concat(b.polys.map((p) => p.centre)) : b.points;
      out.push({ id: 'zone-pt-' + lv.name, name: lv.zh, type: 'scatter', coordinateSystem: 'geo', data: pts,
        symbol: 'rect', symbolSize: ZONE_SIZE[rank] || 3, large: true, largeThreshold: 500, z: 2,
        itemStyle: { color, opacity: rank === 0 ? 0.9 : 0.7 }, tooltip: { show: true } });
      if (!asPoints && b.polys.length) {
        out.push({ id: 'zone-pg-' + lv.name, name: lv.zh, type: 'custom', coordinateSystem: 'geo', z: 2,
          data: b.polys.map((p, k) => [p.centre[0], p.centre[1], p.centre[2], k]),
          renderItem: (params, api) => {
            const p = b.polys[api.value(3)];
            return { type: 'group', children: p.rings.map((ring) => ({ type: 'polygon',
              shape: { points: ring.map((c) => api.coord(c)) },
              style: { fill: color, opacity: 0.45, stroke: color, lineWidth: 1 } })) };
          } });
      }
    });
    return out;
  }

  function zoneTooltip(p) {
    const lvName = p.seriesId.replace(/^zone-p[tg]-/, '');
    const b = state.zoneNow && state.zoneNow.by[lvName];
    const pr = b && b.props[p.value[2]];
    if (!pr) return '';
    const esc = (s) => zn.text(document.createElement('i'), s == null ? '' : String(s)).innerHTML;
    return esc(pr.name || pr.unit) + '<br>' + esc(pr.level_zh) + ' · ' + esc(pr.entered) + ' 起' +
      (pr.due ? '，预计 ' + esc(pr.due) + ' 解除' : '');
  }

  /* the legend over the map: per level the units of the selected area on the day, click to hide */
  function zoneLegend(d, z) {
    const box = $('zone-legend');
    const info = zs.days[d];
    if (!zs.on || !zs.rules || (!info && !z)) { box.hidden = true; ready.zoneLegend = null; return; }
    box.textContent = '';
    const run = zoneRun();
    box.appendChild(zn.text(document.createElement('div'), run ? runTitle(run) : zs.rules))
      .className = 't';
    const counts = {};
    zs.levels.forEach((lv, rank) => {
      const n = info ? info.counts[lv.name] || 0 : (z && z.by[lv.name] ? z.by[lv.name].props.length : 0);
      counts[lv.name] = n;
      const row = document.createElement('div');
      row.className = 'lv' + (zs.hidden[lv.name] ? ' off' : '');
      row.dataset.level = lv.name;
      row.dataset.count = n;
      row.title = zs.hidden[lv.name] ? '点击显示' : '点击隐藏';
      const sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = zoneColor(lv, rank);
      row.appendChild(sw);
      row.appendChild(zn.text(document.createElement('span'), lv.zh));
      row.appendChild(zn.text(document.createElement('span'), zn.fmt(n))).className = 'n';
      row.addEventListener('click', () => {
        zs.hidden[lv.name] = !zs.hidden[lv.name];
        drawMap();
      });
      box.appendChild(row);
    });
    if (info && !info.known) box.appendChild(zn.text(document.createElement('div'), '当日未公布名单，按此前状态推算')).className = 't';
    if (!info) box.appendChild(zn.text(document.createElement('div'), '不在分区评估期内')).className = 't';
    box.hidden = false;
    ready.zoneLegend = counts;
  }

  /* the stacked daily counts of the area per level, with the slider's day marked */
  function zoneChart() {
    const panel = $('zone-panel');
    if (!zs.rules || !zs.daysList || !zs.daysList.length || !zs.unitsInArea) {
      panel.hidden = true;
      $('zone-foot').textContent = '';
      return;
    }
    panel.hidden = false;
    const dates = zs.daysList.map((x) => x.date);
    const series = zs.levels.map((lv, rank) => ({ type: 'bar', stack: 'z', name: lv.zh, barCategoryGap: '10%',
      itemStyle: { color: zoneColor(lv, rank) },
      data: zs.daysList.map((x) => (x.known ? x.counts[lv.name] || 0 : { value: x.counts[lv.name] || 0, itemStyle: { opacity: 0.45 } })) }));
    if (series.length) series[0].markLine = { symbol: 'none', silent: true, data: dayMark(), lineStyle: { color: '#ffb547', width: 2 },
      label: { color: '#ffb547' } };
    setOption('zone-chart', {
      grid: { left: 52, right: 12, top: 40, bottom: 28 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => zn.fmt(v) },
      legend: { top: 0, right: 8, textStyle: { color: '#8aa4c2' } },
      xAxis: { type: 'category', data: dates, axisLabel: { color: '#8aa4c2' } },
      yAxis: { type: 'value', axisLabel: { color: '#8aa4c2' }, splitLine: { lineStyle: { color: '#1f4470' } } },
      series,
    });
    const run = zoneRun();
    $('zone-chart-title').textContent = levelsName(zs.levels) + '单元数 · 按日（' + state.area.name + '）';
    $('zone-note').textContent = (run ? runTitle(run) + '；' : '') + '半透明柱：当日未公布名单（状态按规则推算，不视为无病例）。';
    $('zone-foot').textContent = '分区：' + (run ? runTitle(run) : zs.rules) + '，按日评估（单元点位 WGS-84 转 GCJ-02）。';
    ready.zoneChart = dates.length;
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

  /* one drawing at a time; asked again meanwhile, it draws once more with the state of then (so a
   * fast slider or replay fetches the day it stops on, not every day it passed) */
  let drawing = null, drawAgain = false;
  function drawMap() {
    if (drawing) { drawAgain = true; return drawing; }
    drawing = (async () => {
      do {
        drawAgain = false;
        try { await drawMapOnce(); } catch (e) { console.error('map: ' + e.message); }
      } while (drawAgain);
    })().finally(() => { drawing = null; });
    return drawing;
  }

  /* where the points of an area come from: the 上海发布 lists cover Shanghai (31) only, case
   * reports (feed case_report, e.g. the demo city) any area */
  function pointsSource(code) {
    const p = areaPrefix(code);
    const sh = '上海发布病例居住地（高德地理编码，GCJ-02）', rep = '病例报告现住址（数据归集 case_report，GCJ-02）';
    if (p.startsWith('31')) return sh + '与' + rep;
    return '31'.startsWith(p) ? sh + '与' + rep : rep;
  }

  async function drawMapOnce() {
    const code = state.area.code;
    const mapName = state.mapName;
    const d = day();
    const cum = state.mode === 'cum';
    const q = cum ? { area: code, to: d, cell: 0.005 } : { area: code, date: d, cell: 0 };
    const seq = (state.drawSeq = (state.drawSeq || 0) + 1);
    const zoneDay = zs.on && zs.rules && d && zs.days[d] ? d : null;
    const [pts, z] = await Promise.all([zn.get('/cases/points', q),
      zoneDay ? zoneFeatures(zoneDay).catch(() => null) : null]);
    if (seq !== state.drawSeq) return; /* a later day or area was asked for meanwhile */
    state.zoneNow = z;
    const data = pts.points.map((p) => [p[0], p[1], p[2]]);
    ready.points = data.length;
    const max = data.reduce((m, p) => Math.max(m, p[2]), 1);
    const series = cum
      ? [{ type: 'heatmap', coordinateSystem: 'geo', data, pointSize: 6, blurSize: 10 }]
      /* beyond 20,000 points one canvas pass (large mode, one size) instead of a symbol per point */
      : [{ id: 'cases', type: 'scatter', coordinateSystem: 'geo', data, z: 3, large: data.length > 20000, largeThreshold: 20000,
        symbolSize: data.length > 20000 ? 4 : (v) => 3 + Math.sqrt(v[2]) * 2,
        itemStyle: { color: z ? '#ffe66d' : '#ff5a4e', opacity: 0.8, borderColor: '#08182b', borderWidth: z ? 0.5 : 0 } }];
    const opt = {
      backgroundColor: 'transparent',
      tooltip: { trigger: 'item', formatter: (p) => (p.seriesId && p.seriesId.startsWith('zone-') ? zoneTooltip(p)
        : p.seriesType ? p.value[2] + ' 处' : p.name) },
      geo: mapName ? {
        map: mapName, roam: true, layoutCenter: ['50%', '50%'], layoutSize: '96%',
        label: { show: true, color: '#9fc3e6', fontSize: 11 },
        itemStyle: { areaColor: '#12355c', borderColor: '#4fa3e0', borderWidth: 1 },
        emphasis: { itemStyle: { areaColor: '#1d5288' }, label: { color: '#fff' } },
        select: { disabled: true }, zoom: state.zoom || 1, center: state.center,
      } : undefined,
      series: mapName ? zoneSeries(z).concat(series) : [],
    };
    if (cum) opt.visualMap = { min: 0, max: Math.max(5, Math.round(max / 2)), calculable: false, show: true,
      left: 10, bottom: 10, textStyle: { color: '#d9e6f5' }, inRange: { color: ['#1d5288', '#ffb547', '#ff5a4e'] } };
    setOption('map', opt);
    $('points-foot').textContent = pointsSource(code);
    $('map-title').textContent = state.area.name + ' · ' + (d || '') + (cum ? ' 累计' : ' 当日') +
      ' · 有坐标 ' + zn.fmt(data.reduce((s, p) => s + p[2], 0)) + ' 处';
    zoneLegend(d, z);
    ready.zoneFeatures = z ? z.n : -1;
    ready.zoneRules = zs.rules;
    ready.zoneDay = zoneDay || '';
    ready.map = !!mapName;
    ready.mapDay = d || '';
    ready.mapArea = code;
  }

  /* ---- contacts: summary (no person data), then graph and list behind a reason (audited) ---- */
  const CLASS_ZH = { venue: '同场所', household: '同住', cotravel: '同乘', co_travel: '同乘', grid: '时空伴随',
    companion: '时空伴随', workplace: '同单位', close: '密接', secondary: '次密接', secondary_venue: '次密接·同场所',
    secondary_household: '次密接·同住' };
  const KIND_COLOR = { index: '#e8212e', close: '#ff8c1a', secondary: '#3a8ee6' };
  const KIND_ZH = { index: '指示病例', close: '密接', secondary: '次密接' };
  const cs = (state.contacts = { page: 0, limit: 50, total: 0, why: '', area: '' });

  async function contactsSummary() {
    let s;
    try {
      s = await zn.get('/contacts/summary', { area: state.area.code });
    } catch (e) {
      cs.summary = null;
      $('contacts-panel').hidden = true;
      $('person-panel').hidden = true;
      ready.contacts = null;
      return;
    }
    $('contacts-panel').hidden = false;
    /* the person data panel only where there is something to look at */
    $('person-panel').hidden = state.me.permissions.indexOf('person') < 0 || !s.found;
    $('contacts-chart').hidden = !s.found;
    cs.summary = s;
    const bd = s.by_day || [];
    if (s.found && charts['contacts-chart']) resize(charts['contacts-chart']);
    setOption('contacts-chart', {
      grid: { left: 44, right: 12, top: 26, bottom: 24 },
      tooltip: { trigger: 'axis', valueFormatter: (v) => zn.fmt(v) },
      legend: { top: 0, right: 8, textStyle: { color: '#8aa4c2' } },
      xAxis: { type: 'category', data: bd.map((x) => x.date), axisLabel: { color: '#8aa4c2' } },
      yAxis: { type: 'value', axisLabel: { color: '#8aa4c2' }, splitLine: { lineStyle: { color: '#1f4470' } } },
      series: [
        { type: 'bar', name: '发现', data: bd.map((x) => x.found), itemStyle: { color: '#ff8c1a' },
          markLine: { symbol: 'none', silent: true, data: [], lineStyle: { color: '#ffb547', width: 2 }, label: { color: '#ffb547' } } },
        { type: 'bar', name: '已管控', data: bd.map((x) => x.controlled), itemStyle: { color: '#37d399' } },
      ],
    });
    contactsDay();
  }

  /* the contacts panel as of the end of the slider's day: found and controlled cumulated over
   * by_day up to that day (a contact is found on the day its task was issued, controlled on the
   * day the task was first verified or closed: docs/server.md); secondary contacts and companions
   * come without days and are the tracing run's */
  function contactsDay() {
    const s = cs.summary;
    if (!s || $('contacts-panel').hidden) return;
    const d = day(), bd = s.by_day || [];
    let found = 0, controlled = 0;
    bd.forEach((x) => { if (!d || x.date <= d) { found += x.found; controlled += x.controlled; } });
    const cover = d ? '截至 ' + d : '全部日期';
    $('contacts-title').textContent = '密切接触者 · 发现与管控 · ' + state.area.name + ' · ' + cover;
    $('c-found').textContent = zn.fmt(found);
    $('c-controlled').textContent = zn.fmt(controlled);
    $('c-secondary').textContent = zn.fmt(s.secondary);
    $('c-companions').textContent = zn.fmt(s.companions);
    $('c-secondary').parentNode.title = $('c-companions').parentNode.title = '溯源全程合计（不按日期）';
    if (charts['contacts-chart'] && bd.some((x) => x.date === d))
      charts['contacts-chart'].setOption({ series: [{ markLine: { data: [{ xAxis: d, name: d }] } }] });
    else if (charts['contacts-chart']) charts['contacts-chart'].setOption({ series: [{ markLine: { data: [] } }] });
    const first = bd.length ? bd[0].date : '';
    $('contacts-note').textContent = !s.found ? '本辖区暂无溯源得到的密接。'
      : (d && first && d < first ? '所选日期早于首批隔离转运任务（' + first + '），尚无密接发现。'
        : '密接、已管控为' + cover + '累计：按隔离转运任务下达日计发现，按任务核查或销号日计管控；管控率 ' +
          (found ? Math.round((100 * controlled) / found) + '%' : '–') + '。') +
        '全部溯源结果：密接 ' + zn.fmt(s.found) + '、已管控 ' + zn.fmt(s.controlled) + '；次密接、同行人为溯源全程合计。';
    ready.contacts = { area: state.area.code, day: d || '', found, controlled, totalFound: s.found, totalControlled: s.controlled,
      days: bd.length };
  }

  /* a new area: the person data of the previous one goes away until a reason is given again */
  function contactsReset() {
    cs.area = '';
    cs.page = 0;
    $('contacts-rows').textContent = '';
    $('contacts-page').textContent = '';
    $('contacts-prev').disabled = $('contacts-next').disabled = true;
    $('graph-note').textContent = '输入查询事由后显示（每次查询记入审计日志）。';
    if (charts.graph) charts.graph.clear();
    ready.graph = -1;
    ready.contactRows = -1;
  }

  async function contactsPage(page) {
    const r = await zn.get('/contacts', { area: cs.area, why: cs.why, offset: page * cs.limit, limit: cs.limit });
    cs.page = page;
    cs.total = r.total;
    const tb = $('contacts-rows');
    tb.textContent = '';
    /* UTC seconds (or text) as Beijing time */
    const at = (t) => (typeof t === 'number' ? new Date(t * 1000 + 8 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ')
      : (t || '').replace('T', ' ').slice(0, 16));
    const hms = (s) => (s == null ? '' : s >= 3600 ? (s / 3600).toFixed(1) + ' 小时' : Math.round(s / 60) + ' 分钟');
    r.rows.forEach((x) => {
      const tr = document.createElement('tr');
      [x.index_case, x.contact, CLASS_ZH[x.class] || x.class, x.place || '', at(x.first_exposure), at(x.last_exposure), hms(x.overlap_seconds), x.controlled ? '是' : '否']
        .forEach((v) => tr.appendChild(zn.text(document.createElement('td'), v)));
      tb.appendChild(tr);
    });
    const pages = Math.max(1, Math.ceil(r.total / cs.limit));
    $('contacts-page').textContent = '第 ' + (page + 1) + ' / ' + pages + ' 页，共 ' + zn.fmt(r.total) + ' 条（指示病例×密接，一人可有多条）';
    $('contacts-prev').disabled = page <= 0;
    $('contacts-next').disabled = page + 1 >= pages;
    ready.contactRows = r.rows.length;
    ready.contactTotal = r.total;
    ready.contactPage = page + 1;
  }

  async function graph() {
    const q = { area: cs.area, why: cs.why };
    if (cs.secondary !== undefined) q.secondary = cs.secondary ? 1 : 0; /* else the server's default by level */
    const g = await zn.get('/contacts/graph', q);
    const seen = new Set(); /* ECharts needs unique node ids */
    g.nodes = g.nodes.filter((n) => !seen.has(String(n.id)) && seen.add(String(n.id)));
    const deg = {};
    g.edges.forEach((e) => { deg[e.source] = (deg[e.source] || 0) + 1; deg[e.target] = (deg[e.target] || 0) + 1; });
    const kinds = ['index', 'close', 'secondary'];
    setOption('graph', {
      tooltip: { formatter: (p) => (p.dataType === 'edge' ? (CLASS_ZH[p.data.cls] || p.data.cls || '')
        : zn.text(document.createElement('i'), p.data.name).innerHTML + '<br>' + (KIND_ZH[p.data.kind] || p.data.kind) +
          (p.data.area ? ' · ' + p.data.area : '')) },
      legend: { data: kinds.map((k) => KIND_ZH[k]), top: 0, right: 8, textStyle: { color: '#8aa4c2' } },
      series: [{
        type: 'graph', layout: 'force', roam: true, draggable: false,
        categories: kinds.map((k) => ({ name: KIND_ZH[k], itemStyle: { color: KIND_COLOR[k] } })),
        data: g.nodes.map((n) => ({ id: String(n.id), name: n.outside ? '辖区外人员' : String(n.id), kind: n.kind, area: n.area,
          category: Math.max(0, kinds.indexOf(n.kind)), itemStyle: n.outside ? { color: '#6b7f99' } : undefined,
          symbolSize: n.kind === 'index' ? 12 + Math.min(14, Math.sqrt(deg[n.id] || 0) * 2) : n.kind === 'close' ? 6 : 4 })),
        edges: g.edges.map((e) => ({ source: String(e.source), target: String(e.target), cls: e.class })),
        zoom: 0.8, force: { repulsion: 14, gravity: 0.35, edgeLength: [4, 14], layoutAnimation: g.nodes.length < 400, friction: 0.2 },
        lineStyle: { color: '#4f6f94', opacity: 0.7, width: 0.8 },
        emphasis: { focus: 'adjacency', lineStyle: { width: 2 } },
      }],
    });
    const n = { index: 0, close: 0, secondary: 0, edges: g.edges.length };
    g.nodes.forEach((x) => { n[x.kind] = (n[x.kind] || 0) + 1; });
    /* shown / total of each kind (the server fills the cap index cases first, then their close
     * contacts in turn, then secondary contacts; g.counts says what was left out) */
    const c = g.counts || {};
    const part = (k, label) => label + ' ' + zn.fmt(c[k] ? c[k].shown : n[k]) +
      (c[k] && c[k].shown !== c[k].total ? '/' + zn.fmt(c[k].total) : '');
    const sec = c.secondary && c.secondary.total > 0;
    $('graph-note').textContent = [part('index', '指示病例'), part('close', '密接'),
      g.secondary === false && sec ? '次密接 ' + zn.fmt(c.secondary.total) + '（未显示）' : part('secondary', '次密接'),
      part('edges', '关系')].join('，') +
      (g.truncated ? '（已达上限 ' + zn.fmt(g.limit) + ' 个节点）' : '') +
      (g.masked && !g.masked.resident_id ? '。身份证号未脱敏（流调角色）。' : '。编号已脱敏。');
    $('graph-sec-label').hidden = !sec;
    $('graph-sec').checked = !!g.secondary;
    ready.graph = g.nodes.length;
    ready.graphEdges = g.edges.length;
    ready.graphSecondary = g.secondary ? 1 : 0;
  }

  async function personLoad(ev) {
    if (ev) ev.preventDefault();
    const why = $('why').value.trim();
    $('why-error').textContent = '';
    if (why.length < 2) { $('why-error').textContent = '请填写查询事由（2–200 字）'; return; }
    cs.why = why;
    if (cs.area !== state.area.code) cs.secondary = undefined; /* each area opens with the server's default */
    cs.area = state.area.code;
    try {
      await Promise.all([graph(), contactsPage(0)]);
    } catch (e) {
      $('why-error').textContent = e.message;
    }
  }
  function contactsWire() {
    $('why-form').addEventListener('submit', personLoad);
    $('graph-sec').addEventListener('change', () => {
      cs.secondary = $('graph-sec').checked;
      graph().catch((e) => { $('why-error').textContent = e.message; });
    });
    $('contacts-prev').addEventListener('click', () => contactsPage(cs.page - 1).catch((e) => { $('why-error').textContent = e.message; }));
    $('contacts-next').addEventListener('click', () => contactsPage(cs.page + 1).catch((e) => { $('why-error').textContent = e.message; }));
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
    /* what the tasks and hub panels cover: the area, as of the end of the slider's day */
    const cover = state.area.name + ' · ' + (d ? '截至 ' + d : '全部日期');
    if (m.tasks) {
      $('tasks-panel').hidden = false;
      $('tasks-title').textContent = '指令闭环 · ' + cover;
      $('t-issued').textContent = zn.fmt(m.tasks.issued);
      $('t-closed').textContent = zn.fmt(m.tasks.closed);
      $('t-overdue').textContent = zn.fmt(m.tasks.overdue);
      $('t-rate').textContent = m.tasks.on_time_rate === null ? '–' : Math.round(m.tasks.on_time_rate * 100) + '%';
    }
    if (m.hub) await hub(m.hub, code, d, cover);
    ready.numbersDay = d || '';
    ready.numbersArea = code;
  }

  /* the data-hub panel: per feed its rows inside the area up to the end of the day (/feeds; a feed
   * whose rows carry no division cannot be counted below the country and is named in the foot);
   * files and quarantine are the whole store's (lineage and quarantined rows carry no division) */
  async function hub(h, code, d, cover) {
    const t = document.createElement('table');
    const add = (label, v, feed) => {
      const tr = document.createElement('tr');
      if (feed) tr.dataset.feed = feed;
      [label, v].forEach((x) => tr.appendChild(zn.text(document.createElement('td'), x)));
      t.appendChild(tr);
    };
    const seen = {};
    let unscoped = [];
    try {
      const f = await zn.get('/feeds', d ? { area: code, to: d } : { area: code });
      const counted = f.feeds.filter((x) => typeof x.rows === 'number');
      counted.forEach((x) => { seen[x.name] = x.rows; });
      add('本区记录合计', zn.fmt(counted.reduce((a, x) => a + x.rows, 0)));
      counted.filter((x) => x.rows > 0).forEach((x) => add(x.title_zh, zn.fmt(x.rows), x.name));
      unscoped = f.feeds.filter((x) => x.rows_null === 'no_division_column').map((x) => x.title_zh);
    } catch (e) { /* catalogue absent */ }
    add('全库已归集文件', zn.fmt(h.files));
    add('全库隔离（质检未通过）', zn.fmt(h.quarantined));
    $('hub-title').textContent = '数据归集 · ' + cover;
    $('hub').replaceChildren(t);
    $('hub-note').textContent = unscoped.length
      ? '记录无区划、不能按辖区统计：' + unscoped.join('、') + '。文件与隔离数为全库。' : '文件与隔离数为全库（不带区划）。';
    ready.hub = { area: code, day: d || '', rows: seen };
  }

  /* ---- curve, Rt, alerts (whole range of the area) ---- */
  /* the daily counts once per area (or refresh): the curve draws them and /rt is asked for only
   * when the series is long enough (the server's rule: at least RT_MIN_DAYS days, else 400) */
  const RT_MIN_DAYS = 8;
  function seriesFetch() { return zn.get('/cases/daily', { area: state.area.code }); }
  /* /rt once per area (or refresh): the Rt panel and the projection on the curve share it */
  function rtFetch(sp) {
    return sp.then((s) => (s.dates.length < RT_MIN_DAYS ? { short: s.dates.length }
      : zn.get('/rt', { area: state.area.code }).then((r) => ({ r }), (e) => ({ e }))), (e) => ({ e }));
  }
  /* a round number at or above v (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) */
  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const step = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * step >= v - 1e-9) return m * step;
    return 10 * step;
  }

  async function curve(sp, rtp) {
    sp = sp || seriesFetch();
    const [s, rt] = await Promise.all([sp, rtp || rtFetch(sp)]);
    state.series = s;
    /* the renewal-equation projection (server: zn_rt_project, R from the last Rt window) after the
     * last observed day: dashed median from the last count, shaded lo..hi interval */
    const p = rt.r && rt.r.projection && s.dates.length && rt.r.projection.dates[0] > s.dates[s.dates.length - 1]
      ? rt.r.projection : null;
    const n = s.dates.length, h = p ? p.horizon : 0, last = n ? s.counts[n - 1] : 0;
    const pad = (a, first) => new Array(n - 1).fill('-').concat([first]).concat(a);
    const name = p ? '预测 (' + h + '天)' : '';
    /* the y-axis follows the observed counts and the projected median (x 1.3); an interval reaching
     * higher (a growing projection from a few cases: the upper bound can be 50 times the counts) is
     * cut at the top of the chart, else the observed days would be flat on the axis */
    const observedMax = s.counts.reduce((m, v) => Math.max(m, v), 0);
    const medianMax = p ? p.median.reduce((m, v) => Math.max(m, v), 0) : 0;
    const bandMax = p ? p.hi.reduce((m, v) => Math.max(m, v), 0) : 0;
    const yCap = niceCeil(Math.max(observedMax, medianMax, 1) * 1.3);
    const clipped = bandMax > yCap;
    const CLIP_NOTE = '区间上限超出图表部分已截断';
    const series = [{ type: 'bar', name: '新增', data: s.counts, itemStyle: { color: '#ff5a4e' },
      markLine: { symbol: 'none', data: dayMark(), lineStyle: { color: '#ffb547', width: 2 }, label: { color: '#ffb547' } } }];
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
              : zn.fmt(Math.round(p.median[i])) + '（95% 区间 ' + zn.fmt(Math.round(p.lo[i])) + '–' + zn.fmt(Math.round(p.hi[i])) + '）' +
                (p.hi[i] > yCap ? '<br>' + CLIP_NOTE : '');
            return zn.text(document.createElement('i'), x.axisValue).innerHTML + '<br>' + x.marker + x.seriesName + '：' + v;
          }).join('<br>') : undefined },
      legend: p ? { data: ['新增', name], top: 0, right: 8, textStyle: { color: '#8aa4c2' } } : undefined,
      /* inside the plot's top left, where a clipped projection (growing from few cases) leaves room */
      graphic: clipped ? [{ type: 'text', left: 54, top: 32, silent: true, z: 10,
        style: { text: '▲ ' + CLIP_NOTE, fill: '#b8cbe0', fontSize: 11, backgroundColor: 'rgba(14,36,64,0.85)', padding: [2, 4] } }] : undefined,
      xAxis: { type: 'category', data: p ? s.dates.concat(p.dates) : s.dates, axisLabel: { color: '#8aa4c2' } },
      yAxis: { type: 'value', max: clipped ? yCap : undefined, axisLabel: { color: '#8aa4c2' },
        splitLine: { lineStyle: { color: '#1f4470' } } },
      series,
    });
    $('curve').previousElementSibling.title = clipped ? '纵轴按观测值与预测中位数确定（最高 ' + zn.fmt(yCap) + '）；95% 区间上限最高 ' +
      zn.fmt(Math.round(bandMax)) + '，' + CLIP_NOTE + '，数值见提示框。' : '';
    ready.curve = s.dates.length > 0;
    ready.projection = p ? h : 0;
    ready.curveAxis = { area: state.area.code, yMax: clipped ? yCap : null, clipped, observedMax, medianMax, bandMax };
  }

  function markDay() {
    const d = day();
    if (!charts.curve || !d) return;
    charts.curve.setOption({ series: [{ markLine: { data: [{ xAxis: d, name: d }] } }] });
    if (charts.rt) charts.rt.setOption({ series: [{ markLine: { data: [{ yAxis: 1 }, { xAxis: d }] } }] });
    if (charts['zone-chart'] && !$('zone-panel').hidden) {
      charts['zone-chart'].setOption({ series: [{ markLine: { data: [{ xAxis: d, name: d }] } }] });
      ready.zoneMark = d;
    }
  }

  async function rt(rtp) {
    const { r, e, short } = await rtp;
    const note = $('rt-note');
    note.title = '';
    if (e || short !== undefined) {
      setOption('rt', { graphic: [{ type: 'text', left: 'center', top: 'middle', silent: true,
        style: { text: short !== undefined ? '病例数据不足，无法估计' : '无法估计', fill: '#8aa4c2', fontSize: 14 } }] });
      /* the server's reasons in Chinese; its own words stay in the tooltip */
      const m = e && /at least (\d+) days of counts, the area has (\d+)/.exec(e.message || '');
      const need = m ? Number(m[1]) : RT_MIN_DAYS, have = m ? Number(m[2]) : short;
      note.textContent = short !== undefined || m
        ? '病例序列不足 ' + need + ' 天（本区 ' + have + ' 天），无法估计 Rt。'
        : '无法估计 Rt（服务器未给出结果，详见提示）。';
      if (e) note.title = e.message;
      ready.rt = 0;
      ready.rtNote = note.textContent;
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
          markLine: { symbol: 'none', silent: true, data: [{ yAxis: 1 }].concat(day() ? [{ xAxis: day() }] : []), lineStyle: { color: '#37d399', type: 'dashed' },
            label: { color: '#8aa4c2' } } },
        { type: 'line', name: '下限', data: r.windows.map((w) => w.lo), symbol: 'none', lineStyle: { opacity: 0 }, stack: 'ci' },
        { type: 'line', name: '区间', data: r.windows.map((w) => w.hi - w.lo), symbol: 'none', lineStyle: { opacity: 0 },
          areaStyle: { color: 'rgba(63,181,255,0.25)' }, stack: 'ci' },
      ],
    });
    ready.rt = r.windows.length;
    $('rt-note').textContent = 'Cori 等 (2013) 方法，7 日滑动窗；序列间隔均值 ' + r.method.si_mean + ' 天、标准差 ' + r.method.si_sd + ' 天。按公布的病例居住地数估计。';
  }

  /* EARS C3 over the area's daily counts, the detector `zhinao warn --store` runs (ears-c3: its
   * stored alarms each get a verification task, epi.verify_signal, on the task pages); the title
   * names the method the answer says it used */
  const ALERT_METHOD = 'c3';
  async function alerts() {
    const ul = $('alerts');
    ul.textContent = '';
    try {
      const a = await zn.get('/alerts', { area: state.area.code, method: ALERT_METHOD });
      $('alerts-title').textContent = '预警 · ' + (a.method || 'EARS ' + ALERT_METHOD.toUpperCase()) + ' · ' + state.area.name;
      $('alerts-note').textContent = a.method + '：按本区每日病例数即时计算（超过阈值即报警），与 zhinao warn 入库预警同一方法；' +
        '入库预警各有一项“预警信号核实”任务（任务页）。';
      if (!a.alerts.length) ul.appendChild(zn.text(document.createElement('li'), '无预警信号'));
      a.alerts.slice(-12).reverse().forEach((x) => {
        const li = document.createElement('li');
        li.appendChild(zn.text(document.createElement('span'), x.date + ' '));
        const b = zn.text(document.createElement('b'), zn.fmt(x.count) + ' 处');
        b.className = 'hot';
        li.appendChild(b);
        li.appendChild(zn.text(document.createElement('span'), '（阈值 ' + zn.fmt(Math.round(x.upperbound)) + '）'));
        ul.appendChild(li);
      });
      ready.alerts = { area: state.area.code, method: a.method, n: a.alerts.length };
    } catch (e) {
      ul.appendChild(zn.text(document.createElement('li'), '无法计算预警')).title = e.message;
      ready.alerts = { area: state.area.code, method: '', n: -1 };
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
      contactsDay();
      await Promise.all([drawMap(), numbers()]);
    }, 120);
  }

  async function go(code) {
    const d = await zn.get('/divisions', { area: code });
    state.area = d.division;
    state.path = d.path.length ? d.path : [d.division];
    if (!d.path.length) state.path = [{ code: d.division.code, name: d.division.name, level: 0 }];
    crumbs();
    zoneChoose(); /* the runs serving this area (one rule set can have a run per area) */
    ready.map = false;
    ready.rt = -1;
    state.zoom = zs.zoom = 1;
    /* the floor level (防范区: every other unit) of a province or city is a blanket of tens of
     * thousands of units: off until asked for (click the legend); shown from a district down */
    zs.hidden = {};
    if (zs.levels.length > 1 && d.division.level <= 2) zs.hidden[zs.levels[zs.levels.length - 1].name] = true;
    state.center = undefined;
    contactsReset();
    const [mapName] = await Promise.all([loadBoundaries(code), zoneDays().catch(() => { zs.days = {}; zs.daysList = []; })]);
    state.mapName = mapName;
    const sp = seriesFetch(), rtp = rtFetch(sp);
    zoneChart();
    await Promise.all([drawMap(), numbers(), curve(sp, rtp), rt(rtp), alerts(), contactsSummary()]);
    markDay();
  }

  /* ---- live updates ---- */
  function live() {
    if (!window.EventSource) return;
    const es = new EventSource('/api/v1/events');
    es.addEventListener('hello', () => $('live').classList.add('on'));
    es.onerror = () => $('live').classList.remove('on');
    /* the curve is redrawn whole: mark the day again */
    const refresh = () => Promise.all([numbers(), curve()]).then(markDay, () => {});
    ['cases.changed', 'hub.lineage', 'tasks.changed', 'tasks.overdue', 'task.escalated']
      .forEach((n) => es.addEventListener(n, refresh));
    /* a new zone evaluation or override: the runs, counts and cached day maps are stale */
    es.addEventListener('zones.changed', async () => {
      zs.cache.clear();
      zs.daysKey = '';
      try {
        await zoneRuns();
        await zoneDays();
      } catch (e) { /* keep what is drawn */ }
      zoneChart();
      markDay();
      drawMap();
    });
    es.addEventListener('contacts.changed', () => contactsSummary());
    es.addEventListener('alerts.new', () => alerts());
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
    $('zone-on').addEventListener('change', () => { zs.on = $('zone-on').checked; drawMap(); });
    $('zone-rules').addEventListener('change', async () => {
      zs.rules = zs.want = $('zone-rules').value;
      zs.levels = zoneRun().levels;
      zs.hidden = {};
      await zoneDays();
      zoneChart();
      markDay();
      drawMap();
    });
    contactsWire();
    /* remember the user's zoom and centre across redraws; polygons become points when zoomed out */
    let roamTimer = null;
    chart('map').on('georoam', () => {
      clearTimeout(roamTimer);
      roamTimer = setTimeout(() => {
        const g = chart('map').getOption().geo;
        if (!g || !g[0]) return;
        const before = zs.zoom <= POLYGON_ZOOM;
        state.zoom = zs.zoom = g[0].zoom || 1;
        state.center = g[0].center;
        if (before !== zs.zoom <= POLYGON_ZOOM) drawMap();
      }, 200);
    });
    chart('map').on('click', (p) => {
      const code = state.nameToCode[p.name];
      if (code && p.componentType === 'geo' && code !== state.area.code) go(code);
    });
    await zoneRuns();
    await go(me.division.code);
    live();
  }

  start().catch((e) => {
    if (e.message !== 'unauthorized') document.body.appendChild(zn.text(document.createElement('p'), '加载失败：' + e.message));
  });
})();
