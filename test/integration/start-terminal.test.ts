// `smallworld start --sim`, as `npm start` runs it, in a terminal (a pseudo-terminal made by util-linux's
// `script`): the setup code and the page's address are readable text, not fields of a JSON line; the same
// command with its output in a pipe still writes JSON lines.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { CLI, freePort, removeDir, tempDir, until } from '../helpers/daemon.js';
import { processTree } from '../helpers/proc.js';

const started: ChildProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const child of started) await stop(child);
  for (const dir of dirs) await removeDir(dir);
});

/** Stops the daemon under `script` (and so `script`): SIGTERM to each process of the tree, by pid. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const pid of processTree(child.pid).reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startDevice(onTerminal: boolean): Promise<{ output: () => string; dataDir: string }> {
  const dataDir = await tempDir('sw-tty-');
  dirs.push(dataDir);
  const port = String(await freePort());
  const env = { ...process.env, SMALLWORLD_LOG_FORMAT: '' };
  // `script` runs its command through a shell: the values reach it as environment variables, never as text.
  const child = onTerminal
    ? spawn(
        'script',
        [
          '-qefc',
          'exec "$SW_NODE" "$SW_CLI" start --sim --data "$SW_DATA" --web-host 127.0.0.1 --web-port "$SW_PORT" --ssb-port 0',
          '/dev/null',
        ],
        {
          env: {
            ...env,
            SHELL: '/bin/sh',
            TERM: 'xterm',
            SW_NODE: process.execPath,
            SW_CLI: CLI,
            SW_DATA: dataDir,
            SW_PORT: port,
          },
        },
      )
    : spawn(
        process.execPath,
        [CLI, 'start', '--sim', '--data', dataDir, '--web-host', '127.0.0.1', '--web-port', port, '--ssb-port', '0'],
        { env },
      );
  started.push(child);
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { output: () => out, dataDir };
}

// Colours and the terminal's carriage returns off, to read the text as a person sees it.
const plain = (text: string) => stripVTControlCharacters(text).replace(/\r/g, '');

test('in a terminal, npm start shows the setup code and the page address as readable text', {
  timeout: 60_000,
}, async () => {
  const device = await startDevice(true);
  const text = await until(
    () => {
      const shown = plain(device.output());
      return /▶ setup code .+\n/.test(shown) && shown;
    },
    45_000,
    'the setup code on the terminal',
  );
  const code = (await readFile(join(device.dataDir, 'peer', 'web-setup-code'), 'utf8')).trim();
  const lines = text.split('\n');
  const codeLine = lines.find((l) => l.includes('▶ setup code'));
  assert.equal(codeLine?.trim(), `▶ setup code ${code}`, 'the code on a line of its own');
  const pageLine = lines.find((l) => l.includes('▶ open') && l.includes('/setup'));
  assert.match(pageLine ?? '', /▶ open +http:\/\/127\.0\.0\.1:\d+\/setup$/);
  const logLines = lines.filter((l) => /^\[\d\d:\d\d:\d\d\] (DEBUG|INFO|WARN|ERROR):/.test(l));
  assert.ok(logLines.length >= 2, text);
  assert.ok(!lines.some((l) => l.trimStart().startsWith('{"')), `no JSON lines on a terminal:\n${text}`);
});

test('not in a terminal, the same command writes JSON lines with the setup code as a field', {
  timeout: 60_000,
}, async () => {
  const device = await startDevice(false);
  const record = await until(
    () => {
      const line = device
        .output()
        .split('\n')
        .find((l) => l.includes('"setupCode"'));
      return line ? (JSON.parse(line) as { setupCode: string; url: string; level: string; ts: string }) : undefined;
    },
    45_000,
    'the setup code line',
  );
  const code = (await readFile(join(device.dataDir, 'peer', 'web-setup-code'), 'utf8')).trim();
  assert.equal(record.setupCode, code);
  assert.match(record.url, /^http:\/\/127\.0\.0\.1:\d+\/setup$/);
  assert.equal(record.level, 'warn');
  for (const line of device.output().split('\n').filter(Boolean)) JSON.parse(line);
});
