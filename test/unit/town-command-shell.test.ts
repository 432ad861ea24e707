// The town lab's long-lived command interpreter, driven with a stand-in dialect: a shell that reads commands
// from stdin, so the pipelining, error attribution and restarts are checked without namespaces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandShell, type ShellDialect } from '../../lab/town/command-shell.js';

// `sh -s` runs each line it reads; `echo MARK` marks a group's end, anything else printed is an error.
const dialect: ShellDialect = {
  argv: ['/bin/sh', '-s'],
  marker: 'echo MARK',
  isMarker: (line) => line === 'MARK',
  isError: () => true,
};

test('command shell: groups run in order in one process, each failing alone with its own messages', async () => {
  const shell = new CommandShell(dialect, 'sh');
  try {
    const groups = [
      shell.run(['true', 'true']),
      shell.run(['echo first failure >&2', 'true']),
      shell.run([':']),
      shell.run(['echo second failure']),
    ];
    const outcomes = await Promise.allSettled(groups);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /sh: first failure \(in: echo first failure/);
    assert.match(String((outcomes[3] as PromiseRejectedResult).reason), /second failure/);
    const pid = shell.pid;
    await shell.run(['true']);
    assert.equal(shell.pid, pid, 'one interpreter for every group');
  } finally {
    await shell.close();
  }
});

test('command shell: a command spanning lines is refused; a dead interpreter fails its groups, the next starts anew', async () => {
  const shell = new CommandShell(dialect, 'sh');
  try {
    await assert.rejects(shell.run(['true\necho injected']), /spans lines/);
    const first = shell.pid;
    await assert.rejects(shell.run(['exit 3']), /the interpreter exited \(3\)/);
    await shell.run(['true']);
    assert.notEqual(shell.pid, first);
  } finally {
    await shell.close();
  }
});

test('command shell: a group with no answer times out and the interpreter is replaced', async () => {
  const shell = new CommandShell(dialect, 'sh', 300);
  try {
    await assert.rejects(shell.run(['sleep 1']), /no answer within 300 ms/);
    await shell.run(['true']);
  } finally {
    await shell.close();
  }
});
