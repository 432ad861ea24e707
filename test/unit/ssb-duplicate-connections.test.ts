import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type SecretStack from 'secret-stack';
import { silentLogger as silentPeerLogger } from '../../src/log/logger.js';
import { watchDuplicateConnections } from '../../src/ssb/duplicate-connections.js';

const LOW = `@${Buffer.alloc(32, 1).toString('base64')}.ed25519`;
const HIGH = `@${Buffer.alloc(32, 200).toString('base64')}.ed25519`;

class FakeRpc extends EventEmitter {
  closed = false;
  constructor(
    readonly id: string,
    readonly stream: { address?: string },
  ) {
    super();
  }
  close(_force: boolean, cb: () => void) {
    this.closed = true;
    this.emit('closed');
    cb();
  }
}

function setup(self: string) {
  const connect = new EventEmitter();
  const dialed: string[] = [];
  const heldOff: string[] = [];
  const watcher = watchDuplicateConnections({
    self,
    onRpcConnect(listener) {
      connect.on('rpc', listener);
      return () => connect.off('rpc', listener);
    },
    dial: (address) => dialed.push(address),
    peerWillRedial: (key) => heldOff.push(key),
    logger: silentPeerLogger,
    random: () => 0,
  });
  const open = (id: string, isClient: boolean, address: string) => {
    const rpc = new FakeRpc(id, { address });
    connect.emit('rpc', rpc as unknown as SecretStack.Rpc, isClient);
    return rpc;
  };
  return { watcher, dialed, heldOff, open };
}

describe('watchDuplicateConnections', () => {
  it('the smaller id closes both connections and dials once more', async () => {
    const { watcher, dialed, heldOff, open } = setup(LOW);
    const out = open(HIGH, true, 'net:10.0.0.2:8008~shs:x');
    const inbound = open(HIGH, false, 'net:10.0.0.2:51234~shs:x');
    assert.ok(out.closed && inbound.closed);
    assert.deepEqual(heldOff, []);
    assert.equal(watcher.resolved(), 1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.deepEqual(dialed, ['net:10.0.0.2:8008~shs:x']);
    watcher.stop();
  });

  it('the larger id leaves it to the other side, and holds off dialling it', () => {
    const { watcher, dialed, heldOff, open } = setup(HIGH);
    const out = open(LOW, true, 'net:10.0.0.1:8008~shs:y');
    assert.deepEqual(heldOff, []);
    const inbound = open(LOW, false, 'net:10.0.0.1:40000~shs:y');
    assert.ok(!out.closed && !inbound.closed);
    assert.equal(watcher.resolved(), 0);
    assert.deepEqual(dialed, []);
    assert.deepEqual(heldOff, [LOW]);
    watcher.stop();
  });

  it('a connection that replaces a closed one is not a duplicate', () => {
    const { watcher, open } = setup(LOW);
    const first = open(HIGH, true, 'net:10.0.0.2:8008~shs:x');
    first.close(true, () => {});
    const second = open(HIGH, true, 'net:10.0.0.2:8008~shs:x');
    assert.ok(!second.closed);
    assert.equal(watcher.resolved(), 0);
    watcher.stop();
  });
});
