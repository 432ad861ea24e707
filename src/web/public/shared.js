// The Shared page, for guests on the device's own network: the posts and photos this device holds, newest
// first, photos first, paged with the "next" cursor. Read-only: it only ever GETs. Everything from a post is
// put on the page with textContent and attributes, never as markup.
import { $, avatar, blobUrl, el, showMessage, when } from './common.js';

let next = null;
const shown = new Set();

function photoButton(blob, index, count) {
  const open = el('button', 'thumb');
  open.type = 'button';
  open.setAttribute('aria-label', count > 1 ? `Enlarge photo ${index + 1} of ${count}` : 'Enlarge photo');
  const img = el('img');
  img.src = blobUrl(blob);
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  // The blob route answers 404 for a photo not fetched yet and 415 for bytes that are not an image.
  img.addEventListener('error', () =>
    open.replaceWith(el('p', 'missing', 'photo not shown: not on this device yet, or not a photo')),
  );
  open.append(img);
  open.addEventListener('click', () => enlarge(blob));
  return open;
}

function post(item) {
  const article = el('article', 'shared-post');
  article.dataset.key = item.key;
  if (item.photos.length > 0) {
    const photos = el('div', 'photos');
    photos.dataset.count = String(Math.min(item.photos.length, 4));
    photos.append(...item.photos.map((blob, i) => photoButton(blob, i, item.photos.length)));
    article.append(photos);
  }
  const byline = el('header', 'byline');
  const who = el('span', item.author.name ? 'name' : 'name unnamed', item.author.name ?? 'someone unnamed');
  who.title = item.author.id;
  const time = el('time', '', when(item.timestamp));
  time.dateTime = new Date(item.timestamp).toISOString();
  byline.append(avatar(item.author), who, time);
  article.append(byline);
  if (item.text) article.append(el('p', 'text', item.text));
  return article;
}

function enlarge(blob) {
  const viewer = $('viewer');
  $('viewer-img').src = blobUrl(blob);
  viewer.showModal();
}

async function load() {
  const more = $('more');
  more.disabled = true;
  try {
    const query = next === null ? '' : `?before=${encodeURIComponent(next)}`;
    const response = await fetch(`/api/shared${query}`, { headers: { Accept: 'application/json' } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (body.login) location.assign(body.login);
      throw new Error(body.error ?? `the device answered HTTP ${response.status}`);
    }
    const fresh = body.posts.filter((p) => !shown.has(p.key));
    for (const p of fresh) shown.add(p.key);
    $('posts').append(...fresh.map(post));
    next = body.next;
    more.hidden = next === null;
    $('empty').hidden = shown.size > 0;
  } catch (error) {
    showMessage(
      error instanceof TypeError ? 'the device did not answer (is this phone still on its network?)' : error.message,
    );
  } finally {
    more.disabled = false;
  }
}

$('more').addEventListener('click', load);
$('viewer').addEventListener('click', (event) => {
  // A tap anywhere on the enlarged photo or around it closes it.
  if (event.target === $('viewer') || event.target === $('viewer-img')) $('viewer').close();
});
await load();
