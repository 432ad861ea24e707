// The web page's request checks as small pure functions: which local addresses it answers on, which Host
// names it accepts (DNS rebinding), cookies, CSRF tokens and same-origin. The Fastify wiring in request-checks.ts
// only calls these.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const SESSION_COOKIE = 'sw_session';
/** Before login: a random value whose HMAC is the login and setup forms' CSRF token. */
export const PRE_COOKIE = 'sw_pre';
export const CSRF_HEADER = 'x-csrf-token';

export interface Listening {
  /** What the server was told to listen on (`0.0.0.0` and `::` mean every address). */
  host: string;
  port: number;
  /** The device's own addresses on its access point and on the USB link (from the daemon's plan). */
  ap: string | null;
  usb: string | null;
}

export const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';
export const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** `::ffff:192.168.4.1` (an IPv4 client of a dual-stack socket) as plain `192.168.4.1`. */
export function unmapIpv4(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address.toLowerCase();
}

/**
 * The local addresses the page is served on: loopback (127.0.0.1 and ::1 only), the access point's and the
 * USB link's address, and the listening address itself when one was configured. A request that reached us
 * on any other address came in over a network the device merely joined as a client (a café's Wi-Fi): it
 * gets nothing.
 */
export function servedLocalAddresses(listening: Listening): Set<string> {
  const served = new Set(['127.0.0.1', '::1']);
  if (listening.ap) served.add(unmapIpv4(listening.ap));
  if (listening.usb) served.add(unmapIpv4(listening.usb));
  if (!isWildcard(listening.host) && isIP(listening.host) !== 0) served.add(unmapIpv4(listening.host));
  return served;
}

export function isServedLocalAddress(local: string | undefined, served: ReadonlySet<string>): boolean {
  return local !== undefined && served.has(unmapIpv4(local));
}

/**
 * Host headers we answer to: our own names with the port (and without it on port 80). Anything else is a
 * page on another name that resolved to us — DNS rebinding — and gets 421.
 */
export function allowedHostHeaders(listening: Listening): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  if (!isWildcard(listening.host)) names.push(bracket(listening.host.toLowerCase()));
  if (listening.ap) names.push(bracket(listening.ap));
  if (listening.usb) names.push(bracket(listening.usb));
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${listening.port}`);
    if (listening.port === 80) hosts.add(name);
  }
  return hosts;
}

/** Cookie header → name/value pairs (first one wins; malformed pairs are skipped). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!cookies.has(name) && /^[A-Za-z0-9_-]{1,200}$/.test(value)) cookies.set(name, value);
  }
  return cookies;
}

/** Our cookies are never readable by scripts, never sent cross-site, and cover the whole page. */
export function serializeCookie(name: string, value: string, options: { clear?: boolean } = {}): string {
  const base = `${name}=${options.clear ? '' : value}; Path=/; HttpOnly; SameSite=Strict`;
  return options.clear ? `${base}; Max-Age=0` : base;
}

/** The CSRF token that goes with a session (or pre-login) cookie: an HMAC only the server can make. */
export function csrfTokenFor(secret: Buffer, cookieValue: string): string {
  return createHmac('sha256', secret).update(`csrf\0${cookieValue}`).digest('base64url');
}

export function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** GET and HEAD never change anything here; every other method is a state change and needs the token. */
export const isSafeMethod = (method: string) => method === 'GET' || method === 'HEAD';

/** A request's Origin, if sent, must be our own page's. */
export function isSameOrigin(origin: string | undefined, host: string): boolean {
  return origin === undefined || origin.toLowerCase() === `http://${host}`;
}

/** Failures are counted per client; an IPv6 client is its /64 (one device can hold a whole prefix). */
export function clientKey(remote: string | undefined): string {
  if (remote === undefined) return 'unknown';
  const address = unmapIpv4(remote);
  if (isIP(address) !== 6) return address;
  const [head = ''] = address.split('::');
  const groups = address.includes('::') ? head.split(':').filter((g) => g !== '') : address.split(':');
  return `${groups.slice(0, 4).join(':')}::/64`;
}
