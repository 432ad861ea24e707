// The Device page: draws the daemon's status as it streams in over /events, and turns clicks into the same
// POSTs the CLI's commands make; below it, the QR code to join the access point, the SSB peers seen and
// replication progress per peer. No inline script or style: the CSP forbids them.
import { $, api, el, fillList, personCell, showMessage, wireLogout } from './common.js';
import { formatBytes } from './format-bytes.js';

const DEMO_PHONE = '02:5e:00:00:00:01';
const WALK_TIME_S = 120;
const LEDS = { ap: 'AP', connection: 'Connection', replication: 'Replication' };
const PATTERN_TEXT = { off: 'off', on: 'on', blink: 'blinking' };
const OUTCOME_TEXT = {
  success: 'success',
  fail: 'failed',
  overlap: 'overlap (two devices pressed)',
  timeout: 'timed out',
  cancelled: 'cancelled',
};

let countdown = null;

function render(s) {
  $('subtitle').textContent = s.sim ? `simulated device · v${s.version}` : `device · v${s.version}`;

  for (const [led, name] of Object.entries(LEDS)) {
    const pattern = s.leds[led] ?? 'off';
    const node = $(`led-${led}`);
    node.dataset.pattern = pattern;
    node.setAttribute('aria-label', `${name} LED: ${PATTERN_TEXT[pattern] ?? pattern}`);
    const text = $(`led-${led}-text`);
    text.textContent = PATTERN_TEXT[pattern] ?? pattern;
    text.dataset.pattern = pattern;
  }

  const mode = $('mode');
  // The AP LED is on only while hostapd has the access point enabled; say why when it is not.
  const ap = s.accessPoint ?? { state: 'enabled' };
  const apNote = { starting: ' (coming up…)', failed: '', enabled: '', off: '' }[ap.state] ?? '';
  mode.textContent = s.mode === 'ap' ? `Access point${apNote}` : 'Client';
  if (s.mode === 'client' && ap.state === 'failed')
    mode.textContent = `Client (access point failed: ${ap.reason ?? 'unknown'})`;
  mode.dataset.mode = s.mode;

  renderWps(s);
  const last = s.lastWps;
  const lastWps = $('last-wps');
  if (last) {
    const what = `${OUTCOME_TEXT[last.outcome] ?? last.outcome} as ${last.role}${last.detail ? ` (${last.detail})` : ''}`;
    lastWps.replaceChildren(what, el('span', 'when', `at ${new Date(last.at).toLocaleTimeString()}`));
  } else lastWps.textContent = 'none yet';
  $('last-wps').dataset.outcome = last?.outcome ?? '';

  const daemons = $('daemons');
  daemons.replaceChildren(
    ...[
      ['wpa_supplicant', s.daemons.station],
      ['hostapd', s.daemons.ap],
    ].map(([name, health]) => {
      const item = el('li', 'daemon');
      item.dataset.state = health.state;
      item.append(el('span', 'dot'), el('span', 'name', name), el('span', 'state', health.state));
      if (health.reason) item.title = health.reason;
      return item;
    }),
  );

  const list = $('associations');
  list.replaceChildren(
    ...s.associations.map((a) => {
      const item = el('li', 'association');
      item.dataset.via = a.via;
      item.append(el('code', 'mac', a.mac), el('span', 'via', a.via === 'ap' ? 'on our access point' : 'our network'));
      return item;
    }),
  );
  $('association-count').textContent = String(s.associations.length);
  $('associations-empty').hidden = s.associations.length > 0;

  renderStorage(s.storage);

  $('last-error-row').hidden = !s.lastError;
  $('last-error').textContent = s.lastError ?? '';

  $('sim').hidden = !s.sim;
  if (s.sim) {
    const phoneOn = s.associations.some((a) => a.mac === DEMO_PHONE);
    $('sim-phone-join').disabled = s.mode !== 'ap' || phoneOn;
    $('sim-phone-leave').disabled = !phoneOn;
    $('sim-hint').textContent =
      s.mode === 'ap'
        ? 'Our access point is up: another device pressing WPS enrols with us; a phone can join.'
        : 'We are a client: another device pressing WPS acts as the registrar we join. Phones need AP mode.';
  }
}

const STORAGE_TEXT = {
  ok: 'ok',
  tight: 'tight: little room is left',
  full: 'full: new photos are not stored',
};

/** status.storage: `{ usedBytes, freeBytes, budgetBytes, state }`; the reserve is what the budget leaves. */
function renderStorage(storage) {
  if (!storage) return;
  const state = $('storage-state');
  state.textContent = STORAGE_TEXT[storage.state] ?? storage.state;
  state.dataset.state = storage.state;
  $('storage-used').textContent = formatBytes(storage.usedBytes);
  $('storage-free').textContent = formatBytes(storage.freeBytes);
  const reserve = Math.max(0, storage.usedBytes + storage.freeBytes - storage.budgetBytes);
  $('storage-reserve').textContent = formatBytes(reserve);
  const meter = $('storage-meter');
  meter.max = Math.max(1, storage.budgetBytes);
  meter.value = Math.min(storage.usedBytes, meter.max);
  meter.high = meter.max * 0.9;
  meter.title = `${formatBytes(storage.usedBytes)} of ${formatBytes(storage.budgetBytes)} used`;
}

/** The peer's side: what is paused and what was evicted (from /api/ssb/overview). */
function renderPeerStorage(view) {
  const paused = $('storage-paused');
  if (!view) {
    paused.textContent = 'no SSB peer';
    $('storage-evicted').replaceChildren();
    return;
  }
  // Fresher than the status stream, which is sent when the device's state changes.
  renderStorage(view.report);
  $('storage-reserve').textContent = formatBytes(view.reserveBytes);
  paused.dataset.paused = String(view.photosPaused);
  paused.textContent = view.postsPaused
    ? 'paused, and posts too: the card is full'
    : view.photosPaused
      ? 'paused until space is freed (posts still flow)'
      : 'fetched as they arrive';
  $('storage-evicted-empty').hidden = view.evicted.length > 0;
  $('storage-evicted').replaceChildren(
    ...view.evicted.map((e) => {
      const item = el('li', 'evicted-photo');
      item.dataset.blob = e.blob;
      const whose = e.hops === null ? 'a photo nobody here follows' : `${e.hops} hop${e.hops === 1 ? '' : 's'} away`;
      item.append(
        el('code', 'mono-line', e.blob.slice(0, 12)),
        el('span', 'numbers', `${formatBytes(e.size)} · ${whose}`),
        el('span', 'when', `at ${new Date(e.at).toLocaleTimeString()}`),
      );
      return item;
    }),
  );
}

/** What the device is doing in a WPS session, in the user's words. */
function wpsPhaseText(s) {
  if (s.wpsRole === 'searching') return 'looking for another device…';
  if (s.wpsRole === 'registrar') return 'hosting — press WPS on the other device';
  return s.wpsTarget ? `joining ${s.wpsTarget}…` : 'joining …';
}

function renderWps(s) {
  const wps = $('wps');
  wps.dataset.state = s.wps;
  clearInterval(countdown);
  countdown = null;
  if (s.wps !== 'active') {
    wps.textContent = 'idle';
    return;
  }
  wps.dataset.role = s.wpsRole ?? '';
  const when = el('span', 'when');
  wps.replaceChildren(wpsPhaseText(s), when);
  const aim = s.wpsRole === 'registrar' ? 'letting a device in' : 'looking for a network';
  const tick = () => {
    const left = Math.max(0, WALK_TIME_S - Math.floor((Date.now() - Date.parse(s.wpsSince)) / 1000));
    when.textContent = `${aim} · ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

const post = (path, body) => api(path, { method: 'POST', json: body });

function wire(button, action) {
  button.addEventListener('click', async () => {
    button.setAttribute('aria-busy', 'true');
    try {
      await action();
      showMessage('');
    } catch (error) {
      showMessage(error.message);
    } finally {
      button.removeAttribute('aria-busy');
    }
  });
}

function connect() {
  const link = $('link');
  const source = new EventSource('/events');
  source.addEventListener('open', () => {
    link.dataset.state = 'live';
    link.textContent = 'live';
  });
  source.addEventListener('status', (event) => render(JSON.parse(event.data)));
  source.addEventListener('error', () => {
    link.dataset.state = 'lost';
    link.textContent = 'daemon unreachable, retrying…';
  });
}

for (const button of document.querySelectorAll('button[data-button]')) {
  wire(button, () => post(`/api/press/${button.dataset.button}`));
}
$('demo-mac').textContent = DEMO_PHONE;
wire($('sim-other-wps'), () => post('/api/sim/other-wps', {}));
wire($('sim-phone-join'), () => post('/api/sim/phone', { action: 'join', mac: DEMO_PHONE }));
wire($('sim-phone-leave'), () => post('/api/sim/phone', { action: 'leave', mac: DEMO_PHONE }));
wireLogout();
connect();

async function loadNetwork() {
  try {
    const wifi = await api('/api/wifi');
    $('join-ssid').textContent = wifi.ap.ssid;
    $('join-passphrase').textContent = wifi.ap.passphrase;
  } catch (error) {
    showMessage(error.message);
  }
}

const STATE_TEXT = { connected: 'connected', connecting: 'connecting', disconnecting: 'leaving', discovered: 'seen' };

function renderOverview(overview) {
  renderPeerStorage(overview.running ? overview.storage : null);
  const peers = $('peers');
  const sync = $('sync-peers');
  if (!overview.running) {
    const reason = overview.reason ?? 'the SSB peer is not running';
    fillList(peers, [], `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`);
    sync.replaceChildren();
    $('sync-overall').value = 0;
    $('sync-overall-text').textContent = 'no SSB peer';
    $('peer-count').textContent = '0';
    return;
  }
  $('peer-count').textContent = String(overview.peers.length);
  fillList(
    peers,
    overview.peers.map((peer) => {
      const item = el('li');
      item.dataset.state = peer.state;
      const who = peer.person ? personCell(peer.person) : el('span', 'mono-line', peer.address);
      who.classList.add('grow');
      item.append(who, el('span', 'badge', STATE_TEXT[peer.state] ?? peer.state));
      return item;
    }),
    'No other Smallworld or SSB device seen yet.',
  );
  const { overall, replicating } = overview.progress;
  const bar = $('sync-overall');
  bar.max = Math.max(1, overall.want);
  bar.value = overall.want === 0 ? 1 : overall.have;
  $('sync-overall-text').textContent =
    overall.want === 0
      ? 'in sync: nothing new offered'
      : `${overall.have} of ${overall.want} messages${replicating ? ' · replicating…' : ''}`;
  fillList(
    sync,
    overview.progress.peers.map((p) => {
      const item = el('li', 'sync-peer');
      item.dataset.key = p.key;
      const row = el('div', 'progress-row');
      const progress = el('progress');
      progress.max = Math.max(1, p.want);
      progress.value = p.want === 0 ? 1 : p.have;
      progress.setAttribute('aria-label', `replication with ${p.person.name ?? p.key}`);
      row.append(
        personCell(p.person, { badges: false }),
        progress,
        el(
          'span',
          'numbers',
          p.want === 0 ? 'in sync' : `${p.have} / ${p.want} messages (${Math.floor(p.fraction * 100)} %)`,
        ),
      );
      item.append(row);
      return item;
    }),
    'No peer connected.',
  );
}

async function pollOverview() {
  try {
    renderOverview(await api('/api/ssb/overview'));
  } catch (error) {
    showMessage(error.message);
  }
  setTimeout(pollOverview, 2000);
}

/** Where people reach this device: its .local name (announced by Avahi) and its own addresses. */
async function loadAddress() {
  try {
    const names = await api('/api/device-name');
    const urls = [names.mdns ? `http://${names.mdns}/` : null, ...names.addresses.map((a) => `http://${a}/`)];
    $('join-address').textContent = urls.filter(Boolean).join('  ·  ') || 'this computer only (simulator)';
  } catch (error) {
    showMessage(error.message);
  }
}

void loadNetwork();
void loadAddress();
void pollOverview();
