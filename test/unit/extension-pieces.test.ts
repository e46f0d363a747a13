// The extension's vscode-free pieces: line splitting of a child's output, argument-object
// validation, number formatting, error-code → message mapping, search-result merging, the
// per-peer state rebuilt from events, and the bridge URL.

import * as assert from 'node:assert/strict';
import {
  ArgumentError,
  addressProblem,
  argumentObject,
  fileNameProblem,
  parseDownloadArgs,
  parseJoinArgs,
  parseSearchArgs,
  parseStartMetaserverArgs,
  peerIdProblem,
  portProblem,
} from '../../extension/src/commands/commandArgs';
import { describeEarlyExit, describeNodeError, isStackLine, NodeError } from '../../extension/src/nodes/errorMessages';
import { LineSplitter, MAX_LINE_CHARS } from '../../extension/src/nodes/lineSplitter';
import { trustedRejoin } from '../../extension/src/nodes/metaserverKeyRefusal';
import { topologyApiUrl } from '../../extension/src/nodes/metaserverTopology';
import { metaserverArgs, peerArgs, keyEnvironment, pinPorts } from '../../extension/src/nodes/nodeArgs';
import { parseCli } from '@node-core/cli/args';
import { PeerState } from '../../extension/src/nodes/peerState';
import { mergeSearchResult, SearchResults, type NetworkFile } from '../../extension/src/search/searchResults';
import { formatBytes, percentOf, plural } from '../../extension/src/util/format';

describe('extension LineSplitter', () => {
  it('reassembles lines cut anywhere, including inside a UTF-8 character', () => {
    const splitter = new LineSplitter();
    const bytes = Buffer.from('{"a":"é"}\r\n{"b":2}\npartial', 'utf8');
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...splitter.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(lines, ['{"a":"é"}', '{"b":2}']);
    assert.deepEqual(splitter.end(), ['partial']);
    assert.deepEqual(splitter.end(), []);
  });

  it('cuts a runaway line instead of growing without bound', () => {
    const splitter = new LineSplitter();
    const out = splitter.push('x'.repeat(MAX_LINE_CHARS + 10));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.length, MAX_LINE_CHARS);
  });
});

describe('extension argument objects', () => {
  it('accepts a complete join object and normalises the mode', () => {
    const args = parseJoinArgs({ id: 's1', metaserver: '127.0.0.1:5000', dir: '/abs/dir', mode: 'FLOOD', port: 0 });
    assert.deepEqual(
      { id: args.id, metaserver: args.metaserver, dir: args.dir, mode: args.mode, port: args.port },
      { id: 's1', metaserver: '127.0.0.1:5000', dir: '/abs/dir', mode: 'flood', port: 0 },
    );
  });

  it('refuses wrong fields with a message naming the field', () => {
    assert.throws(() => parseJoinArgs({ id: 'a b' }), ArgumentError);
    assert.throws(() => parseJoinArgs({ id: 's1', dir: 'relative' }), /"dir" must be an absolute path/);
    assert.throws(() => parseJoinArgs({ id: 's1', mode: 'mesh' }), /"mode" must be "flood" or "chord"/);
    assert.throws(() => parseJoinArgs({ id: 's1', metaserver: 'localhost' }), /"metaserver": Use host:port/);
    assert.throws(() => parseJoinArgs({ id: 7 }), /"id" must be a string/);
    assert.throws(() => parseStartMetaserverArgs({ port: 70000 }), /"port" must be an integer from 0 to 65535/);
    assert.throws(() => parseStartMetaserverArgs({ port: '5000' }), /"port"/);
    assert.throws(() => parseDownloadArgs({ name: '../etc/passwd' }), /"name"/);
    assert.throws(() => parseSearchArgs({ name: '  ' }), /must not be empty/);
  });

  it('takes LAN discovery arguments: metaserver "auto", announce, a network name without icons', () => {
    assert.equal(parseJoinArgs({ id: 's1', metaserver: 'auto' }).metaserver, 'auto');
    assert.deepEqual(
      (({ announce, networkName }) => ({ announce, networkName }))(
        parseStartMetaserverArgs({ announce: true, networkName: 'Lab 2' }),
      ),
      { announce: true, networkName: 'Lab 2' },
    );
    assert.throws(() => parseStartMetaserverArgs({ announce: 'yes' }), /"announce" must be true or false/);
    assert.throws(() => parseStartMetaserverArgs({ networkName: '$(verified) Lab' }), /"networkName"/);
  });

  it('tells argument objects from tree elements and Uris', () => {
    assert.ok(argumentObject({ id: 's1' }));
    assert.equal(argumentObject({ kind: 'peer', node: {} }), undefined);
    assert.equal(argumentObject({ scheme: 'file', path: '/x' }), undefined);
    assert.equal(argumentObject(['a']), undefined);
    assert.equal(argumentObject(undefined), undefined);
  });

  it('validates what the input boxes take', () => {
    assert.equal(peerIdProblem('peer-1'), undefined);
    assert.match(peerIdProblem('')!, /empty/);
    assert.equal(addressProblem('127.0.0.1:5000'), undefined);
    assert.match(addressProblem('127.0.0.1:0')!, /between 1 and 65535/);
    assert.equal(portProblem('0'), undefined);
    assert.ok(portProblem('-1'));
    assert.equal(fileNameProblem('f1.txt'), undefined);
    assert.ok(fileNameProblem('a/b'));
    assert.ok(fileNameProblem('..'));
  });
});

describe('extension command lines', () => {
  it('builds metaserver and peer arguments, never with the key', () => {
    assert.deepEqual(metaserverArgs({ host: '127.0.0.1', port: 0, httpPort: 0 }), [
      'metaserver',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--http-port',
      '0',
    ]);
    const args = peerArgs({
      id: 's1',
      metaserver: '127.0.0.1:5000',
      mode: 'flood',
      dir: '/d',
      maxNeighbors: 3,
      ttl: 5,
    });
    assert.deepEqual(args, [
      'peer',
      '--id',
      's1',
      '--mode',
      'flood',
      '--dir',
      '/d',
      '--metaserver',
      '127.0.0.1:5000',
      '--port',
      '0',
      '--max-neighbors',
      '3',
      '--ttl',
      '5',
    ]);
    assert.ok(!peerArgs({ id: 'c', join: 'h:1', mode: 'chord', dir: '/d', ttl: 5 }).includes('--ttl'));
    // the upload cap setting, in both modes, is a command line the CLI reads back as bytes per second
    for (const mode of ['flood', 'chord'] as const) {
      const capped = peerArgs({ id: 'u', join: 'h:1', mode, dir: '/d', maxUploadMiBPerSecond: 1.5 });
      assert.deepEqual(capped.slice(capped.indexOf('--max-upload'), capped.indexOf('--max-upload') + 2), [
        '--max-upload',
        '1.5M',
      ]);
      const parsed = parseCli(capped, {});
      assert.ok(parsed.command === 'peer' && parsed.maxUploadBytesPerSecond === 1.5 * 1024 * 1024);
    }
    assert.ok(!peerArgs({ id: 'n', join: 'h:1', mode: 'flood', dir: '/d' }).includes('--max-upload'));
    // behind NAT: relayed and punching, as the CLI reads them back
    const nat = parseCli(
      peerArgs({ id: 'r', metaserver: 'h:1', mode: 'flood', dir: '/d', allowRelay: true, punch: true }),
      {},
    );
    assert.ok(nat.command === 'peer' && nat.allowRelay === true && nat.punch === true);
    const plain = parseCli(peerArgs({ id: 'p', metaserver: 'h:1', mode: 'flood', dir: '/d' }), {});
    assert.ok(plain.command === 'peer' && plain.allowRelay === false && plain.punch === false);
    // LAN discovery: the flags the CLI reads back
    const announced = parseCli(
      metaserverArgs({ host: '127.0.0.1', port: 0, announce: true, networkName: 'Lab 2' }),
      {},
    );
    assert.ok(announced.command === 'metaserver' && announced.announce && announced.networkName === 'Lab 2');
    const quiet = parseCli(metaserverArgs({ host: '127.0.0.1', port: 0, announce: false }), {});
    assert.ok(quiet.command === 'metaserver' && !quiet.announce);
    // the metaserver's key kept across starts, and a peer that must find that key there
    const kept = parseCli(metaserverArgs({ host: '127.0.0.1', port: 0, identityDir: '/state/metaserver' }), {});
    assert.ok(kept.command === 'metaserver' && kept.identityDir === '/state/metaserver' && kept.dir === undefined);
    const fp = 'ab'.repeat(32);
    const pinned = parseCli(
      peerArgs({ id: 'p', metaserver: 'h:1', metaserverFingerprint: fp, mode: 'flood', dir: '/d' }),
      {},
    );
    assert.ok(pinned.command === 'peer');
    assert.deepEqual(pinned.metaserverKey, { fingerprint: fp, source: '--metaserver-fp', overridesPin: true });
    const joined = peerArgs({ id: 'p', join: 'h:2', metaserverFingerprint: fp, mode: 'flood', dir: '/d' });
    assert.ok(!joined.includes('--metaserver-fp'), 'no metaserver to pin with --join');
    const auto = parseCli(
      peerArgs({ id: 'a', metaserver: 'auto', mode: 'flood', dir: '/d', discoverInterfaces: ['127.0.0.1'] }),
      {},
    );
    assert.ok(auto.command === 'peer');
    assert.deepEqual(auto.discover, { durationMs: 3000, interfaces: ['127.0.0.1'] });
    assert.ok(
      !peerArgs({ id: 'b', metaserver: 'h:1', mode: 'flood', dir: '/d', discoverInterfaces: ['x'] }).includes('x'),
    );
    // bind and advertised host (settings p2p.peer.host / p2p.peer.advertise), read back by the CLI
    const exposed = peerArgs({
      id: 'x',
      join: 'h:1',
      mode: 'flood',
      dir: '/d',
      host: '0.0.0.0',
      advertise: '192.168.1.20',
    });
    const parsedExposed = parseCli(exposed, {});
    assert.ok(
      parsedExposed.command === 'peer' &&
        parsedExposed.host === '0.0.0.0' &&
        parsedExposed.advertise === '192.168.1.20',
    );
    assert.ok(!peerArgs({ id: 'n', join: 'h:1', mode: 'flood', dir: '/d' }).includes('--advertise'));
    assert.deepEqual(keyEnvironment('k'), { P2P_NETWORK_KEY: 'k' });
    assert.deepEqual(keyEnvironment(undefined), {});
  });
});

describe('extension formatting', () => {
  it('formats sizes and percentages', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(10 * 2 ** 20), '10 MiB');
    assert.equal(formatBytes(123.4 * 2 ** 30), '123 GiB');
    assert.equal(formatBytes(-1), '? B');
    assert.equal(percentOf(50, 200), 25);
    assert.equal(percentOf(5, 0), 0);
    assert.equal(percentOf(300, 200), 100);
    assert.equal(plural(1, 'peer'), '1 peer');
    assert.equal(plural(2, 'peer'), '2 peers');
  });
});

describe('extension error messages', () => {
  const subject = { node: 'peer s1', port: 5000, metaserver: '127.0.0.1:5000', name: 'f1.txt' };

  it('maps each node error code to a sentence with a next step', () => {
    const codes = [
      'PORT_IN_USE',
      'DUPLICATE_ID',
      'METASERVER_UNREACHABLE',
      'AUTH_FAILED',
      'NETWORK_FULL',
      'BAD_FLAG',
      'NOT_FOUND',
      'FILE_EXISTS',
      'VERIFY_FAILED',
      'DOWNLOAD_FAILED',
      'NO_SPACE',
      'CANCELLED',
      'EMPTY_ID',
      'BAD_NAME',
      'NOT_SHARED',
      'KEY_CHANGED',
      'NOT_TRUSTED',
      'ID_MISMATCH',
      'HANDSHAKE_FAILED',
      'PEER_UNREACHABLE',
      'PROTOCOL',
      'INTERNAL',
      'SOMETHING_NEW',
    ];
    for (const code of codes) {
      const described = describeNodeError(code, 'Error: boom\n    at x (y.js:1:1)', subject);
      assert.ok(described.message.length > 20, code);
      assert.doesNotMatch(described.message, /\bat x \(/, `${code} leaks a stack`);
    }
    assert.match(
      describeNodeError('PORT_IN_USE', '', subject).message,
      /port 5000 is already in use.*Pick another port/,
    );
    assert.match(describeNodeError('METASERVER_UNREACHABLE', '', subject).message, /127\.0\.0\.1:5000.*Start it/);
    assert.equal(describeNodeError('METASERVER_UNREACHABLE', '', subject).action, 'startMetaserver');
    assert.equal(describeNodeError('AUTH_FAILED', '', subject).action, 'setNetworkKey');
    assert.equal(describeNodeError('SOMETHING_NEW', 'x', subject).code, 'INTERNAL');
    assert.match(
      describeNodeError('DISCOVERY_FAILED', '2 P2P networks answered on the LAN: ...', subject).message,
      /found no single network on the LAN: 2 P2P networks answered.*address of its metadata server/,
    );
    const metaserverKey = describeNodeError(
      'KEY_CHANGED',
      `the metaserver at 127.0.0.1:5000 presented key ${'a'.repeat(64)}, but it is known with key ${'b'.repeat(64)}`,
      subject,
    );
    assert.match(metaserverKey.message, /^Peer s1 refused its metadata server: the metaserver at 127\.0\.0\.1:5000/);
    assert.match(metaserverKey.message, /Trust New Key.*known-peers\.json/);
  });

  it('explains an early exit with the last meaningful stderr line', () => {
    const described = describeEarlyExit(subject, 1, null, [
      'Error: listen EADDRINUSE',
      '    at Server.listen (node:net:1:1)',
      '    ^^^',
    ]);
    assert.equal(described.message, 'Peer s1 exited with code 1: Error: listen EADDRINUSE.');
    assert.ok(isStackLine('    at foo (bar.js:1:2)'));
    assert.ok(!isStackLine('peer s1 ready'));
  });
});

describe("extension: a peer refused at its start by its metaserver's new key", () => {
  const [oldKey, newKey] = ['a'.repeat(64), 'b'.repeat(64)];
  const address = '127.0.0.1:5000';
  const options = { id: 's1', metaserver: address, mode: 'flood' as const, dir: '/d' };
  const keyChange = {
    id: `metaserver/${address}`,
    oldFingerprint: oldKey,
    newFingerprint: newKey,
    metaserver: address,
  };
  const refused = (change: typeof keyChange | undefined, code = 'KEY_CHANGED'): NodeError =>
    new NodeError(
      describeNodeError(code, `the metaserver at ${address} presented key ${newKey}`, { node: 's1' }),
      'peer:s1',
      change,
    );

  it('is started again with the new key required up front (--metaserver-fp replaces the pin)', () => {
    const rejoin = trustedRejoin(refused(keyChange), options);
    assert.deepEqual(rejoin, {
      change: { event: 'key-changed', ...keyChange },
      options: { ...options, metaserverFingerprint: newKey },
    });
    assert.deepEqual(peerArgs(rejoin.options).slice(-6, -2), ['--metaserver', address, '--metaserver-fp', newKey]);
  });

  it('is offered nothing for another failure, a key it was already told, a --join peer, or a malformed key', () => {
    assert.equal(trustedRejoin(refused(undefined), options), undefined, 'a key change without both keys');
    assert.equal(trustedRejoin(refused(keyChange, 'NOT_TRUSTED'), options), undefined);
    assert.equal(trustedRejoin(new Error('KEY_CHANGED'), options), undefined);
    assert.equal(trustedRejoin(refused({ ...keyChange, metaserver: undefined } as never), options), undefined);
    assert.equal(
      trustedRejoin(refused(keyChange), { ...options, metaserverFingerprint: newKey.toUpperCase() }),
      undefined,
    );
    assert.equal(
      trustedRejoin(refused(keyChange), { ...options, metaserver: undefined, join: '127.0.0.1:6000' }),
      undefined,
    );
    for (const bad of ['--port', newKey.slice(1), `${newKey} x`, oldKey])
      assert.equal(trustedRejoin(refused({ ...keyChange, newFingerprint: bad }), options), undefined, bad);
  });
});

describe('extension search results and peer state', () => {
  it('merges results of one file version and unions holders', () => {
    const h = (id: string) => ({ id, host: '127.0.0.1', port: 1 });
    let results: NetworkFile[] = [];
    results = mergeSearchResult(
      results,
      { event: 'search-result', name: 'f', size: 3, root: 'r', holders: [h('s2')] },
      's1',
    );
    results = mergeSearchResult(
      results,
      { event: 'search-result', name: 'f', size: 3, root: 'r', holders: [h('s3'), h('s2')] },
      's1',
    );
    results = mergeSearchResult(
      results,
      { event: 'search-result', name: 'f', size: 4, root: 's', holders: [h('s4')] },
      's1',
    );
    assert.equal(results.length, 2);
    assert.deepEqual(
      results[0]!.holders.map((x) => x.id),
      ['s2', 's3'],
    );
  });

  it("keeps earlier searches' results for other names, the latest first; a new search for a name replaces it", () => {
    const file = (name: string, root: string): NetworkFile => ({
      name,
      size: 1,
      root,
      holders: [{ id: 'h', host: '127.0.0.1', port: 1 }],
      foundBy: 's1',
    });
    const results = new SearchResults();
    results.replace('a', [file('a', 'r1')]);
    results.replace('b', [file('b', 'r2')]);
    assert.deepEqual(
      results.files.map((f) => [f.name, f.root]),
      [
        ['b', 'r2'],
        ['a', 'r1'],
      ],
    );
    results.replace('a', [file('a', 'r3')]);
    assert.deepEqual(
      results.files.map((f) => [f.name, f.root]),
      [
        ['a', 'r3'],
        ['b', 'r2'],
      ],
    );
    for (let n = 0; n < 300; n++) results.replace(`n${n}`, [file(`n${n}`, 'r')]);
    assert.equal(results.files.length, 200, 'bounded');
    results.clear();
    assert.deepEqual(results.files, []);
  });

  it('rebuilds neighbours, files and downloads from events', () => {
    const state = new PeerState();
    state.apply({ event: 'neighbor-up', id: 's2', host: 'h', port: 2 });
    state.apply({ event: 'neighbor-up', id: 's3', host: 'h', port: 3 });
    state.apply({ event: 'neighbor-down', id: 's2', host: 'h', port: 2 });
    assert.deepEqual(
      state.neighbors.map((n) => n.id),
      ['s3'],
    );
    state.apply({ event: 'topology', neighbors: [{ id: 's4', host: 'h', port: 4 }] });
    assert.deepEqual(
      state.neighbors.map((n) => n.id),
      ['s4'],
    );
    state.apply({ event: 'shared', name: 'a', size: 1, root: 'r', path: '/a' });
    state.apply({ event: 'download-progress', name: 'b', bytes: 1, total: 2 });
    assert.deepEqual(state.downloads, [{ name: 'b', bytes: 1, total: 2 }]);
    state.apply({
      event: 'download-complete',
      name: 'b',
      path: '/b',
      bytes: 2,
      root: 'z',
      sources: ['s4'],
    });
    assert.deepEqual(state.downloads, []);
    assert.deepEqual(
      state.sharedFiles.map((f) => f.name),
      ['a', 'b'],
    );
    state.apply({ event: 'download-progress', name: 'c', bytes: 1, total: 2 });
    assert.equal(state.apply({ event: 'error', code: 'CANCELLED', message: '', name: 'c' }), true);
    assert.deepEqual(state.downloads, []);
  });

  it('follows the files a peer adds to and removes from its folder', () => {
    const state = new PeerState();
    state.apply({ event: 'files', files: [{ name: 'a', size: 1, root: 'rx' }] });
    assert.equal(state.apply({ event: 'file-added', name: 'b', size: 2, root: 'ry', path: '/d/b' }), true);
    state.apply({ event: 'file-added', name: 'a', size: 3, root: 'rz', path: '/d/a' });
    assert.deepEqual(state.sharedFiles, [
      { name: 'a', size: 3, root: 'rz' },
      { name: 'b', size: 2, root: 'ry' },
    ]);
    assert.equal(state.apply({ event: 'file-removed', name: 'a' }), true);
    assert.equal(state.apply({ event: 'file-removed', name: 'a' }), false);
    assert.deepEqual(
      state.sharedFiles.map((f) => f.name),
      ['b'],
    );
  });

  it('derives the bridge API URL from the page URL, keeping the token', () => {
    assert.equal(topologyApiUrl('http://127.0.0.1:8080/?token=abc'), 'http://127.0.0.1:8080/api/topology?token=abc');
  });
});

describe('extension pinPorts (restart where the node was)', () => {
  it('replaces port 0 with the ports the node had, and leaves other arguments alone', () => {
    const args = metaserverArgs({ host: '127.0.0.1', port: 0, httpPort: 0 });
    const pinned = pinPorts(args, { port: 5123, httpPort: 8123 });
    assert.equal(pinned[pinned.indexOf('--port') + 1], '5123');
    assert.equal(pinned[pinned.indexOf('--http-port') + 1], '8123');
    assert.equal(pinned[pinned.indexOf('--host') + 1], '127.0.0.1');
    assert.equal(args[args.indexOf('--port') + 1], '0', 'the original launch is not mutated');
  });

  it('keeps arguments without a port flag as they are', () => {
    assert.deepEqual(pinPorts(['peer', '--id', 's1'], { port: 4000 }), ['peer', '--id', 's1']);
  });
});
