// The `smallworld` command's usage: all of it, or the part about one command (`smallworld wifi --help`).

export const USAGE = `Usage: smallworld <command> [options]

Device:
  start [--sim] [--data DIR] [--config FILE] [--web-host HOST] [--web-port N]
        [--ssb-host HOST] [--ssb-port N] [--no-auto-follow]
                          run the device in the foreground (--web-port 0: no web page;
                          --ssb-port 0: no SSB peer)
  status [--json]         mode, WPS search, LEDs, associations, web page address
  press ap|wps            exactly what the physical button does
  ap on|off               switch the access point explicitly
  wps start|cancel        start or cancel a WPS push-button search
  wps auto-role on|off    pairing with one press: in client mode, look for the other device's access point
                          first and host if none (default on; kept across restarts)
  keys one-time on|off    forget a WPS-issued key after its device's first connection (default on)
  keys revoke MAC         forget a trusted device's WPS key

Wi-Fi settings:
  wifi [show] [--json]    this device's network (SSID, passphrase, QR payload) and the known networks
  wifi show --qr          the network's name, passphrase and a QR code for a phone's camera, in the terminal
  wifi ap [--ssid NAME] [--passphrase P | --passphrase-stdin]
                          change this device's network (connected devices will need the new one)
  wifi add SSID (--passphrase P | --passphrase-stdin)
                          add a known network to join in client mode (or change its passphrase)
  wifi remove SSID        forget a known network
  wifi order SSID...      set the preference order of the known networks

SSB peer (through DATA/peer.sock; every command takes --json):
  ssb whoami | status | feeds | peers
  ssb publish --type T [--text TEXT] [--photo FILE]
                          publish a message; with --photo the image is added as a blob and linked
  ssb follow ID | unfollow ID | block ID | unblock ID
  ssb blob add FILE       add a file as a blob; prints its id
  ssb blob get ID [--out FILE]
                          fetch a blob (asking connected peers) to FILE or stdout
  ssb connect ADDRESS     dial a peer (net:HOST:PORT~shs:KEY)

Simulator (with start --sim):
  sim state                        the simulated radios
  sim other-wps [--mac MAC]        another device presses its WPS button
  sim phone join|leave MAC         a phone joins or leaves our access point by passphrase
  sim network SSID BSSID [--known] [--out-of-range]
                                   a network appears near the device (or goes away)

Installing on a Raspberry Pi (see docs/INSTALL.md):
  install [--root DIR] [--dry-run]   configure the system: services, Wi-Fi daemons, USB gadget, GPIO overlays
  uninstall [--root DIR]             restore every file install changed, byte for byte

Every command takes --data DIR (default: $SMALLWORLD_DATA, then /var/lib/smallworld).
`;

/** `--help` or `-h` as a flag (not after `--`): a value that starts with a dash must be given as --flag=VALUE. */
export function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The part of the usage about one command (its lines and their continuations), or all of it. */
export function usageOf(command: string): string {
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line.startsWith(`  ${command} `) || line === `  ${command}`) inside = true;
    else if (!/^ {6,}\S/.test(line)) inside = false;
    if (inside) picked.push(line);
  }
  if (picked.length === 0) return USAGE;
  return `Usage: smallworld ${command} …\n\n${picked.join('\n')}\n\nEvery command takes --data DIR (default: $SMALLWORLD_DATA, then /var/lib/smallworld).\n`;
}
