// Pure edits of system files the installer shares with the rest of the OS (config.txt, cmdline.txt,
// dhcpcd.conf). Each edit is idempotent: applied to its own output it returns the same text, so a second
// install changes nothing.

export const BLOCK_BEGIN = '# >>> smallworld: written by "smallworld install", removed by "smallworld uninstall" >>>';
export const BLOCK_END = '# <<< smallworld <<<';

/**
 * Puts `lines` between our markers: in place if the block is already there, otherwise at the start or
 * the end of the file. Everything outside the block is left byte for byte.
 */
export function upsertBlock(text: string, lines: string[], where: 'start' | 'end'): string {
  const block = [BLOCK_BEGIN, ...lines, BLOCK_END].join('\n');
  const begin = text.indexOf(BLOCK_BEGIN);
  if (begin >= 0) {
    const endMarker = text.indexOf(BLOCK_END, begin);
    if (endMarker < 0) throw new Error(`found "${BLOCK_BEGIN}" without "${BLOCK_END}"; fix the file by hand`);
    return text.slice(0, begin) + block + text.slice(endMarker + BLOCK_END.length);
  }
  if (where === 'start') return `${block}\n${text}`;
  if (text.length === 0) return `${block}\n`;
  return `${text}${text.endsWith('\n') ? '' : '\n'}${block}\n`;
}

/** The seed's wiring (BCM numbering, physical pins 29-39 on the 40-pin header, next to GND on 30/34/39). */
export const PINS = {
  apButton: 13,
  wpsButton: 6,
  apLed: 19,
  connectionLed: 26,
  replicationLed: 5,
} as const;

export interface BootSettings {
  keycodes: { ap: number; wps: number };
  ledNames: { ap: string; connection: string; replication: string };
}

/** The config.txt block: USB gadget on the models with a USB OTG port, and the GPIO overlays. */
export function configTxtLines(settings: BootSettings): string[] {
  const { keycodes, ledNames } = settings;
  return [
    // Reset any filter the file ended with, so the block applies as written.
    '[all]',
    '# USB Ethernet gadget (with modules-load=dwc2,g_ether in cmdline.txt): only these models have a',
    '# USB OTG port (Zero/Zero W/Zero 2 W: the "USB" micro-USB port; Pi 4: the USB-C power port).',
    '[pi0]',
    'dtoverlay=dwc2',
    '[pi4]',
    'dtoverlay=dwc2',
    '[all]',
    '# Buttons: to GND, internal pull-up, active low; the kernel debounces and reports key events.',
    `dtoverlay=gpio-key,gpio=${PINS.apButton},active_low=1,keycode=${keycodes.ap},label=smallworld-ap-button`,
    `dtoverlay=gpio-key,gpio=${PINS.wpsButton},active_low=1,keycode=${keycodes.wps},label=smallworld-wps-button`,
    '# LEDs: active high, through a resistor to GND; /sys/class/leds/<label>.',
    `dtoverlay=gpio-led,gpio=${PINS.apLed},label=${ledNames.ap}`,
    `dtoverlay=gpio-led,gpio=${PINS.connectionLed},label=${ledNames.connection}`,
    `dtoverlay=gpio-led,gpio=${PINS.replicationLed},label=${ledNames.replication}`,
  ];
}

export const GADGET_MODULES = ['dwc2', 'g_ether'];

/** Splits a kernel command line into arguments, keeping double-quoted values (which may hold spaces) whole. */
export function splitCmdline(text: string): string[] {
  return text.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? [];
}

/**
 * Adds `modules-load=dwc2,g_ether` to cmdline.txt: merged into an existing modules-load= argument, or
 * inserted after `rootwait` (else at the end). The file is one line with exactly one space between
 * arguments; a trailing newline is kept if there was one and never added. Unchanged if already there.
 */
export function withGadgetModules(text: string): string {
  const args = splitCmdline(text);
  const index = args.findIndex((arg) => arg.startsWith('modules-load='));
  if (index >= 0) {
    const current = (args[index] as string).slice('modules-load='.length).split(',').filter(Boolean);
    const missing = GADGET_MODULES.filter((m) => !current.includes(m));
    if (missing.length === 0) return text;
    args[index] = `modules-load=${[...current, ...missing].join(',')}`;
  } else {
    const argument = `modules-load=${GADGET_MODULES.join(',')}`;
    const rootwait = args.indexOf('rootwait');
    if (rootwait >= 0) args.splice(rootwait + 1, 0, argument);
    else args.push(argument);
  }
  return args.join(' ') + (text.endsWith('\n') ? '\n' : '');
}

/** dhcpcd.conf: leave wlan0 and usb0 to Smallworld. At the top, so it is global, not inside an `interface` block. */
export function dhcpcdLines(interfaces: string[]): string[] {
  return [
    '# Smallworld addresses these interfaces itself (hostapd, wpa_supplicant and dnsmasq run under its daemon).',
    `denyinterfaces ${interfaces.join(' ')}`,
  ];
}

/** The Wi-Fi country the OS was set up with: cmdline.txt (Bookworm+) or wpa_supplicant.conf (older). */
export function detectCountry(cmdline: string | null, wpaSupplicantConf: string | null): string | null {
  const fromCmdline = cmdline?.match(/(?:^|\s)cfg80211\.ieee80211_regdom=([A-Za-z]{2})(?:\s|$)/)?.[1];
  if (fromCmdline) return fromCmdline.toUpperCase();
  const fromWpa = wpaSupplicantConf?.match(/^\s*country=([A-Za-z]{2})\s*$/m)?.[1];
  return fromWpa ? fromWpa.toUpperCase() : null;
}
