// Browser test of the cockpit: Debian's chromium driven by playwright-core (no browser download).
// usage: node cockpit.mjs BASE_URL NAME PASSWORD OUTDIR WEBDIR
// Logs in, waits for the map with its boundaries and the epidemic curve, moves the day slider and
// checks the map points and the day change, drills down to a district, checks that a district the
// user may not see is refused, and saves screenshots in OUTDIR.
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
// everything of the view of `area` on `day` has rendered (window.znReady is set by web/app/cockpit.js)
const settled = (page, day, area) => page.waitForFunction(([d, a]) => {
  const r = window.znReady;
  return r && r.map && r.curve && r.rt >= 0 && r.mapDay === d && r.numbersDay === d && r.mapArea === a &&
    r.numbersArea === a;
}, [day, area]);
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  page.setDefaultTimeout(30000);

  // the cockpit sends a visitor without a session to the login page
  await page.goto(base + '/');
  await page.waitForURL('**/login');
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
  const title1 = await page.textContent('#map-title');
  if (!title1.includes('上海市')) fail('map title: ' + title1);
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
  await page.screenshot({ path: join(outdir, 'cockpit-2-slider-2022-03-21.png') });

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
  await page.screenshot({ path: join(outdir, 'cockpit-3-pudong.png') });

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
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
if (!process.exitCode) console.log('cockpit: ok');
