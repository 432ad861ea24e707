// Captive-portal answers. A phone that joins the device's access point (or a laptop on its USB link) asks
// well-known URLs to learn whether it is online; the catch-all DNS on those links sends every name here,
// so we answer those probes, and any page asked for under a name that is not ours, with a redirect to the
// device's own page as an absolute URL on the address the request arrived at (`.local` names are not
// resolved by every phone's captive sheet). A redirect carries no data and changes nothing, so it may
// pass the Host allow-list; everything that does carry data keeps it (DNS rebinding, src/web/security.ts).
import { bracket, unmapIpv4 } from '../security.js';

/** The connectivity probes of Android, Apple, Windows and Firefox (paths; any Host). */
export const PROBE_PATHS: ReadonlySet<string> = new Set([
  '/generate_204', // Android, ChromeOS: connectivitycheck.gstatic.com, clients3.google.com, …
  '/gen_204', // Android's fallback URLs (www.google.com/gen_204)
  '/hotspot-detect.html', // Apple: captive.apple.com
  '/library/test/success.html', // Apple: www.apple.com
  '/connecttest.txt', // Windows 10 and later: www.msftconnecttest.com
  '/ncsi.txt', // Windows 7 and 8: www.msftncsi.com
  '/redirect', // Windows: www.msftconnecttest.com/redirect, opened in the browser
  '/success.txt', // Firefox: detectportal.firefox.com
  '/canonical.html', // Ubuntu and GNOME: connectivity-check.ubuntu.com, nmcheck.gnome.org
  '/check_network_status.txt', // KDE and Fedora: networkcheck.kde.org, fedoraproject.org
]);

/** Requests that carry data and are never navigations: a foreign Host on them is refused, not redirected. */
export const isDataPath = (path: string) =>
  path.startsWith('/api/') || path === '/events' || path.startsWith('/events?') || path.startsWith('/blob');

/** The path of a request URL without its query (`/generate_204?x=1` → `/generate_204`). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Whether this request gets the captive-portal redirect: a GET or HEAD for a probe path (whatever the
 * Host), or for any page under a name that is not ours. API calls and state changes never do.
 */
export function wantsPortalRedirect(request: { method: string; url: string; hostIsOurs: boolean }): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = pathOf(request.url);
  if (PROBE_PATHS.has(path)) return true;
  return !request.hostIsOurs && !isDataPath(path);
}

/** `http://192.168.4.1:8300/shared`: the page on the address and port the request arrived at. */
export function portalLocation(localAddress: string, localPort: number, page: '/shared' | '/'): string {
  const host = bracket(unmapIpv4(localAddress));
  return `http://${host}${localPort === 80 ? '' : `:${localPort}`}${page}`;
}

/**
 * Names announced by mDNS (`smallworld.local`, `smallworld-2.local` after a conflict), with or without a
 * port. Only hosts on the same link can answer a `.local` query, so such a name cannot be rebound to us by
 * a page on the Internet: it is safe to accept like our own addresses.
 */
export function isMdnsName(host: string, port: number): boolean {
  const match = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.local(?::(\d{1,5}))?$/.exec(host);
  if (!match) return false;
  return match[2] === undefined ? port === 80 : Number(match[2]) === port;
}
