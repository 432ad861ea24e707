// What the installer adds so that a phone needs nothing installed (docs/PHONES.md): the device's name on
// every link through the system's Avahi daemon, and port 80 on the access point and USB link for the
// unprivileged web page. Pure functions of the install settings; the installer writes them, backs up what
// was there, and `smallworld uninstall` restores it.
//
// Port 80: an nftables rule redirects TCP port 80 arriving on the AP and USB interfaces to the web port.
// Chosen over the alternatives because the peer, which parses what strangers send, then holds no privilege
// at all (CAP_NET_BIND_SERVICE would let it bind any low port on every network, and systemd socket
// activation would hand it a second listening socket it must serve beside its own); because the rule
// matches only those two interfaces, so a network the device joined as a client gets no port 80; and
// because REDIRECT rewrites the destination to the receiving interface's own address, so the web page's
// local-address check (src/web/security.ts) sees 192.168.4.1 as before.
import { BLOCK_BEGIN, BLOCK_END } from './edits.js';
import { systemdArg } from './templates.js';

export const AVAHI_SERVICE_PATH = '/etc/avahi/services/smallworld.service';
export const AVAHI_CONF_PATH = '/etc/avahi/avahi-daemon.conf';
export const PORTAL_NFT_PATH = '/etc/smallworld/portal.nft';
export const PORTAL_UNIT = 'smallworld-portal.service';
export const NFT = '/usr/sbin/nft';
export const NFT_TABLE = 'smallworld_portal';
/** The name announced when the owner has not chosen one; Avahi makes it `smallworld-2` if it is taken. */
export const DEFAULT_MDNS_NAME = 'smallworld';

const xml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Avahi's static service file: the web page as `_http._tcp` on the host's own `<name>.local`. */
export function avahiService(webPort: number): string {
  if (!Number.isInteger(webPort) || webPort < 1 || webPort > 65535) throw new Error(`not a port: ${webPort}`);
  return `<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<!-- ${xml('Written by "smallworld install"; "smallworld uninstall" removes it.')} -->
<service-group>
  <name replace-wildcards="yes">Smallworld on %h</name>
  <service>
    <type>_http._tcp</type>
    <port>${webPort}</port>
    <txt-record>path=/shared</txt-record>
  </service>
</service-group>
`;
}

/**
 * avahi-daemon.conf with `host-name=smallworld` in its [server] section, between our markers, unless the
 * owner has set a host name there already (theirs wins). Idempotent.
 */
export function withAvahiHostName(text: string, name = DEFAULT_MDNS_NAME): string {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`not a host name: ${name}`);
  const begin = text.indexOf(BLOCK_BEGIN);
  const withoutBlock =
    begin < 0 ? text : text.slice(0, begin) + text.slice(text.indexOf(BLOCK_END, begin) + BLOCK_END.length + 1);
  if (/^[ \t]*host-name[ \t]*=/m.test(withoutBlock)) return text;
  const block = `${BLOCK_BEGIN}\nhost-name=${name}\n${BLOCK_END}\n`;
  if (begin >= 0)
    return text.slice(0, begin) + block + text.slice(text.indexOf(BLOCK_END, begin) + BLOCK_END.length + 1);
  const server = /^\[server\][^\n]*\n/m.exec(text);
  if (server === null) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}[server]\n${block}`;
  const at = server.index + server[0].length;
  return text.slice(0, at) + block + text.slice(at);
}

const interfaceName = (name: string) => {
  if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(name)) throw new Error(`not an interface name: ${JSON.stringify(name)}`);
  return name;
};

/** The nftables rules: port 80 on the AP and USB interfaces goes to the web port. Loading it twice is safe. */
export function portalNft(interfaces: string[], webPort: number): string {
  if (!Number.isInteger(webPort) || webPort < 1 || webPort > 65535) throw new Error(`not a port: ${webPort}`);
  const names = interfaces.map((i) => `"${interfaceName(i)}"`).join(', ');
  return `# Written by "smallworld install"; "smallworld uninstall" removes it.
# Port 80 on the device's own links (access point, USB) reaches the unprivileged web page on ${webPort}.
table inet ${NFT_TABLE}
delete table inet ${NFT_TABLE}
table inet ${NFT_TABLE} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname { ${names} } tcp dport 80 redirect to :${webPort}
  }
}
`;
}

/** Loads the rules at boot and removes them when stopped (or on uninstall, with the unit). */
export function portalUnit(): string {
  return `# Written by "smallworld install"; "smallworld uninstall" removes it.
[Unit]
Description=Smallworld: port 80 on the access point and USB link to the web page
Before=smallworld.service
After=nftables.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${[NFT, '-f', PORTAL_NFT_PATH].map(systemdArg).join(' ')}
ExecStop=${[NFT, 'delete', 'table', 'inet', NFT_TABLE].map(systemdArg).join(' ')}

[Install]
WantedBy=multi-user.target
`;
}
