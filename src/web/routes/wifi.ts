// The Wi-Fi page's API: the access point's name and passphrase, the known networks and their order, and the
// one-time WPS keys, each a typed request to the daemon answered with the page's new view.
import type { FastifyInstance } from 'fastify';
import type { LogSink } from '../../log/logger.js';
import type { DaemonCalls } from '../daemon-calls.js';
import {
  booleanField,
  InvalidInput,
  macField,
  objectBody,
  passphraseField,
  ssidField,
  ssidListField,
} from '../inputs.js';

export function wifiRoutes(app: FastifyInstance, parts: DaemonCalls & { logger: LogSink }): void {
  const { daemon, logger } = parts;
  const wifi = async () => {
    const [settings, status] = await Promise.all([daemon('wifi.get'), daemon('status')]);
    return { ap: settings.ap, knownNetworks: settings.knownNetworks, keys: status.keys, mode: status.mode };
  };
  app.get('/api/wifi', wifi);
  app.post('/api/wifi/ap', async (request) => {
    const body = objectBody(request.body);
    const change: { ssid?: string; passphrase?: string } = {};
    if (body.ssid !== undefined) change.ssid = ssidField(body.ssid);
    if (body.passphrase !== undefined) change.passphrase = passphraseField(body.passphrase);
    if (change.ssid === undefined && change.passphrase === undefined)
      throw new InvalidInput('enter a new network name, a new passphrase, or both');
    await daemon('wifi.ap.set', change);
    logger.log('info', 'web: access point settings changed', { ssid: change.ssid !== undefined });
    return wifi();
  });
  app.post('/api/wifi/networks/add', async (request) => {
    const body = objectBody(request.body);
    await daemon('wifi.networks.add', { ssid: ssidField(body.ssid), passphrase: passphraseField(body.passphrase) });
    return wifi();
  });
  app.post('/api/wifi/networks/remove', async (request) => {
    const ssid = objectBody(request.body).ssid;
    if (typeof ssid !== 'string' || ssid === '' || ssid.length > 64) throw new InvalidInput('which network?');
    await daemon('wifi.networks.remove', { ssid });
    return wifi();
  });
  app.post('/api/wifi/networks/order', async (request) => {
    await daemon('wifi.networks.order', { ssids: ssidListField(objectBody(request.body).ssids) });
    return wifi();
  });
  app.post('/api/wifi/keys/one-time', async (request) => {
    await daemon('keys.one-time', { enabled: booleanField(objectBody(request.body).enabled, 'enabled') });
    return wifi();
  });
  app.post('/api/wifi/keys/revoke', async (request) => {
    await daemon('keys.revoke', { mac: macField(objectBody(request.body).mac) });
    return wifi();
  });
}
