// The radio lab's Smallworld scenarios: real Smallworld daemons (not --sim) drive real hostapd,
// wpa_supplicant and dnsmasq on mac80211_hwsim radios, one network namespace per device. Runs inside the
// lab VM (lab/radio/scenarios/smallworld.sh) as one long-lived process, because every Node start costs
// seconds under emulation. Each scenario is asserted from the daemons' own state (hostapd_cli/wpa_cli,
// the PSK file, DHCP leases) and from the Smallworld daemon's status. Prints "PASS name (Ns)" or
// "FAIL name (Ns): why" per scenario and writes figures to $LAB_OUT/figures.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { commandLine, HELP_OPTION } from '../../src/cli/command-line.js';
import {
  assert,
  Device,
  inNs,
  inRange,
  keyValues,
  log,
  OUT,
  Phone,
  processesOf,
  ROOT,
  sh,
  waitFor,
} from './lab-devices.js';
import { ScenarioResults } from './scenario-results.js';

const { positionals: only } = commandLine(
  `usage: node dist/lab/radio/device-lab.js [SCENARIO...]   (inside the radio lab's VM: lab/radio/scenarios/smallworld.sh)

Real Smallworld daemons on mac80211_hwsim radios with hostapd, wpa_supplicant and dnsmasq; every scenario, or
only those named. Prints PASS/FAIL per scenario; figures go to $LAB_OUT/figures.json.`,
  () => parseArgs({ options: HELP_OPTION, allowPositionals: true, strict: true }),
);

// ---- the lab ----

const figures: Record<string, unknown> = {};
const results = new ScenarioResults();
const A = new Device('a', 'swa');
const B = new Device('b', 'swb');
const phone = new Phone('swp');
const phone2 = new Phone('swq');

async function setupRadios(): Promise<void> {
  const names = ['swa', 'swb', 'swp', 'swq'];
  for (let i = 0; i < names.length; i++) {
    const ns = names[i] as string;
    const phy = readFileSync(`/sys/class/net/wlan${i}/phy80211/name`, 'utf8').trim();
    if (!existsSync(`/run/netns/${ns}`)) await sh(['ip', 'netns', 'add', ns]);
    await sh(['iw', 'phy', phy, 'set', 'netns', 'name', ns]);
    await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
    if (i !== 0) await inNs(ns, ['ip', 'link', 'set', `wlan${i}`, 'name', 'wlan0']);
  }
}

async function scenario(name: string, fn: () => Promise<void>): Promise<void> {
  if (only.length > 0 && !only.includes(name)) return;
  await results.run(name, fn);
}

async function main(): Promise<void> {
  mkdirSync(ROOT, { recursive: true });
  await setupRadios();
  log('radios in namespaces swa, swb, swp, swq');
  await A.start();
  await B.start();
  log('daemons A and B up');

  await scenario('phone-joins-ap', async () => {
    await A.ensureMode('ap');
    const { ap } = await A.wifi();
    await phone.join(ap.ssid, ap.passphrase);
    const assoc = await phone.waitAssociated();
    assert(
      assoc.key_mgmt === 'WPA2-PSK' && assoc.pairwise_cipher === 'CCMP',
      `phone security ${assoc.key_mgmt}/${assoc.pairwise_cipher}`,
    );
    const ip = await phone.dhcp();
    assert(inRange(ip, '192.168.4', 2, 20), `lease ${ip} outside A's range`);
    const mac = (await inNs('swp', ['cat', '/sys/class/net/wlan0/address'])).trim();
    const status = await waitFor("A's connection LED", 20_000, async () => {
      const s = await A.status();
      return s.leds.connection === 'on' && s.associations.some((x) => x.mac === mac) ? s : undefined;
    });
    assert(status.associations.length === 1, `A counts ${status.associations.length} associations`);
    const cli = await A.cliStatus();
    assert(cli.associations.length === 1 && cli.associations[0]?.mac === mac, 'smallworld status disagrees');
    assert((await A.hostapd(['list_sta'])).includes(mac), 'hostapd does not list the phone');
    await phone.leave();
    await waitFor("A's LED to go off after the phone left", 30_000, async () => {
      const s = await A.status();
      return s.leds.connection === 'off' && s.associations.length === 0;
    });
  });

  await scenario('wps-device-to-device', async () => {
    await A.ensureMode('ap');
    await B.ensureMode('client');
    const bMac = (await inNs('swb', ['cat', '/sys/class/net/wlan0/address'])).trim();
    const started = Date.now();
    const [a, b] = await Promise.all([A.press('wps'), B.press('wps')]);
    assert(a.leds.connection === 'blink' && b.leds.connection === 'blink', 'both LEDs should blink during the search');
    await waitFor('B to associate by WPS', 90_000, async () => {
      const s = keyValues(await B.wpa(['status']));
      return s.wpa_state === 'COMPLETED' && s.key_mgmt === 'WPA2-PSK' && s.pairwise_cipher === 'CCMP';
    });
    const [sa, sb] = await waitFor('both LEDs steady', 30_000, async () => {
      const [x, y] = await Promise.all([A.status(), B.status()]);
      return x.leds.connection === 'on' && y.leds.connection === 'on' && x.associations.some((s) => s.mac === bMac)
        ? [x, y]
        : undefined;
    });
    figures.wpsPairingSeconds = (Date.now() - started) / 1000;
    assert(sa.lastWps?.outcome === 'success' && sb.lastWps?.outcome === 'success', 'lastWps should be success on both');
    // The status answers as soon as the association is counted; the key's removal is an effect that
    // follows it (a file rewrite, ~100 ms under emulation), so wait for it, briefly.
    let psk = '';
    await waitFor('A to forget the WPS key it gave B', 10_000, async () => {
      psk = readFileSync(join(A.data, 'hostapd.psk'), 'utf8');
      return !psk.toLowerCase().includes(bMac);
    }).catch(() => assert(false, `A still holds a WPS key for B: ${psk}`));
    // Connect once: the key is gone from disk, but this connection is not cut.
    await new Promise((r) => setTimeout(r, 5_000));
    assert(
      keyValues(await B.wpa(['status'])).wpa_state === 'COMPLETED',
      'B was disconnected when its key was forgotten',
    );
  });

  await scenario('wps-cancel-both-roles', async () => {
    for (const [device, mode] of [
      [A, 'ap'],
      [B, 'client'],
    ] as const) {
      await device.ensureMode(mode);
      const started = await device.press('wps');
      assert(started.wps === 'active' && started.leds.connection === 'blink', `${device.name}: search did not start`);
      const cancelled = await device.press('wps');
      assert(
        cancelled.wps === 'idle' && cancelled.leds.connection !== 'blink',
        `${device.name}: still blinking after cancel`,
      );
      if (mode === 'ap') {
        const wps = await device.hostapd(['wps_get_status']);
        assert(/PBC Status: (Disabled|Timed-out)/.test(wps), `hostapd PBC still active: ${wps}`);
      }
    }
  });

  await scenario('wps-overlap-ends-blinking', async () => {
    await B.ensureMode('client');
    await A.ensureMode('ap');
    await phone2.enrollee();
    await A.press('wps');
    await Promise.all([B.press('wps'), phone2.wpa(['wps_pbc'])]);
    const s = await waitFor('the search to end', 150_000, async () => {
      const x = await A.status();
      return x.wps === 'idle' ? x : undefined;
    });
    assert(s.leds.connection !== 'blink', 'A still blinks');
    log(`overlap outcome on A: ${s.lastWps?.outcome}`);
    await phone2.leave();
    const b = await B.status();
    if (b.wps === 'active') await B.press('wps');
  });

  await scenario('client-joins-known-network-and-rejoins', async () => {
    await A.ensureMode('client');
    await B.ensureMode('ap');
    const { ap } = await B.wifi();
    assert(A.client, 'A not running');
    await A.client.request('wifi.networks.add', { ssid: ap.ssid, passphrase: ap.passphrase });
    await waitFor(
      'A to join B by itself',
      90_000,
      async () => keyValues(await A.wpa(['status'])).wpa_state === 'COMPLETED',
    );
    await waitFor("A's status to show the association", 20_000, async () =>
      (await A.status()).associations.some((x) => x.via === 'station'),
    );
    await B.press('ap');
    await waitFor('A to lose B', 60_000, async () => (await A.status()).associations.length === 0);
    await B.press('ap');
    await waitFor(
      'A to rejoin after B restarted its AP',
      120_000,
      async () => keyValues(await A.wpa(['status'])).wpa_state === 'COMPLETED',
    );
    const s = await waitFor("A's LED", 20_000, async () => {
      const x = await A.status();
      return x.leds.connection === 'on' ? x : undefined;
    });
    assert(s.associations.length === 1, `A counts ${s.associations.length}`);
    await A.client.request('wifi.networks.remove', { ssid: ap.ssid });
    await B.ensureMode('client');
  });

  await scenario('crash-recovery-in-ap-mode', async () => {
    await A.ensureMode('ap');
    const { ap } = await A.wifi();
    await phone.join(ap.ssid, ap.passphrase);
    await phone.waitAssociated();
    await waitFor('A to count the phone', 20_000, async () => (await A.status()).associations.length === 1);
    await A.kill('SIGKILL');
    await A.start();
    const s = await waitFor('A back in AP mode with the phone counted once', 120_000, async () => {
      const x = await A.status();
      return x.mode === 'ap' && x.daemons.ap.state === 'up' && x.associations.length === 1 ? x : undefined;
    });
    assert(s.leds.ap === 'on' && s.leds.connection === 'on', `LEDs after restart: ${JSON.stringify(s.leds)}`);
    const listed = (await A.hostapd(['list_sta'])).split('\n').filter((l) => /^[0-9a-f:]{17}$/.test(l.trim()));
    assert(listed.length === 1, `hostapd lists ${listed.length} stations`);
    // The killed daemon's children must not outlive it beside the new ones (a second dnsmasq answering DHCP).
    for (const program of ['hostapd', 'dnsmasq']) {
      const pids = processesOf(program, `${A.data}/`);
      assert(pids.length === 1, `${pids.length} ${program} processes of A after the restart: ${pids.join(', ')}`);
    }
    // Another join and leave must move the count by exactly one each: no doubled event listeners.
    await phone.leave();
    await waitFor('count back to 0', 30_000, async () => (await A.status()).associations.length === 0);
  });

  await scenario('daemons-vanish-and-return', async () => {
    await A.ensureMode('ap');
    const pid = Number(readFileSync(join(A.data, 'run', 'hostapd.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor('A to report hostapd down', 30_000, async () => (await A.status()).daemons.ap.state === 'down');
    const down = await A.status();
    assert(down.daemons.ap.reason && down.daemons.ap.reason.length > 0, 'no reason given');
    await waitFor('hostapd to come back', 60_000, async () => (await A.status()).daemons.ap.state === 'up');
    const wpaPid = Number(readFileSync(join(B.data, 'run', 'wpa_supplicant.pid'), 'utf8'));
    process.kill(wpaPid, 'SIGKILL');
    await waitFor(
      'B to report wpa_supplicant down',
      30_000,
      async () => (await B.status()).daemons.station.state === 'down',
    );
    await waitFor('wpa_supplicant to come back', 60_000, async () => (await B.status()).daemons.station.state === 'up');
    assert(A.daemon?.exitCode === null && B.daemon?.exitCode === null, 'a Smallworld daemon died');
  });

  await scenario('usb-ethernet', async () => {
    // dummy_hcd is a USB host controller in software; g_ether on it is the device side (usb0, as on a
    // Pi Zero), and cdc_ether binds the host side (the laptop's interface, usb1).
    for (const module of ['dummy_hcd', 'g_ether', 'cdc_ether']) await sh(['modprobe', module]);
    await waitFor(
      'usb0 and usb1',
      30_000,
      async () => existsSync('/sys/class/net/usb0') && existsSync('/sys/class/net/usb1'),
    );
    if (!existsSync('/run/netns/swl')) await sh(['ip', 'netns', 'add', 'swl']);
    // The laptop's interface is up before the device's, as when a laptop meets a Pi that is still booting.
    // The other order loses the gadget's "connected" notification now and then under dummy_hcd (4 of 22
    // trials in lab/radio/NOTES.md; 0 of 17 in this order): usb1 then never gets carrier.
    await sh(['ip', 'link', 'set', 'usb1', 'netns', 'swl']);
    await inNs('swl', ['ip', 'link', 'set', 'lo', 'up']);
    await inNs('swl', ['ip', 'link', 'set', 'usb1', 'up']);
    // Both up within milliseconds is the failing case too: give the host driver time to start polling.
    await new Promise((r) => setTimeout(r, 2_000));
    await sh(['ip', 'link', 'set', 'usb0', 'netns', 'swa']);
    await waitFor('A to address its USB interface', 30_000, async () =>
      (await inNs('swa', ['ip', '-j', 'addr', 'show', 'dev', 'usb0'])).includes('"192.168.6.1"'),
    );
    const laptop = new Phone('swl');
    mkdirSync(laptop.ctrlDir, { recursive: true });
    const carrier = async (ns: string, dev: string) =>
      (await inNs(ns, ['cat', `/sys/class/net/${dev}/carrier`]).catch(() => '?')).trim();
    // Should the notification still be lost, the gadget side going down and up sends it again (what
    // replugging the cable does); counted in the figures, so it does not go unseen.
    const linkUp = () =>
      waitFor('carrier on the laptop side (usb1)', 20_000, async () => (await carrier('swl', 'usb1')) === '1').then(
        () => true,
        () => false,
      );
    const ends = async () =>
      `usb0 carrier=${await carrier('swa', 'usb0')}, usb1 carrier=${await carrier('swl', 'usb1')}`;
    figures.usbReplugs = 0;
    if (!(await linkUp())) {
      log(`usb: no carrier on usb1 (${await ends()}); replugging`);
      figures.usbReplugs = 1;
      await inNs('swa', ['ip', 'link', 'set', 'usb0', 'down']);
      await inNs('swa', ['ip', 'link', 'set', 'usb0', 'up']);
      assert(await linkUp(), `no carrier on usb1 after a replug either: ${await ends()}`);
    }
    // A laptop's DHCP client keeps asking; under TCG on a loaded host the gadget link can take a while.
    let ip = '';
    for (let attempt = 1; !ip; attempt++) {
      try {
        ip = await laptop.dhcp('usb1');
      } catch (error) {
        if (attempt >= 3) {
          const state = await Promise.all([
            inNs('swa', ['ip', '-br', 'addr']).catch((e: Error) => e.message),
            inNs('swl', ['ip', '-br', 'addr']).catch((e: Error) => e.message),
            inNs('swa', ['ss', '-lunp']).catch((e: Error) => e.message),
          ]);
          throw new Error(`${(error as Error).message}\n${state.join('\n')}`);
        }
        log(`usb: no lease on attempt ${attempt}, asking again`);
      }
    }
    assert(inRange(ip, '192.168.6', 2, 20), `laptop lease ${ip} outside the USB range`);
    await inNs('swl', ['busybox', 'ping', '-c', '2', '-W', '3', '192.168.6.1'], 20_000);
  });

  await scenario('wps-pairing-timing', async () => {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      await A.ensureMode('ap');
      await B.ensureMode('client');
      // Through AP mode and back: a fresh wpa_supplicant has forgotten the last WPS credential.
      await B.ensureMode('ap');
      await B.ensureMode('client');
      await waitFor('B idle', 30_000, async () => (await B.status()).associations.length === 0);
      const started = Date.now();
      await Promise.all([A.press('wps'), B.press('wps')]);
      await waitFor('B associated', 90_000, async () => keyValues(await B.wpa(['status'])).wpa_state === 'COMPLETED');
      runs.push((Date.now() - started) / 1000);
    }
    runs.sort((x, y) => x - y);
    figures.wpsPressToAssociationSeconds = { runs, median: runs[1] };
    log(`press-to-association: ${runs.map((r) => r.toFixed(1)).join(', ')} s`);
  });

  // Whatever a failed scenario left running goes now, so the process (and the VM) can end.
  for (const p of [phone, phone2]) await p.leave();
  await A.kill('SIGTERM');
  await B.kill('SIGTERM');
  writeFileSync(join(OUT, 'figures.json'), JSON.stringify(figures, null, 2));
  results.finish(OUT);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(`lab error: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
