/* Small client of /api/v1 shared by the pages: JSON fetch with the session cookie; a 401 goes to
 * the login page. */
'use strict';
window.zn = (function () {
  async function call(method, path, body) {
    const opt = { method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    const r = await fetch('/api/v1' + path, opt);
    if (r.status === 401) {
      window.location.href = '/login';
      throw new Error('unauthorized');
    }
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
    window.location.href = '/login';
  }
  return { get: (p, q) => call('GET', p + qs(q || {})), post: (p, b) => call('POST', p, b), qs, text, fmt, logout };
})();
