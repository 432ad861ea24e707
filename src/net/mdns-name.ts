// The device's own `.local` name as the system's Avahi daemon announces it (`smallworld.local`, or
// `smallworld-2.local` when another device had the name first), asked over Avahi's local socket the way
// nss-mdns asks it: a reverse lookup of one of our own addresses. Null when Avahi is not running (the
// simulator, a system without avahi-daemon): the page then shows the addresses only.
import { createConnection } from 'node:net';

export const AVAHI_SOCKET = '/run/avahi-daemon/socket';

/** The reply to `RESOLVE-ADDRESS`: `+ <interface> <protocol> <name>` on success, `-` and a reason otherwise. */
export function parseResolveAddress(line: string): string | null {
  const match = /^\+ -?\d+ -?\d+ ([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.local)$/i.exec(line.trim());
  return match ? (match[1] as string).toLowerCase() : null;
}

export function avahiHostName(address: string, socketPath = AVAHI_SOCKET, timeoutMs = 2000): Promise<string | null> {
  if (!/^[0-9a-f.:]{2,45}$/i.test(address)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    let reply = '';
    const finish = (name: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(name);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('connect', () => socket.write(`RESOLVE-ADDRESS ${address}\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.length > 1024) finish(null);
      const end = reply.indexOf('\n');
      if (end >= 0) finish(parseResolveAddress(reply.slice(0, end)));
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(parseResolveAddress(reply)));
  });
}
