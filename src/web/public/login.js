// The login and first-setup pages: the only pages served without a session. Their POSTs carry a CSRF token
// tied to a pre-login cookie, and a successful answer sets the session cookie (HttpOnly: no script sees it).
import { $, act, api, session, showMessage } from './common.js';

const state = await session();
if (state.authenticated) location.assign('/');

const login = $('login-form');
if (login) {
  login.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await act($('login-submit'), () =>
      api('/api/login', { method: 'POST', json: { password: $('password').value } }),
    );
    if (ok) location.assign('/');
    else $('password').select();
  });
}

const setup = $('setup-form');
if (setup) {
  if (state.setup.codeRequired) {
    $('code-label').hidden = false;
    $('code-note').textContent =
      `Simulated device: the code is in ${state.setup.codeFile} and in the log of "smallworld start".`;
  }
  setup.addEventListener('submit', async (event) => {
    event.preventDefault();
    if ($('password').value !== $('confirm').value) {
      showMessage('the two passwords differ');
      return;
    }
    const ok = await act($('setup-submit'), () =>
      api('/api/setup', {
        method: 'POST',
        json: { password: $('password').value, confirm: $('confirm').value, code: $('code').value },
      }),
    );
    if (ok) location.assign('/');
  });
}
