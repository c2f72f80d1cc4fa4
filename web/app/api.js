/* Small client of /api/v1 shared by the pages: JSON fetch with the session cookie; a 401 goes to
 * the login page. The cookie is HttpOnly: the login page leaves a mark in localStorage
 * (zn.session) so that a visitor who never logged in goes to the login page without asking the
 * API first (no 401 in the console); a session that expired still answers 401 and goes there. */
'use strict';
window.zn = (function () {
  const MARK = 'zn.session';
  function marked() { try { return localStorage.getItem(MARK) === '1'; } catch (e) { return true; } }
  function unmark() { try { localStorage.removeItem(MARK); } catch (e) { /* storage off */ } }
  function toLogin() {
    unmark();
    window.location.href = '/login';
    throw new Error('unauthorized');
  }
  async function call(method, path, body) {
    if (!marked()) toLogin();
    const opt = { method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    const r = await fetch('/api/v1' + path, opt);
    if (r.status === 401) toLogin();
    const j = await r.json();
    if (!r.ok) {
      const e = new Error(j.message || r.statusText);
      e.code = j.code;
      e.status = r.status;
      throw e;
    }
    return j;
  }
  function qs(o) {
    const p = Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null && o[k] !== '')
      .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(o[k]));
    return p.length ? '?' + p.join('&') : '';
  }
  function text(el, s) { el.textContent = s; return el; }
  function fmt(n) { return n === undefined || n === null ? '–' : Number(n).toLocaleString('zh-CN'); }
  async function logout() {
    try { await call('POST', '/logout', {}); } catch (e) { /* already gone */ }
    unmark();
    window.location.href = '/login';
  }
  return { get: (p, q) => call('GET', p + qs(q || {})), post: (p, b) => call('POST', p, b), qs, text, fmt, logout };
})();
