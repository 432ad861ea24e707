// Shared by every page: calls to the device's API (with the CSRF token on every POST), messages, and the
// building blocks that draw people. Data is only ever put on the page with textContent and attributes,
// never as HTML: names, posts and network names come from other people.

let csrf = null;

export const $ = (id) => document.getElementById(id);

/** An element with a class and text (text via textContent, so markup in it stays text). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** What the server says about this browser: logged in or not, first setup needed, the CSRF token. */
export async function session() {
  const response = await fetch('/api/session', { headers: { Accept: 'application/json' } });
  const body = await response.json();
  csrf = body.csrf;
  return body;
}

/**
 * A call to the device. `json` sends a JSON body, `form` a FormData (multipart). Errors become exceptions
 * carrying the server's message; without a session, the page goes to the login.
 */
export async function api(path, { method = 'GET', json, form } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (method !== 'GET') {
    if (csrf === null) await session();
    init.headers['X-CSRF-Token'] = csrf;
  }
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new Error('the device did not answer (is it still on this network?)');
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 && body.login) {
    location.assign(body.login);
    throw new Error('log in first');
  }
  if (!response.ok) throw new Error(body.error ?? `the device answered HTTP ${response.status}`);
  return body;
}

let messageTimer = null;
/** The page's one message line: errors stay until the next action, confirmations fade after a while. */
export function showMessage(text, kind = 'error') {
  const box = $('message');
  if (!box) return;
  clearTimeout(messageTimer);
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
  if (text && kind === 'ok') messageTimer = setTimeout(() => showMessage(''), 6000);
}

/** Runs an action from a button or form, marking it busy and reporting the outcome. */
export async function act(control, action, done) {
  control?.setAttribute('aria-busy', 'true');
  if (control && 'disabled' in control) control.disabled = true;
  try {
    const result = await action();
    if (done) showMessage(done, 'ok');
    else showMessage('');
    return result;
  } catch (error) {
    showMessage(error.message);
    return undefined;
  } finally {
    control?.removeAttribute('aria-busy');
    if (control && 'disabled' in control) control.disabled = false;
  }
}

export function button(text, className, onClick) {
  const node = el('button', `action small ${className ?? ''}`.trim(), text);
  node.type = 'button';
  node.addEventListener('click', () => onClick(node));
  return node;
}

export const blobUrl = (blob) => `/blob?id=${encodeURIComponent(blob)}`;

/** A round picture: the person's own, or the first letter of their name. */
export function avatar(person) {
  if (person?.image) {
    const img = el('img', 'avatar');
    img.src = blobUrl(person.image);
    img.alt = '';
    img.loading = 'lazy';
    img.addEventListener('error', () => img.replaceWith(initials(person)));
    return img;
  }
  return initials(person);
}

function initials(person) {
  const letter = [...(person?.name ?? person?.id?.slice(1) ?? '?')][0] ?? '?';
  const node = el('span', 'avatar', letter.toUpperCase());
  node.setAttribute('aria-hidden', 'true');
  return node;
}

/** A person: picture, name (or "unnamed"), the id in small type, and relation badges. */
export function personCell(person, { badges = true } = {}) {
  const cell = el('div', 'person');
  const who = el('div', 'who');
  const name = el(
    'span',
    person.name ? 'name' : 'name unnamed',
    person.name ?? (person.self ? 'this device' : 'unnamed'),
  );
  const id = el('span', 'id', person.id);
  who.append(name, id);
  cell.append(avatar(person), who);
  if (badges) {
    const list = el('span', 'badges');
    if (person.self) list.append(el('span', 'badge', 'you'));
    if (person.following) list.append(badge('following', 'good'));
    if (person.follower) list.append(badge('follows you', 'good'));
    if (person.blocked) list.append(badge('blocked', 'bad'));
    if (list.childElementCount > 0) who.append(list);
  }
  return cell;
}

function badge(text, kind) {
  const node = el('span', 'badge', text);
  node.dataset.kind = kind;
  return node;
}

export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 60 && seconds > -60) return 'just now';
  if (seconds < 3600 && seconds > 0) return `${Math.floor(seconds / 60)} min ago`;
  return date.toLocaleString();
}

/** An empty list says so. */
export function fillList(list, items, emptyText) {
  list.replaceChildren(...items);
  if (items.length === 0) list.append(el('li', 'empty', emptyText));
}

/** The header's log-out button, on every page that has one. */
export function wireLogout() {
  const logout = $('logout');
  if (!logout) return;
  logout.addEventListener('click', async () => {
    await act(logout, () => api('/api/logout', { method: 'POST' }));
    location.assign('/login');
  });
}
