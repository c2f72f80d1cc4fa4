// Browser test of the command page: Debian's chromium driven by playwright-core.
// usage: node command.mjs BASE_URL NAME PASSWORD OUTDIR WEBDIR
// A county command post (浦东新区) logs in, opens /command, issues "封控单元并设岗值守" to 张江镇
// and sees the instruction in its list (1 task, waiting to be received) and the task on the field
// page in Chinese: the template's Chinese name as its title, its Chinese steps and the responsible
// unit by name (issue #5); screenshots of both pages. The instruction count before and after, the
// title, the steps and the unit name are compared with the API's own answers; the field page's
// empty line with the API's tasks; the page's columns on a desktop and on a phone.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, name, password, outdir, webdir] = process.argv.slice(2);
const { chromium } = createRequire(join(webdir, 'package.json'))('playwright-core');
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };
const profile = mkdtempSync(join(tmpdir(), 'zn-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1000, height: 1100 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync'],
});
try {
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  page.setDefaultTimeout(30000);
  await page.goto(base + '/login');
  await page.fill('#name', name);
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForURL(base + '/');
  // the field page before any task: its empty line says what the API has (no task at all here;
  // 暂无待办任务 when only finished tasks exist)
  await page.goto(base + '/field');
  await page.waitForFunction(() => window.znReady && window.znReady.tasks >= 0);
  const empty0 = await page.evaluate(async () => ({ text: window.znReady.emptyText, open: (await zn.get('/tasks', { open: '1' })).items.length,
    all: (await zn.get('/tasks')).items.length }));
  const want0 = empty0.open ? '' : empty0.all ? '暂无待办任务' : '本辖区暂无任务';
  if (!empty0.text.startsWith(want0) || (want0 === '' && empty0.text !== '')) fail('field page empty line: ' + JSON.stringify(empty0));
  await page.goto(base + '/command');
  await page.waitForFunction(() => window.znReady && window.znReady.templates > 0 && window.znReady.instructions >= 0);
  // a desktop screen puts the form beside the list of instructions and uses most of its width; a
  // phone gets one column without a horizontal scroll of the page
  const layout = async (width) => {
    await page.setViewportSize({ width, height: 1000 });
    return page.evaluate(() => {
      const f = document.querySelector('.col-issue').getBoundingClientRect(), l = document.querySelector('.col-list').getBoundingClientRect();
      return { formRight: f.right, formWidth: f.width, listLeft: l.left, listTop: l.top, formBottom: f.bottom,
        used: l.right - f.left, scroll: document.documentElement.scrollWidth, inner: window.innerWidth };
    });
  };
  const wide = await layout(1600), phone = await layout(390);
  await page.setViewportSize({ width: 1000, height: 1100 });
  console.log('command layout:', JSON.stringify({ wide, phone }));
  if (!(wide.listLeft >= wide.formRight) || !(wide.used >= 0.75 * wide.inner)) fail('command page on 1600 px: ' + JSON.stringify(wide));
  if (!(phone.listTop >= phone.formBottom) || phone.scroll > phone.inner) fail('command page on 390 px: ' + JSON.stringify(phone));
  if ((await page.evaluate(() => window.znReady.instructions)) !== 0) fail('expected no instruction yet');
  if (!(await page.isDisabled('#send'))) fail('the send button must wait for a target');
  await page.selectOption('#template', 'epi.seal_unit');
  const steps = await page.textContent('#steps');
  if (!steps.includes('时限')) fail('template steps not shown: ' + steps);
  // the steps are the template's Chinese ones (GET /templates), not the English
  const tpls = await page.evaluate(() => zn.get('/templates'));
  const seal = tpls.rows.find((t) => t.id === 'epi.seal_unit');
  if (!seal || !Array.isArray(seal.steps_zh) || seal.steps_zh.length !== seal.steps.length || !seal.steps.length)
    fail('GET /templates: no steps_zh for epi.seal_unit: ' + JSON.stringify(seal));
  const cjk = /[\u4e00-\u9fff]/;
  if (tpls.rows.some((t) => !t.steps_zh || t.steps_zh.some((z) => !cjk.test(z)))) fail('a template without Chinese steps');
  if (!seal.steps_zh.every((z) => steps.includes(z)) || steps.includes(seal.steps[0]))
    fail('command page steps are not the Chinese ones: ' + steps);
  // no title of our own: the task takes the template's Chinese name
  await page.fill('#reason', '新增阳性病例居住地');
  // 张江镇 is a child of 浦东新区 in the registry (310115125000)
  const options = await page.$$eval('#level1 option', (os) => os.map((o) => [o.value, o.textContent]));
  if (!options.some(([v, t]) => v === '310115125000' && t.startsWith('张江镇'))) fail('张江镇 not offered: ' + options.length);
  if (options.some(([v]) => !v.startsWith('310115'))) fail('a division outside the county is offered');
  await page.selectOption('#level1', '310115125000');
  await page.waitForFunction(() => !document.getElementById('level2').hidden); // its villages
  await page.selectOption('#level2', '310115125000'); // the township itself
  await page.click('#add');
  if ((await page.$$('#targets li')).length !== 1) fail('target not added');
  await page.click('#send');
  await page.waitForFunction(() => window.znReady.issued > 0 && window.znReady.instructions === 1);
  const result = await page.textContent('#result');
  if (!result.includes('已下达：1 项任务')) fail('result: ' + result);
  const row = await page.$$eval('#instructions tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
  if (row[1] !== '新增阳性病例居住地' || row[2] !== name || row[4] !== '1' || row[5] !== '1') fail('row: ' + row);
  const api = await page.evaluate(() => zn.get('/instructions'));
  if (api.total !== 1 || api.rows[0].id !== (await page.evaluate(() => window.znReady.issued))) fail('API disagrees');
  await page.screenshot({ path: join(outdir, 'command.png'), fullPage: true });
  // the field page lists the new task in Chinese, waiting to be received
  await page.goto(base + '/field');
  await page.waitForFunction(() => window.znReady && window.znReady.tasks >= 1);
  const tasks = await page.evaluate(() => zn.get('/tasks', { open: '1' }));
  const task = tasks.items.find((t) => t.template_id === 'epi.seal_unit');
  if (!task) fail('GET /tasks: no task of epi.seal_unit');
  // the title is the template's Chinese name: title_zh of the list (which the card shows), title of
  // the task itself (GET /tasks/{id}, filled by the loop engine)
  const detail = await page.evaluate((id) => zn.get('/tasks/' + id), task.id);
  if (task.title_zh !== seal.name_zh || detail.task.title !== seal.name_zh || detail.task.title_zh !== seal.name_zh ||
      seal.name_zh !== '封控单元并设岗值守')
    fail('task title is not the Chinese name: ' + task.title_zh + ' / ' + detail.task.title);
  const card = await page.$('.task[data-id="' + task.id + '"]');
  if (!card) fail('task #' + task.id + ' not on the field page');
  const h3 = await card.$eval('h3', (h) => h.textContent);
  if (h3 !== '#' + task.id + ' ' + seal.name_zh) fail('card title: ' + h3);
  // its steps: the Chinese steps of its template, in order
  const lis = await card.$$eval('.steps li', (ls) => ls.map((l) => l.textContent));
  if (JSON.stringify(lis) !== JSON.stringify(seal.steps_zh)) fail('card steps: ' + lis);
  if (!(await card.$eval('.steps', (d) => d.open))) fail('the steps of an open task are folded');
  // the responsible unit by its name in the registry (GET /divisions/{code}), not the bare code
  const div = await page.evaluate((c) => zn.get('/divisions/' + c), task.division_code);
  const unit = await card.$eval('.unit', (u) => u.textContent);
  if (div.division.name !== '张江镇' || !unit.includes(div.division.name) || unit.includes(task.division_code))
    fail('card unit: ' + unit + ' (division ' + div.division.name + ' ' + task.division_code + ')');
  const state = await card.$eval('.state', (e) => e.textContent);
  if (state !== '已下发') fail('card state: ' + state);
  await page.screenshot({ path: join(outdir, 'field.png'), fullPage: true });
  // a target outside the county is refused by the server, whatever the page offers
  const refused = await page.evaluate(() => zn.post('/instructions', { template: 'epi.seal_unit', reason: 'x-y',
    targets: [{ division: '310101013000' }] }).then(() => 0, (e) => e.status));
  if (refused !== 403) fail('expected 403 for 黄浦区, got ' + refused);
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
