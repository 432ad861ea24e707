// The Feed page: the newest messages this device holds, photos shown inline (served by blob id, checked to
// be images), and a form to post text and a photo. Text from posts is shown as text, markup included.
import { $, act, api, avatar, blobUrl, el, personCell, showMessage, when, wireLogout } from './common.js';
import { formatBinaryBytes as formatBytes } from './format-bytes.js';

let maxPhotoBytes = 5 * 1024 * 1024;

function item(message) {
  const article = el('article', 'item');
  article.dataset.key = message.key;
  article.dataset.type = message.type;
  const header = el('header');
  const time = el('time', '', when(message.timestamp));
  time.dateTime = message.timestamp;
  header.append(personCell(message.author, { badges: false }), time);
  article.append(header);
  if (message.text) article.append(el('p', 'text', message.text));
  for (const photo of message.photos) {
    const img = el('img', 'photo');
    img.src = blobUrl(photo.blob);
    img.alt = photo.name;
    img.loading = 'lazy';
    img.dataset.blob = photo.blob;
    img.addEventListener('error', () => img.replaceWith(el('p', 'summary', `(photo “${photo.name}” not here yet)`)));
    article.append(img);
  }
  if (message.summary) {
    const line = el('p', 'summary', message.summary);
    if (message.subject) {
      const subject = el('span', 'person');
      subject.append(avatar(message.subject), el('span', 'name', message.subject.name ?? message.subject.id));
      line.append(subject);
    }
    article.append(line);
  }
  return article;
}

async function load() {
  try {
    const feed = await api('/api/feed');
    maxPhotoBytes = feed.maxPhotoBytes;
    $('photo-limit').textContent = formatBytes(maxPhotoBytes);
    const list = $('feed');
    // Redraw only when something changed, so photos do not flicker.
    const keys = feed.items.map((m) => m.key).join(' ');
    if (list.dataset.keys === keys && keys !== '') return;
    list.dataset.keys = keys;
    list.replaceChildren(...feed.items.map(item));
    if (feed.items.length === 0) list.append(el('p', 'empty', 'No messages yet. Post one, or meet someone!'));
  } catch (error) {
    showMessage(error.message);
  }
}

$('post-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('post-text');
  const photo = $('post-photo');
  const file = photo.files?.[0];
  if (file && file.size > maxPhotoBytes) {
    showMessage(`the photo is too large (${formatBytes(file.size)}): at most ${formatBytes(maxPhotoBytes)}`);
    return;
  }
  if (!file && text.value.trim() === '') {
    showMessage('write something or choose a photo');
    return;
  }
  const form = new FormData();
  form.append('text', text.value);
  if (file) form.append('photo', file, file.name);
  const result = await act($('post-submit'), () => api('/api/feed/post', { method: 'POST', form }), 'published');
  if (result) {
    text.value = '';
    photo.value = '';
    await load();
  }
});

wireLogout();
await load();
setInterval(load, 10_000);
