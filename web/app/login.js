/* Login page: POST /api/v1/login; the session comes back as an HttpOnly cookie. */
'use strict';
(function () {
  const form = document.getElementById('login-form');
  const errorBox = document.getElementById('login-error');
  const messages = {
    unauthorized: '账号或密码错误',
    too_many_requests: '失败次数过多，请稍后再试',
    bad_request: '请输入账号和密码',
  };
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    errorBox.textContent = '';
    const body = JSON.stringify({
      name: document.getElementById('name').value.trim(),
      password: document.getElementById('password').value,
    });
    try {
      const r = await fetch('/api/v1/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body, credentials: 'same-origin',
      });
      const j = await r.json();
      if (!r.ok) {
        errorBox.textContent = (messages[j.code] || j.message || '登录失败') +
          (r.status === 429 && r.headers.get('Retry-After') ? '（' + r.headers.get('Retry-After') + ' 秒后）' : '');
        return;
      }
      try { localStorage.setItem('zn.session', '1'); } catch (e) { /* storage off: the pages ask the API */ }
      const role = j.user && j.user.role;
      window.location.href = role === 'grid_worker' ? '/field' : '/';
    } catch (e) {
      errorBox.textContent = '无法连接服务器';
    }
  });
})();
