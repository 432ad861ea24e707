// The namespace LAN the SSB lab runs on: broadcast reaches the other devices, and a cut link stops it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualLan } from '../../lab/lan/virtual-lan.js';

const LISTEN = `
const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (m) => { console.log(String(m)); });
s.bind(47001, () => console.log('ready'));
setTimeout(() => process.exit(0), 8000);`;
const SEND = (text: string) => `
const s = require('node:dgram').createSocket('udp4');
s.bind(() => { s.setBroadcast(true); s.send('${text}', 47001, '255.255.255.255', () => s.close()); });`;

test("devices on the virtual LAN hear each other's broadcasts until their link is cut", {
  timeout: 30_000,
}, async () => {
  const lan = await VirtualLan.create();
  try {
    await lan.addDevice('alice');
    await lan.addDevice('bob');
    const listener = lan.spawn('alice', [process.execPath, '-e', LISTEN], { stdio: ['ignore', 'pipe', 'inherit'] });
    let heard = '';
    listener.stdout?.setEncoding('utf8').on('data', (d: string) => {
      heard += d;
    });
    const deadline = Date.now() + 5_000;
    while (!heard.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await lan.exec('bob', [process.execPath, '-e', SEND('hello-1')]);
    await new Promise((r) => setTimeout(r, 300));
    assert.match(heard, /hello-1/);
    await lan.cut('bob');
    await lan.exec('bob', [process.execPath, '-e', SEND('hello-2')]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(heard, /hello-2/);
    await lan.restore('bob');
    await lan.exec('bob', [process.execPath, '-e', SEND('hello-3')]);
    await new Promise((r) => setTimeout(r, 300));
    assert.match(heard, /hello-3/);
  } finally {
    await lan.destroy();
  }
});
