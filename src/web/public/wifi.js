// The Wi-Fi page: this device's own network (name and passphrase, with a warning: connected devices need the
// new one), the known networks it joins as a client (add, remove, order), and the WPS keys (one-time or
// trusted, revoke). Every change is one typed request to the connectivity daemon; it validates again.
import { $, act, api, button, el, fillList, showMessage, wireLogout } from './common.js';

let current = null;

function render(wifi) {
  current = wifi;
  $('ap-ssid').textContent = wifi.ap.ssid;
  const ssid = $('ap-ssid-input');
  const passphrase = $('ap-passphrase-input');
  if (document.activeElement !== ssid) ssid.value = wifi.ap.ssid;
  if (document.activeElement !== passphrase) passphrase.value = wifi.ap.passphrase;

  const known = wifi.knownNetworks;
  $('known-count').textContent = String(known.length);
  fillList(
    $('known'),
    known.map((network, index) => {
      const item = el('li');
      item.dataset.ssid = network.ssid;
      item.append(el('span', 'grow name', network.ssid));
      const actions = el('div', 'actions');
      const move = (delta) => (b) => {
        const order = known.map((n) => n.ssid);
        const [moved] = order.splice(index, 1);
        order.splice(index + delta, 0, moved);
        return post(b, '/api/wifi/networks/order', { ssids: order }, 'order saved');
      };
      const up = button('Up', '', move(-1));
      up.disabled = index === 0;
      up.setAttribute('aria-label', `move ${network.ssid} up`);
      const down = button('Down', '', move(1));
      down.disabled = index === known.length - 1;
      down.setAttribute('aria-label', `move ${network.ssid} down`);
      const remove = button('Remove', 'danger', (b) =>
        post(b, '/api/wifi/networks/remove', { ssid: network.ssid }, `forgot ${network.ssid}`),
      );
      actions.append(up, down, remove);
      item.append(actions);
      return item;
    }),
    'None: in client mode the device joins nothing until one is added.',
  );

  $('one-time').checked = wifi.keys.oneTime;
  const trusted = wifi.keys.trusted;
  $('trusted-count').textContent = String(trusted.length);
  fillList(
    $('trusted'),
    trusted.map((mac) => {
      const item = el('li');
      item.dataset.mac = mac;
      item.append(
        el('code', 'grow', mac),
        button('Revoke', 'danger', (b) => post(b, '/api/wifi/keys/revoke', { mac }, `revoked ${mac}`)),
      );
      return item;
    }),
    'No trusted device.',
  );
  const waiting = [...wifi.keys.pending, ...wifi.keys.expiring];
  $('pending-note').hidden = waiting.length === 0;
  $('pending-note').textContent = `Keys waiting for a first connection or to be forgotten: ${waiting.join(', ')}`;
}

async function post(control, path, json, done) {
  const result = await act(control, () => api(path, { method: 'POST', json }), done);
  if (result) render(result);
  return result;
}

async function load() {
  try {
    render(await api('/api/wifi'));
  } catch (error) {
    showMessage(error.message);
  }
}

$('ap-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!$('ap-confirm').checked) {
    showMessage('tick the box first: devices connected to this network will need the new passphrase');
    return;
  }
  const change = {};
  const ssid = $('ap-ssid-input').value;
  const passphrase = $('ap-passphrase-input').value;
  if (ssid !== current?.ap.ssid) change.ssid = ssid;
  if (passphrase !== current?.ap.passphrase) change.passphrase = passphrase;
  if (Object.keys(change).length === 0) {
    showMessage('nothing to change: edit the name or the passphrase first');
    return;
  }
  const result = await post(
    $('ap-submit'),
    '/api/wifi/ap',
    change,
    'saved: connected devices need the new passphrase to join again',
  );
  if (result) $('ap-confirm').checked = false;
});

$('known-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const ssid = $('known-ssid');
  const passphrase = $('known-passphrase');
  const result = await post(
    $('known-submit'),
    '/api/wifi/networks/add',
    { ssid: ssid.value, passphrase: passphrase.value },
    `added ${ssid.value}`,
  );
  if (result) {
    ssid.value = '';
    passphrase.value = '';
  }
});

$('one-time').addEventListener('change', async (event) => {
  const box = event.target;
  const result = await post(
    box,
    '/api/wifi/keys/one-time',
    { enabled: box.checked },
    box.checked ? 'one-time keys on' : 'one-time keys off: WPS devices are kept as trusted',
  );
  if (!result && current) box.checked = current.keys.oneTime;
});

$('guest-view').addEventListener('change', async (event) => {
  const box = event.target;
  const result = await act(
    box,
    () => api('/api/guest', { method: 'POST', json: { enabled: box.checked } }),
    box.checked ? 'guest view on' : 'guest view off: only the owner sees this device’s page',
  );
  if (!result) box.checked = !box.checked;
});

async function loadGuest() {
  try {
    $('guest-view').checked = (await api('/api/guest')).enabled;
  } catch (error) {
    showMessage(error.message);
  }
}

wireLogout();
await loadGuest();
await load();
setInterval(load, 5000);
