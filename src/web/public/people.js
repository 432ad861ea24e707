// The People page: who this device follows, who follows it, who is blocked, who is around; follow, unfollow,
// block and unblock by id or from a list; the auto-follow switch, its allow and deny lists and its recent
// decisions. Names and pictures come from the people themselves (about messages) and are shown as text.
import { $, act, api, button, el, fillList, personCell, showMessage, when, wireLogout } from './common.js';

const REASON_TEXT = {
  follow: 'followed',
  'already-followed': 'already followed',
  'unfollowed-before': 'unfollowed by hand before',
  blocked: 'blocked',
  denied: 'on the deny list',
  'not-allowed': 'not on the allow list',
  unverified: 'unsigned beacon: verifying by connecting',
  'rate-limited': 'too many follows this minute',
  disabled: 'auto-follow is off',
  self: 'this device',
  'invalid-key': 'not a valid key',
};
const STATE_TEXT = { connected: 'connected', connecting: 'connecting', disconnecting: 'leaving', discovered: 'seen' };

let view = null;

async function change(control, action, id, done) {
  const result = await act(control, () => api(`/api/people/${action}`, { method: 'POST', json: { id } }), done);
  if (result) render(result);
  return result;
}

/** The buttons that make sense for someone, given how we relate to them now. */
function personActions(person) {
  const actions = el('div', 'actions');
  if (person.self) return actions;
  const label = person.name ?? 'them';
  if (person.blocked) {
    actions.append(button('Unblock', '', (b) => change(b, 'unblock', person.id, `unblocked ${label}`)));
    return actions;
  }
  if (person.following)
    actions.append(button('Unfollow', '', (b) => change(b, 'unfollow', person.id, `unfollowed ${label}`)));
  else actions.append(button('Follow', 'primary', (b) => change(b, 'follow', person.id, `following ${label}`)));
  actions.append(button('Block', 'danger', (b) => change(b, 'block', person.id, `blocked ${label}`)));
  return actions;
}

function personRow(person, extra) {
  const item = el('li');
  item.dataset.id = person.id;
  const cell = personCell(person);
  cell.classList.add('grow');
  item.append(cell);
  if (extra) item.append(extra);
  item.append(personActions(person));
  return item;
}

function listRows(name, people, emptyText) {
  $(`${name}-count`).textContent = String(people.length);
  fillList(
    $(name),
    people.map((p) => personRow(p)),
    emptyText,
  );
}

function policyRows(list, ids) {
  fillList(
    $(`${list}-list`),
    ids.map((id) => {
      const item = el('li');
      item.dataset.id = id;
      item.append(el('span', 'mono-line grow', id));
      item.append(button('Remove', '', (b) => changeList(b, list, 'remove', id)));
      return item;
    }),
    list === 'allow' ? 'empty: anyone may be auto-followed' : 'empty',
  );
}

async function changeList(control, list, action, id) {
  const result = await act(
    control,
    () => api('/api/auto-follow/list', { method: 'POST', json: { list, action, id } }),
    action === 'add' ? `added to the ${list} list` : `removed from the ${list} list`,
  );
  if (result) render(result);
  return result;
}

function render(next) {
  view = next;
  $('self-id').textContent = view.self.id;
  $('seen-count').textContent = String(view.seen.length);
  fillList(
    $('seen'),
    view.seen.map((peer) => {
      const state = el(
        'span',
        'badge',
        `${STATE_TEXT[peer.state] ?? peer.state}${peer.verified === false ? ' · unsigned' : ''}`,
      );
      if (peer.person) return personRow(peer.person, state);
      const item = el('li');
      item.append(el('span', 'mono-line grow', peer.address), state);
      return item;
    }),
    'Nobody seen on this network yet.',
  );
  listRows('following', view.following, 'Nobody yet.');
  listRows('followers', view.followers, 'Nobody yet (as far as the feeds held here tell).');
  listRows('blocked', view.blocked, 'Nobody.');

  const { policy, decisions } = view.autoFollow;
  $('auto-enabled').checked = policy.enabled;
  $('auto-rate').textContent = String(policy.maxPerMinute);
  policyRows('allow', policy.allow);
  policyRows('deny', policy.deny);
  fillList(
    $('decisions'),
    decisions.map((d) => {
      const item = el('li');
      item.dataset.reason = d.reason;
      const cell = personCell(d.person, { badges: false });
      cell.classList.add('grow');
      const verdict = el('span', 'badge', REASON_TEXT[d.reason] ?? d.reason);
      verdict.dataset.kind = d.follow ? 'good' : '';
      const time = el('time', 'field-note', `${when(d.at)}${d.repeats > 0 ? ` (×${d.repeats + 1})` : ''}`);
      time.dateTime = d.at;
      item.append(cell, verdict, time);
      if (d.error) item.append(el('span', 'field-note', d.error));
      return item;
    }),
    'No peer met yet.',
  );
}

async function load() {
  try {
    render(await api('/api/people'));
  } catch (error) {
    showMessage(error.message);
  }
}

$('person-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const action = event.submitter?.dataset.action ?? 'follow';
  const input = $('person-id');
  const done = { follow: 'followed', unfollow: 'unfollowed', block: 'blocked', unblock: 'unblocked' }[action];
  if (await change(event.submitter, action, input.value, done)) input.value = '';
});

$('auto-enabled').addEventListener('change', async (event) => {
  const box = event.target;
  const result = await act(
    box,
    () => api('/api/auto-follow', { method: 'POST', json: { enabled: box.checked } }),
    box.checked ? 'auto-follow is on' : 'auto-follow is off',
  );
  if (result) render(result);
  else if (view) box.checked = view.autoFollow.policy.enabled;
});

for (const list of ['allow', 'deny']) {
  $(`${list}-form`).addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $(`${list}-id`);
    if (await changeList(event.submitter, list, 'add', input.value)) input.value = '';
  });
}

wireLogout();
await load();
setInterval(load, 5000);
