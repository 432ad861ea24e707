// Interface addresses, through iproute2 with argv arrays and its JSON output (`ip -j`), never a shell.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IP = '/usr/sbin/ip';

export async function interfaceExists(name: string): Promise<boolean> {
  try {
    await run(IP, ['-j', 'link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `cidr` the interface's IPv4 address and brings the link up; idempotent (`replace` adds it or leaves
 * it as it is), so no look first: each `ip` costs a process start, seconds on a busy small board, and this
 * lies on the access point's bring-up path.
 */
export async function ensureAddress(name: string, cidr: string): Promise<void> {
  await run(IP, ['addr', 'replace', cidr, 'dev', name]);
  await run(IP, ['link', 'set', 'dev', name, 'up']);
}

/**
 * Sets `cidr` as one of the interface's IPv4 addresses and nothing else: for an interface whose daemon brings
 * the link up itself (hostapd), so this can run while it does.
 */
export async function replaceAddress(name: string, cidr: string): Promise<void> {
  await run(IP, ['addr', 'replace', cidr, 'dev', name]);
}

/**
 * Removes `cidr` from the interface; an interface or address that is not there is already the wanted state.
 * One `ip` (no look first: each is a process start, and this lies on the way back from AP to client mode).
 */
export async function removeAddress(name: string, cidr: string): Promise<void> {
  try {
    await run(IP, ['addr', 'del', cidr, 'dev', name]);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    if (/Cannot assign requested address|Cannot find device|does not exist/i.test(stderr)) return;
    throw error;
  }
}
