// Interface addresses, through iproute2 with argv arrays and its JSON output (`ip -j`), never a shell.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const IP = '/usr/sbin/ip';

interface IpAddrInfo {
  ifname: string;
  operstate?: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

export async function interfaceExists(name: string): Promise<boolean> {
  try {
    await run(IP, ['-j', 'link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

export async function addressesOf(name: string): Promise<string[]> {
  const { stdout } = await run(IP, ['-j', 'addr', 'show', 'dev', name]);
  const parsed = JSON.parse(stdout) as IpAddrInfo[];
  return parsed.flatMap((i) =>
    (i.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  );
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

export async function removeAddress(name: string, cidr: string): Promise<void> {
  if (!(await interfaceExists(name))) return;
  if ((await addressesOf(name)).includes(cidr)) await run(IP, ['addr', 'del', cidr, 'dev', name]);
}
