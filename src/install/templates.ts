// The files the installer owns outright: systemd units, the sysusers.d and tmpfiles.d snippets, the
// NetworkManager drop-in. Pure functions of the install settings.
import { JEMALLOC_CONF } from '../peer/allocator.js';
import { peerHeapFlags } from '../peer/heap-limit.js';

export const SERVICE_USER = 'smallworld';
export const CONFIG_PATH = '/etc/smallworld/config.json';
export const RUN_DIR = '/run/smallworld';

export interface UnitSettings {
  /** The Node.js binary on the target. */
  node: string;
  /** The compiled CLI (dist/src/cli/main.js) on the target. */
  app: string;
  dataDir: string;
  runDir: string;
  wifiInterface: string;
  /** libjemalloc2 on the target for the peer (src/peer/allocator.ts), or null: glibc's malloc. */
  jemalloc?: string | null;
}

const HEADER = '# Written by "smallworld install"; "smallworld uninstall" removes it.';

/** One ExecStart argument, quoted and escaped for systemd (specifiers and variables included). */
export function systemdArg(arg: string): string {
  if (/[\n\r]/.test(arg)) throw new Error(`a command-line argument cannot contain a newline: ${JSON.stringify(arg)}`);
  const escaped = arg.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

const command = (args: string[]) => args.map(systemdArg).join(' ');

// Memory, sized for the smallest board (a Pi Zero 2 W: 512 MB, ~400 MB left by the OS, ~320 MB for the
// device), which every bigger board satisfies too. The Memory* settings need the kernel's memory controller
// (cgroup v2 with "memory", as on Raspberry Pi OS Bookworm; where it is disabled systemd ignores them): the
// OOMScoreAdjust values work without it, through the kernel's own OOM killer.

/** The daemon drives the radio and the LEDs: when memory runs out it must never be the one killed. */
export const DAEMON_MEMORY = `# The daemon drives the radio and the LEDs: under memory pressure the kernel kills the peer, never this
# (OOMScoreAdjust), and does not reclaim the daemon's working set (MemoryMin). If a child of it (dnsmasq,
# hostapd) is killed, the daemon restarts that child itself: the unit carries on (OOMPolicy=continue).
OOMScoreAdjust=-900
MemoryMin=64M
OOMPolicy=continue
`;

/** The peer's MemoryMax, MiB (systemd's M). */
export const PEER_MEMORY_MAX_MB = 260;

/** The Node options the peer's unit starts it with (the build makes its code caches for them, peer-starts.ts). */
export const PEER_UNIT_NODE_ARGS = ['--expose-gc'] as const;
/** Its NODE_OPTIONS: the heap sizes for the memory MemoryMax leaves it (src/peer/heap-limit.ts). */
export function peerUnitNodeOptions(): string {
  return peerHeapFlags(PEER_MEMORY_MAX_MB * 1024 * 1024).join(' ');
}

/**
 * The peer gives way first: chosen by the OOM killer before anything else, reclaimed and slowed above
 * MemoryHigh, killed above MemoryMax, and restarted (Restart=on-failure); it resumes replicating from what its
 * log holds. Node.js sizes its heap from MemoryMax, and the peer its garbage budget (ssb/memory-pressure.ts).
 */
export const PEER_MEMORY = `# Under memory pressure the peer gives way, never the daemon: the OOM killer picks it first (OOMScoreAdjust),
# it is reclaimed and slowed above MemoryHigh and stopped above MemoryMax, then restarted (Restart=on-failure)
# and resumes replicating from what its log holds. Node.js and the peer size their heap and garbage budget
# from MemoryMax (src/ssb/memory-pressure.ts); a 100,000-message catch-up peaks below 200 MB.
OOMScoreAdjust=500
MemoryHigh=220M
MemoryMax=${PEER_MEMORY_MAX_MB}M
OOMPolicy=stop
`;

/** The connectivity daemon: root, but only with the network capabilities hostapd, dnsmasq and `ip` need. */
export function daemonUnit(s: UnitSettings): string {
  const device = `sys-subsystem-net-devices-${s.wifiInterface}.device`;
  return `${HEADER}
[Unit]
Description=Smallworld connectivity daemon (buttons, LEDs, hostapd, wpa_supplicant, dnsmasq)
After=systemd-modules-load.service ${device}
Wants=${device}

[Service]
Type=simple
# The peer (web page, SSB) has its own unit, so the daemon does not start one (--web-port 0 --ssb-port 0).
ExecStart=${command([s.node, s.app, 'start', '--config', CONFIG_PATH, '--data', s.dataDir, '--web-port', '0', '--ssb-port', '0'])}
User=root
# The control socket (DATA/control.sock, mode 0660) gets this group, so the peer can reach it.
Group=${SERVICE_USER}
UMask=0027
Restart=on-failure
RestartSec=2s
${DAEMON_MEMORY}StandardOutput=journal
StandardError=journal
SyslogIdentifier=smallworld
# Sockets and pid files; kept across restarts so a restarted daemon finds its children's state.
RuntimeDirectory=smallworld
RuntimeDirectoryMode=0750
RuntimeDirectoryPreserve=yes
# Only what configuring Wi-Fi needs: interfaces and addresses, raw/packet sockets, the DHCP port, and
# setuid/setgid so that dnsmasq, which parses requests from any device on the AP, drops to nobody.
CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID
AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${s.dataDir} ${s.runDir}
ProtectHome=yes
PrivateTmp=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET
# Not set on purpose: ProtectKernelTunables (it makes /sys read-only: the LEDs live in /sys/class/leds),
# PrivateDevices and ProtectClock (they hide /dev/input, where the buttons are, and /dev/rfkill).

[Install]
WantedBy=multi-user.target
`;
}

/** The peer (web page now, SSB later): an ordinary user with no capabilities at all. */
export function peerUnit(s: UnitSettings): string {
  return `${HEADER}
[Unit]
Description=Smallworld peer (web page, SSB)
After=smallworld.service network.target
Wants=smallworld.service
# A peer that cannot start (no native crypto on a 32-bit Pi, see the README) must not restart forever: each
# try costs a small Pi's CPU for many seconds. After 5 failed starts in 10 minutes systemd gives up, and
# "systemctl status smallworld-peer" shows it failed, with the reason in the journal.
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=simple
# Web and SSB addresses and the log level come from the same configuration file as the daemon's.
ExecStart=${command([s.node, ...PEER_UNIT_NODE_ARGS, s.app, 'peer', '--config', CONFIG_PATH, '--data', s.dataDir])}
# The heap sizes for the memory MemoryMax leaves it (src/peer/heap-limit.ts).
Environment="NODE_OPTIONS=${peerUnitNodeOptions()}"
${
  s.jemalloc
    ? `# jemalloc gives back the memory replication frees; glibc's malloc keeps it (src/peer/allocator.ts).
Environment=LD_PRELOAD=${s.jemalloc}
Environment=MALLOC_CONF=${JEMALLOC_CONF}
`
    : ''
}User=${SERVICE_USER}
Group=${SERVICE_USER}
UMask=0077
Restart=on-failure
RestartSec=2s
${PEER_MEMORY}StandardOutput=journal
StandardError=journal
SyslogIdentifier=smallworld-peer
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
# The peer's own state; the rest of DATA is the daemon's (the peer only connects to its control socket).
ReadWritePaths=-${s.dataDir}/peer
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RemoveIPC=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`;
}

/** The system user (and group) the peer runs as; created by systemd-sysusers at boot, no useradd. */
export function sysusersConf(dataDir: string): string {
  return `${HEADER}
u ${SERVICE_USER} - "Smallworld peer" ${dataDir}/peer -
`;
}

/** DATA: the daemon's (root), readable by the peer's group so it can reach the control socket. */
export function tmpfilesConf(dataDir: string): string {
  return `${HEADER}
d ${dataDir} 0750 root ${SERVICE_USER} -
d ${dataDir}/peer 0750 ${SERVICE_USER} ${SERVICE_USER} -
`;
}

/** NetworkManager leaves our interfaces alone (Raspberry Pi OS Bookworm and later). */
export function networkManagerConf(interfaces: string[]): string {
  return `${HEADER}
# Smallworld runs hostapd, wpa_supplicant and dnsmasq on these interfaces itself.
[keyfile]
unmanaged-devices=${interfaces.map((i) => `interface-name:${i}`).join(';')}
`;
}
