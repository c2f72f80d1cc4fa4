// Browser test of the cockpit: Debian's chromium driven by playwright-core (no browser download).
// usage: node cockpit.mjs BASE_URL NAME PASSWORD OUTDIR WEBDIR
// env: ZN_PASSWORD_ZJ (demo-zj, the Hangzhou demo city), ZN_FIELD_USER / ZN_FIELD_PASSWORD (a
// township command post with tasks).
// Logs in, waits for the map with its boundaries, zones and the epidemic curve, moves the day slider
// and checks the map points, the zones layer (legend and features against the API of the same day)
// and the day change, drills down to a district, checks that a district the user may not see is
// refused; as demo-zj opens the contacts panel, gives a reason and checks the transmission graph and
// the masked contact list against the API, and the data-hub panel through 浙江省, 杭州市, 西湖区; as
// the township completes a task on the field page and sees the task metric as of now change (the
// tasks and hub panels are checked against the API for the area and day); saves screenshots in OUTDIR.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, name, password, outdir, webdir] = process.argv.slice(2);
// playwright-core is installed in web/node_modules by `npm ci`, beside the cockpit's assets
const { chromium } = createRequire(join(webdir, 'package.json'))('playwright-core');
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const profile = mkdtempSync(join(tmpdir(), 'zn-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1600, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync'],
});
const requests = [];
const zj = process.env.ZN_PASSWORD_ZJ, fieldUser = process.env.ZN_FIELD_USER, fieldPw = process.env.ZN_FIELD_PASSWORD;
const RULES = 'shanghai-2022-04';
// the zones layer of `area` on `day` has rendered
const zonesSettled = (page, day, area, rules = RULES) => page.waitForFunction(([d, a, z]) => {
  const r = window.znReady;
  return r && r.zoneDay === d && r.mapArea === a && r.mapDay === d && r.zoneLegend && r.zoneMark === d && r.zoneRules === z;
}, [day, area, rules]);
// the zones of `area` on `day`: the legend, the features drawn, and what the API answers for that day
const zonesSeen = (page, day, area, rules = RULES) => page.evaluate(async ([d, a, rules]) => {
  const legend = {}, off = [];
  document.querySelectorAll('#zone-legend .lv').forEach((el) => {
    legend[el.dataset.level] = Number(el.dataset.count);
    if (el.classList.contains('off')) off.push(el.dataset.level);
  });
  const o = echarts.getInstanceByDom(document.getElementById('map')).getOption();
  const drawn = {};
  o.series.filter((x) => String(x.id).startsWith('zone-pt-')).forEach((x) => { drawn[x.id.slice(8)] = x.data.length; });
  const days = await (await fetch('/api/v1/zones/days?rules=' + rules + '&area=' + a)).json();
  const fc = await (await fetch('/api/v1/zones?rules=' + rules + '&day=' + d + '&area=' + a)).json();
  const api = {}, located = {};
  fc.features.forEach((f) => {
    const lv = f.properties.level;
    api[lv] = (api[lv] || 0) + 1;
    if (f.geometry) located[lv] = (located[lv] || 0) + 1;
  });
  const row = days.days.find((x) => x.date === d);
  return { legend, off, drawn, features: window.znReady.zoneFeatures, apiDay: row && row.counts, api, located, apiFeatures: fc.features.length };
}, [day, area, rules]);
const checkZones = (z, what) => {
  const levels = Object.keys(z.apiDay || {});
  if (!levels.length) return fail(what + ': no zone counts from the API');
  for (const lv of levels) {
    if (z.legend[lv] !== z.apiDay[lv]) fail(what + ': legend ' + lv + ' ' + z.legend[lv] + ' != API days ' + z.apiDay[lv]);
    if ((z.api[lv] || 0) !== z.apiDay[lv]) fail(what + ': /zones features ' + lv + ' ' + z.api[lv] + ' != /zones/days ' + z.apiDay[lv]);
    // every unit of a shown level with a point or polygon is drawn (units without coordinates are
    // counted, not drawn); a level switched off in the legend is not drawn
    if (z.off.includes(lv)) {
      if (z.drawn[lv] !== undefined) fail(what + ': level ' + lv + ' is off but drawn');
    } else if ((z.drawn[lv] || 0) !== (z.located[lv] || 0)) fail(what + ': drawn ' + lv + ' ' + z.drawn[lv] + ' != API ' + z.located[lv]);
  }
  const shown = levels.filter((lv) => !z.off.includes(lv)).reduce((a, lv) => a + (z.api[lv] || 0), 0);
  if (z.features !== shown) fail(what + ': ' + z.features + ' features loaded, the API has ' + shown + ' in the shown levels');
};
// everything of the view of `area` on `day` has rendered (window.znReady is set by web/app/cockpit.js)
const settled = (page, day, area) => page.waitForFunction(([d, a]) => {
  const r = window.znReady;
  return r && r.map && r.curve && r.rt >= 0 && r.mapDay === d && r.numbersDay === d && r.mapArea === a &&
    r.numbersArea === a;
}, [day, area]);
// the data-hub panel (rows per feed inside the area up to the day) and the tasks panel against the
// API for the same area and day
const panelsSeen = (page) => page.evaluate(async () => {
  const h = window.znReady.hub;
  const num = (el) => Number(el.textContent.replace(/,/g, ''));
  const ui = {};
  document.querySelectorAll('#hub tr[data-feed]').forEach((tr) => { ui[tr.dataset.feed] = num(tr.lastChild); });
  const f = await (await fetch('/api/v1/feeds?area=' + h.area + (h.day ? '&to=' + h.day : ''))).json();
  const api = {};
  f.feeds.filter((x) => x.rows > 0).forEach((x) => { api[x.name] = x.rows; });
  const m = await (await fetch('/api/v1/metrics?area=' + h.area + (h.day ? '&to=' + h.day : ''))).json();
  const t = {};
  ['issued', 'closed', 'overdue'].forEach((k) => { t[k] = num(document.getElementById('t-' + k)); });
  return { area: h.area, day: h.day, ui, api, total: num(document.querySelector('#hub tr td:last-child')),
    apiTotal: f.feeds.reduce((a, x) => a + (x.rows || 0), 0), title: document.getElementById('hub-title').textContent,
    tasks: t, apiTasks: m.tasks, tasksTitle: document.getElementById('tasks-title').textContent };
});
const checkPanels = (p, area, day, name, what) => {
  const sorted = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
  if (p.area !== area || p.day !== day) fail(what + ': hub panel of ' + p.area + ' ' + p.day);
  if (sorted(p.ui) !== sorted(p.api) || p.total !== p.apiTotal)
    fail(what + ': hub rows ' + JSON.stringify([p.ui, p.total]) + ' != API ' + JSON.stringify([p.api, p.apiTotal]));
  const cover = name + ' · ' + (day ? '截至 ' + day : '全部日期');
  if (!p.title.includes(cover)) fail(what + ': hub title ' + p.title);
  if (p.apiTasks) {
    if (!p.tasksTitle.includes(cover)) fail(what + ': tasks title ' + p.tasksTitle);
    for (const k of ['issued', 'closed', 'overdue'])
      if (p.tasks[k] !== p.apiTasks[k]) fail(what + ': tasks ' + k + ' ' + p.tasks[k] + ' != API ' + p.apiTasks[k]);
  }
};
// the curve's y-axis, the Rt note and the alerts panel of `area` against the API: the axis holds the
// observed maximum and the projected median; an interval reaching higher is cut (axis max below
// the band's maximum, a note); a series too short for Rt is said in Chinese and /rt not asked for
let page;
const rtAsked = [];
const checkCurveRt = async (area, what) => {
  const asked = rtAsked.slice(); // before the test's own request below
  await page.waitForFunction((a) => window.znReady.curveAxis && window.znReady.curveAxis.area === a && window.znReady.rt >= 0 &&
    window.znReady.alerts && window.znReady.alerts.area === a, area);
  const c = await page.evaluate(async (a) => {
    const s = await (await fetch('/api/v1/cases/daily?area=' + a)).json();
    const r = await fetch('/api/v1/rt?area=' + a);
    const rt = await r.json();
    const al = await (await fetch('/api/v1/alerts?method=c3&area=' + a)).json();
    const o = echarts.getInstanceByDom(document.getElementById('curve')).getOption();
    return { ui: window.znReady.curveAxis, rtWindows: window.znReady.rt, status: r.status, rt, n: s.dates.length,
      observedMax: Math.max(0, ...s.counts), axisMax: o.yAxis[0].max, graphic: JSON.stringify(o.graphic || []),
      note: document.getElementById('rt-note').textContent, alertsTitle: document.getElementById('alerts-title').textContent,
      alertsUi: window.znReady.alerts, al };
  }, area);
  const p = c.rt.projection;
  const bandMax = p ? Math.max(...p.hi) : 0, medianMax = p ? Math.max(...p.median) : 0;
  console.log('curve ' + what + ':', JSON.stringify({ ui: c.ui, observedMax: c.observedMax, bandMax, medianMax, axisMax: c.axisMax, n: c.n }));
  if (c.ui.observedMax !== c.observedMax) fail(what + ': curve observed max ' + c.ui.observedMax + ' != API ' + c.observedMax);
  if (c.ui.clipped) {
    if (!(c.axisMax >= c.observedMax && c.axisMax >= medianMax && c.axisMax < bandMax) || c.axisMax !== c.ui.yMax ||
      !c.graphic.includes('区间上限超出图表部分已截断'))
      fail(what + ': clipped curve axis ' + JSON.stringify({ axisMax: c.axisMax, bandMax, medianMax, observedMax: c.observedMax }));
  } else if (c.axisMax !== undefined && c.axisMax !== null && !(c.axisMax >= bandMax)) fail(what + ': the axis cuts the band without saying so');
  if (c.ui.clipped !== (bandMax > Math.max(c.observedMax, medianMax, 1) * 1.3 && bandMax > c.axisMax))
    fail(what + ': clipped ' + c.ui.clipped + ' with band max ' + bandMax);
  if (c.status === 200) {
    if (c.rtWindows !== c.rt.windows.length) fail(what + ': Rt windows ' + c.rtWindows + ' != API ' + c.rt.windows.length);
  } else {
    // the page knows the series length (/cases/daily) and does not ask; the note is Chinese
    if (c.n >= 8 || c.rtWindows !== 0 || !c.note.includes('病例序列不足 8 天（本区 ' + c.n + ' 天）') || /[A-Za-z]{4}/.test(c.note))
      fail(what + ': Rt note for a ' + c.n + '-day series: ' + c.note + ' (API ' + c.status + ' ' + c.rt.message + ')');
    if (asked.some((u) => u.includes('/api/v1/rt?area=' + area))) fail(what + ': the page asked /rt for a short series');
  }
  if (c.alertsUi.method !== c.al.method || !c.alertsTitle.includes(c.al.method) || c.alertsUi.n !== c.al.alerts.length)
    fail(what + ': alerts panel ' + JSON.stringify({ title: c.alertsTitle, ui: c.alertsUi, api: c.al.method, n: c.al.alerts.length }));
};
// the zone chart's title by the run's level names, the map's foot by the run's Chinese title and
// the source of the points shown
const checkZoneLabels = async (area, what) => {
  const z = await page.evaluate(async () => {
    const runs = (await (await fetch('/api/v1/zones/runs')).json()).rows;
    return { runs, rules: window.znReady.zoneRules, hidden: document.getElementById('zone-panel').hidden, title: document.getElementById('zone-chart-title').textContent,
      foot: document.getElementById('zone-foot').textContent, points: document.getElementById('points-foot').textContent };
  });
  if (!area.startsWith('31') && z.points.includes('上海发布')) fail(what + ': map foot credits 上海发布: ' + z.points);
  if (z.hidden) return console.log('zone labels ' + what + ': no zones in the area');
  const run = z.runs.filter((r) => r.rules === z.rules).pop();
  if (!run) return fail(what + ': no run of ' + z.rules);
  const zh = run.levels.map((l) => l.zh);
  const risk = zh.every((x) => x.endsWith('风险区'));
  const runZh = run.title_zh || run.title.split(' / ')[0];
  console.log('zone labels ' + what + ':', JSON.stringify({ title: z.title, foot: z.foot, points: z.points }));
  if ((risk && (!z.title.includes('风险区') || z.title.includes('三区'))) || !zh.every((x) => z.title.includes(risk ? x.slice(0, -3) : x)))
    fail(what + ': zone chart title ' + z.title + ' for levels ' + zh);
  if (!z.foot.includes(runZh) || z.foot.includes(run.rules)) fail(what + ': zone foot ' + z.foot + ' (run ' + runZh + ')');
};
try {
  page = ctx.pages()[0] || (await ctx.newPage());
  page.on('request', (r) => { if (r.url().includes('/api/v1/rt?')) rtAsked.push(r.url()); });
  // no missing page file (the favicon included); API refusals are checked where they are meant
  const refused = [];
  page.on('response', (r) => {
    if (r.status() === 404 && !r.url().includes('/api/')) fail('404 ' + r.url());
    if (r.status() === 401) refused.push(r.url());
  });
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) console.log('console error: ' + m.text()); });
  page.on('pageerror', (e) => fail('page error: ' + e.message + ' ' + (e.stack || '').split('\n').slice(1, 4).join(' ')));
  page.setDefaultTimeout(60000); // the sanitizer build serves slower

  // the cockpit sends a visitor without a session to the login page
  await page.goto(base + '/');
  await page.waitForURL('**/login');
  // without asking the API first (the page never logged in: no 401 in the console)
  if (refused.length) fail('401 before the login: ' + refused.join(' '));
  await page.fill('#password', 'not the password');
  await page.fill('#name', name);
  await page.click('#login-button');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  const errText = await page.textContent('#login-error');
  if (!errText.includes('账号或密码错误')) fail('bad password message: ' + errText);

  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForURL(base + '/');
  await settled(page, '2022-04-10', '310000000000');
  const r1 = await page.evaluate(() => ({ ...window.znReady }));
  console.log('first view:', JSON.stringify(r1));
  if (r1.boundaries !== 16) fail('expected the 16 Shanghai district polygons, got ' + r1.boundaries);
  if (r1.day !== '2022-04-10') fail('expected to open on 2022-04-10, got ' + r1.day);
  if (r1.points !== 6165) fail('expected 6165 distinct case points on 2022-04-10, got ' + r1.points);
  // 6298 residences listed that day (PROVENANCE counts; the store: SELECT COUNT(*) ... date='2022-04-10')
  if ((await page.textContent('#kpi-day')) !== '6,298') fail('day KPI ' + (await page.textContent('#kpi-day')));
  if (r1.rt < 30) fail('expected Rt windows over the wave, got ' + r1.rt);
  // the renewal-equation projection after the last observed day: 14 days, lo <= median <= hi
  if (r1.projection !== 14) fail('expected a 14-day projection on the curve, got ' + r1.projection);
  const proj = await page.evaluate(() => {
    const o = echarts.getInstanceByDom(document.getElementById('curve')).getOption();
    const s = o.series.find((x) => x.name === '预测 (14天)');
    return s && { n: s.data.length, x: o.xAxis[0].data.length, dashed: s.lineStyle.type, tail: s.data.slice(-14),
      lo: o.series.find((x) => x.name === '预测 (14天)下限').data.slice(-14) };
  });
  if (!proj || proj.n !== proj.x || proj.dashed !== 'dashed' || proj.tail.some((v, i) => !(v >= proj.lo[i])))
    fail('curve projection series: ' + JSON.stringify(proj));
  // the zones of the day: the legend over the map and the points drawn per level are what the API
  // answers for 上海市 on 2022-04-10
  await checkCurveRt('310000000000', '上海市');
  const icon = await page.evaluate(async () => {
    const href = document.querySelector('link[rel=icon]').getAttribute('href');
    const r = await fetch(href);
    return { href, status: r.status, type: r.headers.get('content-type') };
  });
  if (icon.status !== 200 || !icon.type.startsWith('image/svg+xml')) fail('favicon ' + JSON.stringify(icon));
  await zonesSettled(page, '2022-04-10', '310000000000');
  const z1 = await zonesSeen(page, '2022-04-10', '310000000000');
  console.log('zones 2022-04-10:', JSON.stringify({ legend: z1.legend, features: z1.features }));
  checkZones(z1, 'zones on 2022-04-10');
  await checkZoneLabels('310000000000', '上海市');
  if (!(z1.legend.sealed > 1000)) fail('expected over 1000 sealed units in Shanghai on 2022-04-10: ' + z1.legend.sealed);
  // a whole province opens with its floor level (防范区, every other unit) off
  if (z1.off.join() !== 'precaution') fail('levels off in Shanghai: ' + z1.off.join());
  const legendText = await page.textContent('#zone-legend');
  if (!legendText.includes('封控区') || !legendText.includes('管控区') || !legendText.includes('防范区')) fail('legend ' + legendText);
  const title1 = await page.textContent('#map-title');
  if (!title1.includes('上海市')) fail('map title: ' + title1);
  const p1 = await panelsSeen(page);
  console.log('panels 上海市 2022-04-10:', JSON.stringify({ hub: p1.ui, total: p1.total, tasks: p1.tasks }));
  checkPanels(p1, '310000000000', '2022-04-10', '上海市', 'Shanghai on 04-10');
  // the sealed units of 2022-04-08 became tasks: issued by 04-10
  if (!(p1.tasks.issued > 0)) fail('no tasks issued in Shanghai by 2022-04-10');
  await page.screenshot({ path: join(outdir, 'cockpit-1-shanghai-2022-04-10.png') });

  // move the day slider back 20 days with the keyboard: fewer points, another day on the curve
  await page.focus('#day');
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
  await settled(page, '2022-03-21', '310000000000');
  const r2 = await page.evaluate(() => ({ ...window.znReady }));
  console.log('after the slider:', JSON.stringify(r2));
  // 481 distinct residences were listed on 2022-03-21, 6165 on 2022-04-10 (sqlite3 on the demo store)
  if (r2.points !== 481) fail('expected 481 points on 2022-03-21, got ' + r2.points);
  if ((await page.textContent('#kpi-day')) !== '492') fail('day KPI on 03-21 ' + (await page.textContent('#kpi-day')));
  const label = await page.textContent('#day-label');
  if (label !== '2022-03-21') fail('day label ' + label);
  const mark = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById('curve'))
    .getOption().series[0].markLine.data.map((d) => d.xAxis));
  if (!mark.includes('2022-03-21')) fail('curve marker not on the day: ' + JSON.stringify(mark));
  // the zones layer followed the slider: other counts, again those of the API for that day
  await zonesSettled(page, '2022-03-21', '310000000000');
  const z2 = await zonesSeen(page, '2022-03-21', '310000000000');
  console.log('zones 2022-03-21:', JSON.stringify({ legend: z2.legend, features: z2.features }));
  checkZones(z2, 'zones on 2022-03-21');
  if (z2.legend.sealed === z1.legend.sealed || z2.legend.controlled === z1.legend.controlled)
    fail('the zones did not change with the day: ' + JSON.stringify([z1.legend, z2.legend]));
  if (!(z2.legend.sealed < z1.legend.sealed)) fail('fewer sealed units expected on 03-21 than on 04-10');
  // the stacked zone chart covers the run and marks the day
  const zc = await page.evaluate(() => {
    const o = echarts.getInstanceByDom(document.getElementById('zone-chart')).getOption();
    return { days: o.xAxis[0].data.length, stacks: o.series.length, mark: o.series[0].markLine.data.map((d) => d.xAxis) };
  });
  if (zc.days !== 63 || zc.stacks !== 3 || !zc.mark.includes('2022-03-21')) fail('zone chart ' + JSON.stringify(zc));
  // the tasks and hub panels followed the slider: on 03-21 no task had been issued yet (0s, not
  // the latest counts)
  const p2 = await panelsSeen(page);
  console.log('panels 上海市 2022-03-21:', JSON.stringify({ hub: p2.ui, total: p2.total, tasks: p2.tasks }));
  checkPanels(p2, '310000000000', '2022-03-21', '上海市', 'Shanghai on 03-21');
  if (p2.tasks.issued !== 0 || p2.tasks.closed !== 0 || p2.tasks.overdue !== 0)
    fail('tasks before the first task was issued: ' + JSON.stringify(p2.tasks));
  await page.screenshot({ path: join(outdir, 'cockpit-2-slider-2022-03-21.png'), fullPage: true });

  // drill down: Shanghai lists its 16 districts (through 市辖区); 浦东新区 is a row
  const districts = await page.$$eval('#children tr.click', (trs) => trs.length);
  if (districts !== 16) fail('Shanghai should list 16 districts, got ' + districts);
  await page.click('#children tr.click >> text=浦东新区');
  await settled(page, '2022-03-21', '310115000000');
  const r3 = await page.evaluate(() => ({ ...window.znReady }));
  console.log('Pudong:', JSON.stringify(r3));
  if (r3.boundaries !== 1) fail('Pudong map should draw its one polygon, got ' + r3.boundaries);
  const crumbs = await page.textContent('#crumbs');
  if (!crumbs.includes('上海市') || !crumbs.includes('浦东新区')) fail('breadcrumbs ' + crumbs);
  const rows = await page.$$eval('#children tr', (trs) => trs.length);
  if (rows < 10) fail('Pudong should list its townships, got ' + rows + ' rows');
  await zonesSettled(page, '2022-03-21', '310115000000');
  const z3 = await zonesSeen(page, '2022-03-21', '310115000000');
  console.log('zones Pudong 2022-03-21:', JSON.stringify({ legend: z3.legend, features: z3.features }));
  checkZones(z3, 'zones of Pudong on 2022-03-21');
  if (z3.off.length || !(z3.legend.sealed > 0 && z3.legend.sealed < z2.legend.sealed && z3.legend.precaution > 0))
    fail('Pudong shows all its levels, a part of Shanghai\'s: ' + JSON.stringify(z3));
  checkPanels(await panelsSeen(page), '310115000000', '2022-03-21', '浦东新区', 'Pudong on 03-21');
  await page.screenshot({ path: join(outdir, 'cockpit-3-pudong.png') });
  // hiding a level in the legend removes its layer
  await page.click('#zone-legend .lv[data-level=precaution]');
  await page.waitForFunction(() => !echarts.getInstanceByDom(document.getElementById('map')).getOption().series
    .some((x) => x.id === 'zone-pt-precaution'));
  await page.screenshot({ path: join(outdir, 'cockpit-4-pudong-sealed-controlled.png') });
  // the rule-set chooser: plan 9's risk areas (高/中/低风险区) evaluated on the same lists
  const choices = await page.$$eval('#zone-rules option', (os) => os.map((o) => o.value));
  if (choices.join() !== 'plan-9-risk-areas,shanghai-2022-04' || (await page.inputValue('#zone-rules')) !== RULES)
    fail('rule-set chooser: ' + choices.join() + ' showing ' + (await page.inputValue('#zone-rules')));
  await page.selectOption('#zone-rules', 'plan-9-risk-areas');
  await zonesSettled(page, '2022-03-21', '310115000000', 'plan-9-risk-areas');
  const z4 = await zonesSeen(page, '2022-03-21', '310115000000', 'plan-9-risk-areas');
  console.log('risk areas Pudong 2022-03-21:', JSON.stringify({ legend: z4.legend, features: z4.features }));
  checkZones(z4, 'plan-9 risk areas of Pudong on 2022-03-21');
  await checkZoneLabels('310115000000', 'risk areas of Pudong');
  const legend4 = await page.textContent('#zone-legend');
  if (!legend4.includes('高风险区') || !(z4.legend.high > 0)) fail('risk-area legend ' + legend4);
  await page.screenshot({ path: join(outdir, 'cockpit-4b-pudong-risk-areas.png') });

  // a division outside the user's scope is refused by the API, whatever the page does
  const st = await page.evaluate(async () => (await fetch('/api/v1/divisions?area=330106')).status);
  if (st !== 403) fail('Hangzhou Xihu for a Shanghai user: status ' + st);

  // nothing was fetched from another host (no CDN, no tiles)
  const foreign = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:'));
  if (foreign.length) fail('requests to other hosts: ' + foreign.join(' '));

  // logout ends the session
  await page.click('#logout');
  await page.waitForURL('**/login');
  const after = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  if (after !== 401) fail('after logout /api/v1/me answered ' + after);

  // demo-zj (浙江省) sees the traced Hangzhou demo city: contacts found vs controlled, then the
  // transmission graph and the list, only after giving a reason
  const login = async (n, pw) => {
    await page.goto(base + '/login');
    await page.fill('#name', n);
    await page.fill('#password', pw);
    await page.click('#login-button');
    await page.waitForURL(base + '/', { timeout: 20000 }).catch(async (e) => {
      throw new Error('login ' + n + ': ' + (await page.textContent('#login-error').catch(() => '?')) + ' at ' + page.url() + ': ' + e.message);
    });
  };
  await login('demo-zj', zj);
  await page.waitForFunction(() => window.znReady.contacts && window.znReady.contacts.area === '330000000000');
  // the contacts panel is as of the slider's day: found and controlled are by_day of the API
  // cumulated up to that day; the whole run's numbers are in the note
  const contactsSeen = () => page.evaluate(async () => {
    const ui = window.znReady.contacts, api = await (await fetch('/api/v1/contacts/summary?area=' + ui.area)).json();
    const upTo = api.by_day.filter((x) => !ui.day || x.date <= ui.day); // no day: no cases, all dates
    return { ui, api, found: document.getElementById('c-found').textContent, controlled: document.getElementById('c-controlled').textContent,
      cumFound: upTo.reduce((a, x) => a + x.found, 0), cumControlled: upTo.reduce((a, x) => a + x.controlled, 0),
      note: document.getElementById('contacts-note').textContent, explain: document.getElementById('contacts-explain').textContent };
  });
  const checkContacts = (c, what) => {
    if (c.ui.found !== c.cumFound || c.ui.controlled !== c.cumControlled || c.found !== c.cumFound.toLocaleString('zh-CN') ||
      c.controlled !== c.cumControlled.toLocaleString('zh-CN') || c.ui.totalFound !== c.api.found ||
      c.ui.totalControlled !== c.api.controlled || c.ui.days !== c.api.by_day.length ||
      !c.note.includes('密接 ' + c.api.found.toLocaleString('zh-CN')) || !c.explain.includes('指示病例×密接'))
      fail(what + ': contacts panel ' + JSON.stringify(c));
  };
  const sum = await contactsSeen();
  console.log('contacts:', JSON.stringify(sum.ui));
  if (!(sum.api.found > 0)) fail('no contacts from the API: ' + JSON.stringify(sum.api));
  checkContacts(sum, 'contacts at ' + sum.ui.day);
  // the first day of the slider (when the province has cases): by_day cumulated up to it, nothing
  // found before the first task
  if (sum.ui.day) {
    const day0 = await page.evaluate(() => {
      const el = document.getElementById('day');
      el.value = 0;
      el.dispatchEvent(new Event('input'));
      return document.getElementById('day-label').textContent;
    });
    await page.waitForFunction((d) => window.znReady.contacts.day === d && window.znReady.numbersDay === d, day0);
    const sum0 = await contactsSeen();
    console.log('contacts at', day0 + ':', JSON.stringify(sum0.ui));
    checkContacts(sum0, 'contacts at ' + day0);
    if (sum0.api.by_day.length && day0 < sum0.api.by_day[0].date && sum0.ui.found !== 0) fail('contacts found before the first task');
    await page.evaluate(() => {
      const el = document.getElementById('day');
      el.value = el.max;
      el.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction((d) => window.znReady.contacts.day === d && window.znReady.numbersDay === d, sum.ui.day);
  }
  if ((await page.evaluate(() => window.znReady.graph)) !== -1) fail('the graph loaded before a reason was given');
  await page.click('#why-go'); // no reason: refused in the page
  if (!(await page.textContent('#why-error')).includes('查询事由')) fail('no reason asked for');
  await page.fill('#why', '浏览器测试：核对传播链');
  await page.click('#why-go');
  await page.waitForFunction(() => window.znReady.graph >= 0 && window.znReady.contactRows >= 0);
  const per = await page.evaluate(async () => {
    const why = encodeURIComponent('浏览器测试：核对 API');
    const g = await (await fetch('/api/v1/contacts/graph?area=330000000000&why=' + why)).json();
    const c = await (await fetch('/api/v1/contacts?area=330000000000&page=1&limit=50&why=' + why)).json();
    return { r: { ...window.znReady }, nodes: g.nodes.length, edges: g.edges.length, total: c.total, rows: c.rows.length,
      first: c.rows[0] && c.rows[0].contact, table: document.getElementById('contacts-rows').textContent,
      page: document.getElementById('contacts-page').textContent };
  });
  console.log('graph and list:', JSON.stringify({ nodes: per.r.graph, edges: per.r.graphEdges, rows: per.r.contactRows, total: per.r.contactTotal }));
  if (!(per.nodes > 0) || per.r.graph !== per.nodes || per.r.graphEdges !== per.edges) fail('graph ' + JSON.stringify(per));
  if (!(per.total > 0) || per.r.contactTotal !== per.total || per.r.contactRows !== per.rows || !per.table.includes(per.first))
    fail('contact list ' + JSON.stringify({ total: per.total, rows: per.rows, ui: per.r.contactRows }));
  if (/\d{17}[\dXx]|1[3-9]\d{9}/.test(per.table)) fail('an unmasked ID number or mobile in the contact list');
  // at the province the graph opens without secondary contacts (server default) and says how many
  // there are; the toggle reloads it with them, as the API answers with secondary=1
  const sec = await page.evaluate(async () => {
    const why = encodeURIComponent('浏览器测试：核对次密接');
    const g1 = await (await fetch('/api/v1/contacts/graph?area=330000000000&secondary=1&why=' + why)).json();
    return { note: document.getElementById('graph-note').textContent, visible: !document.getElementById('graph-sec-label').hidden,
      total: g1.counts.secondary.total, n1: g1.nodes.length, e1: g1.edges.length, s: window.znReady.graphSecondary };
  });
  console.log('graph secondary:', JSON.stringify(sec));
  if (sec.total > 0) {
    if (sec.s !== 0 || !sec.visible || !sec.note.includes('次密接 ' + sec.total.toLocaleString('zh-CN') + '（未显示）'))
      fail('graph secondary toggle ' + JSON.stringify(sec));
    await page.check('#graph-sec');
    await page.waitForFunction(() => window.znReady.graphSecondary === 1);
    const after = await page.evaluate(() => ({ n: window.znReady.graph, e: window.znReady.graphEdges }));
    if (after.n !== sec.n1 || after.e !== sec.e1) fail('graph with secondary contacts ' + JSON.stringify({ after, sec }));
    await page.screenshot({ path: join(outdir, 'cockpit-5c-zhejiang-graph-secondary.png') });
  }
  await page.locator('#person-panel').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(outdir, 'cockpit-5-zhejiang-contacts.png'), fullPage: true });
  if (per.total > 50) {
    await page.click('#contacts-next');
    await page.waitForFunction(() => window.znReady.contactPage === 2);
  }
  // the hub panel follows the drill-down: 浙江省, 杭州市, 西湖区 each show their own rows of the
  // Hangzhou demo city's feeds (what /feeds answers for the area)
  const hubOf = async (area, name) => {
    await page.waitForFunction((a) => window.znReady.hub && window.znReady.hub.area === a &&
      window.znReady.numbersArea === a, area);
    const p = await panelsSeen(page);
    console.log('panels ' + name + ':', JSON.stringify({ day: p.day, hub: p.ui, total: p.total, tasks: p.tasks }));
    checkPanels(p, area, p.day, name, name);
    return p;
  };
  const pz = await hubOf('330000000000', '浙江省');
  await page.click('#children tr.click >> text=杭州市');
  const ph = await hubOf('330100000000', '杭州市');
  await checkCurveRt('330100000000', '杭州市');
  await checkZoneLabels('330100000000', '杭州市');
  await page.click('#children tr.click >> text=西湖区');
  const px = await hubOf('330106000000', '西湖区');
  await checkCurveRt('330106000000', '西湖区');
  if (!(pz.total > 0) || !(px.total > 0) || !(px.total < ph.total) || !(ph.total <= pz.total))
    fail('hub totals 浙江省 ' + pz.total + ', 杭州市 ' + ph.total + ', 西湖区 ' + px.total);
  await page.locator('#hub-panel').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(outdir, 'cockpit-5b-xihu-hub.png') });
  await page.click('#logout');
  await page.waitForURL('**/login');

  // the township of 廊下镇 completes a task on the field page: 签收, 反馈, 核查通过, 销号; the
  // cockpit's closed-task count goes up by one
  await login(fieldUser, fieldPw);
  await page.waitForFunction(() => window.znReady.numbersArea && document.getElementById('t-closed').textContent !== '–');
  const closed0 = Number((await page.textContent('#t-closed')).replace(/,/g, ''));
  const closedNow = () => page.evaluate(async () => (await (await fetch('/api/v1/metrics')).json()).tasks.closed);
  const now0 = await closedNow();
  await page.click('#field-link');
  await page.waitForURL('**/field');
  await page.waitForFunction(() => window.znReady.tasks > 0);
  const id = (await page.textContent('.task h3')).match(/^#(\d+)/)[1];
  const card = () => page.locator('.task', { hasText: '#' + id + ' ' });
  for (const to of ['received', 'reported', 'verified', 'closed']) {
    if (to === 'reported') await card().locator('textarea').fill('已封控，门岗已设');
    await card().locator('button[data-to=' + to + ']').click();
    // the page reloads the list after a move: the card shows the new state, or leaves the open list
    if (to === 'closed') await card().waitFor({ state: 'detached' });
    else await card().locator('.state', { hasText: { received: '已签收', reported: '已反馈', verified: '已核查' }[to] }).waitFor();
  }
  const task = await page.evaluate(async (i) => (await (await fetch('/api/v1/tasks/' + i)).json()), id);
  const moves = task.history.map((h) => h.to).join(' ');
  console.log('task', id, task.task.state, moves);
  if (task.task.state !== 'closed' || !moves.includes('received reported verified closed')) fail('task moves: ' + moves);
  const rep = task.history.find((h) => h.to === 'reported');
  if (!rep || rep.note !== '已封控，门岗已设' || rep.actor !== fieldUser) fail('the report: ' + JSON.stringify(rep));
  await page.screenshot({ path: join(outdir, 'field-1-closed.png') });
  await page.goto(base + '/');
  await page.waitForFunction(() => window.znReady.numbersArea && document.getElementById('t-closed').textContent !== '–');
  const closed1 = Number((await page.textContent('#t-closed')).replace(/,/g, ''));
  const now1 = await closedNow();
  // the panel is as of the end of the slider's day (2022): a task closed today is not in it; the
  // tasks as of now (/metrics without a day) count it
  console.log('tasks closed before and after the field page: panel', closed0, closed1, 'now', now0, now1);
  if (closed1 !== closed0) fail('the panel as of the slider\'s day counted a task closed today: ' + closed0 + ' -> ' + closed1);
  if (now1 !== now0 + 1) fail('closed tasks as of now ' + now0 + ' -> ' + now1);
  await page.screenshot({ path: join(outdir, 'cockpit-6-langxia-tasks.png') });
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
if (!process.exitCode) console.log('cockpit: ok');
