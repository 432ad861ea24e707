const source = new EventSource('/events');
source.addEventListener('status', (e) => {
  const s = JSON.parse(e.data);
  document.getElementById('mode').textContent = s.mode;
  for (const led of ['ap', 'connection', 'replication']) document.getElementById(`led-${led}`).dataset.pattern = s.leds[led];
});
for (const b of document.querySelectorAll('button[data-button]')) {
  b.addEventListener('click', () => fetch(`/api/press/${b.dataset.button}`, { method: 'POST' }));
}
