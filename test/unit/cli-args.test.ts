// The CLI's pure parts: command lines (README.md, "Command-line": flags and defaults) and stdin commands.
import assert from 'node:assert/strict';
import { parseCli } from '@node-core/cli/args';
import { UsageError } from '@node-core/cli/usage';
import { parseCommand, splitVersionPick } from '@node-core/cli/stdin-commands';
import { advertisedHost } from '@node-core/advertised-host';

describe('cli: command line', () => {
  it('applies the documented defaults', () => {
    assert.deepEqual(parseCli(['metaserver'], {}), {
      command: 'metaserver',
      host: '127.0.0.1',
      port: 5000,
      httpPort: undefined,
      maxPeers: undefined,
      dir: undefined,
      identityDir: undefined,
      trust: undefined,
      key: undefined,
      json: false,
      heartbeatMs: undefined,
      relayPort: undefined,
      relayRate: undefined,
      announce: false,
      networkName: undefined,
    });
    const peer = parseCli(['peer', '--id', 's1'], {});
    assert.ok(peer.command === 'peer');
    assert.deepEqual(
      [peer.metaserver, peer.join, peer.mode, peer.host, peer.port, peer.dir, peer.maxNeighbors, peer.ttl],
      [{ host: '127.0.0.1', port: 5000 }, undefined, 'flood', '127.0.0.1', 0, '.', 4, 7],
    );
    assert.equal(peer.allowRelay, false);
    const relayed = parseCli(['peer', '--id', 's1', '--allow-relay'], {});
    assert.ok(relayed.command === 'peer' && relayed.allowRelay);
    const relay = parseCli(['metaserver', '--relay-port', '7001', '--relay-rate', '2M'], {});
    assert.ok(relay.command === 'metaserver' && relay.relayPort === 7001 && relay.relayRate === 2 * 1024 * 1024);
    assert.throws(() => parseCli(['metaserver', '--relay-rate', '10K'], {}), UsageError);
    const joined = parseCli(['peer', '--id', 's1', '--join', '127.0.0.1:4000', '--json'], {});
    assert.ok(
      joined.command === 'peer' && joined.metaserver === undefined && joined.join?.port === 4000 && joined.json,
    );
    assert.deepEqual(parseCli(['topo'], {}), {
      command: 'topo',
      metaserver: { host: '127.0.0.1', port: 5000 },
      metaserverKey: undefined,
      trust: undefined,
      key: undefined,
      json: false,
    });
    const demo = parseCli(['demo', '--peers', '3', '--mode', 'chord', '--http-port', '8080'], {});
    assert.ok(demo.command === 'demo' && demo.peers === 3 && demo.mode === 'chord' && demo.httpPort === 8080);
    assert.deepEqual(parseCli(['--version'], {}), { command: 'version' });
  });

  it("--metaserver-fp: the metaserver's fingerprint, for peer and topo; refused without a metaserver", () => {
    const fp = 'AB'.repeat(32);
    const expected = { fingerprint: fp.toLowerCase(), source: '--metaserver-fp', overridesPin: true };
    const peer = parseCli(['peer', '--id', 's1', '--metaserver', '10.0.0.1:5000', '--metaserver-fp', fp], {});
    assert.ok(peer.command === 'peer');
    assert.deepEqual(peer.metaserverKey, expected);
    const auto = parseCli(['peer', '--id', 's1', '--metaserver', 'auto', '--metaserver-fp', fp], {});
    assert.ok(auto.command === 'peer' && auto.discover);
    assert.deepEqual(auto.metaserverKey, expected);
    assert.throws(() => parseCli(['metaserver', '--dir', '/a', '--identity-dir', '/b'], {}), /exclude each other/);
    const topo = parseCli(['topo', '--metaserver-fp', fp], {});
    assert.ok(topo.command === 'topo');
    assert.deepEqual(topo.metaserverKey, expected);
    assert.throws(() => parseCli(['peer', '--id', 's1', '--metaserver-fp', 'ab'.repeat(31)], {}), /64 hex digits/);
    assert.throws(
      () => parseCli(['peer', '--id', 's1', '--join', '127.0.0.1:4000', '--metaserver-fp', fp], {}),
      /--metaserver-fp needs --metaserver/,
    );
  });

  it('takes the key from --key or P2P_NETWORK_KEY', () => {
    const fromEnv = parseCli(['metaserver'], { P2P_NETWORK_KEY: 'k' });
    assert.ok(fromEnv.command === 'metaserver' && fromEnv.key === 'k');
    const fromFlag = parseCli(['peer', '--id', 'a', '--key', 'f'], { P2P_NETWORK_KEY: 'k' });
    assert.ok(fromFlag.command === 'peer' && fromFlag.key === 'f');
  });

  it('announces --advertise, the bound host, or for 0.0.0.0 a non-loopback address', () => {
    const peer = parseCli(['peer', '--id', 'a', '--host', '0.0.0.0', '--advertise', '10.1.2.3'], {});
    assert.ok(peer.command === 'peer' && peer.host === '0.0.0.0' && peer.advertise === '10.1.2.3');
    assert.equal(advertisedHost('0.0.0.0', '10.1.2.3'), '10.1.2.3');
    assert.equal(advertisedHost('127.0.0.1'), '127.0.0.1');
    for (const wildcard of ['0.0.0.0', '::']) {
      const chosen = advertisedHost(wildcard);
      assert.notEqual(chosen, wildcard);
      assert.match(chosen, /^\d+\.\d+\.\d+\.\d+$/);
    }
  });

  it('announces beyond loopback unless told not to, and on loopback only when told to; reads --metaserver auto', () => {
    const announce = (...flags: string[]) => {
      const parsed = parseCli(['metaserver', ...flags], {});
      return parsed.command === 'metaserver' && parsed.announce;
    };
    assert.deepEqual(
      [
        announce(),
        announce('--announce'),
        announce('--host', '10.0.0.5'),
        announce('--host', '0.0.0.0', '--no-announce'),
      ],
      [false, true, true, false],
    );
    const named = parseCli(['metaserver', '--network-name', "Team's lab"], {});
    assert.ok(named.command === 'metaserver' && named.networkName === "Team's lab");
    const auto = parseCli(['peer', '--id', 'a', '--metaserver', 'auto', '--discover-interface', '127.0.0.1'], {});
    assert.ok(auto.command === 'peer');
    assert.equal(auto.metaserver, undefined);
    assert.deepEqual(auto.discover, { durationMs: 3000, interfaces: ['127.0.0.1'] });
    const quick = parseCli(['peer', '--id', 'a', '--metaserver', 'auto', '--discover-ms', '500'], {});
    assert.ok(quick.command === 'peer' && quick.discover?.durationMs === 500 && !quick.discover.interfaces);
  });

  it('reads --max-upload as bytes per second in binary units, and refuses rates below 1M', () => {
    const cases: [string, number][] = [
      ['1M', 1024 ** 2],
      ['20MiB/s', 20 * 1024 ** 2],
      ['1.5g', 1.5 * 1024 ** 3],
      ['2048K', 2 * 1024 ** 2],
      ['1048576', 1024 ** 2],
    ];
    for (const [value, bytes] of cases) {
      const peer = parseCli(['peer', '--id', 'a', '--max-upload', value], {});
      assert.ok(peer.command === 'peer');
      assert.equal(peer.maxUploadBytesPerSecond, bytes, value);
    }
    const uncapped = parseCli(['peer', '--id', 'a'], {});
    assert.ok(uncapped.command === 'peer' && uncapped.maxUploadBytesPerSecond === undefined);
    for (const value of ['500K', '0', '0.5M', 'fast', '10 T', '']) {
      assert.throws(
        () => parseCli(['peer', '--id', 'a', '--max-upload', value], {}),
        /--max-upload must be a rate of at least 1M/,
        value,
      );
    }
  });

  it('refuses bad command lines with a UsageError', () => {
    for (const argv of [
      [],
      ['nope'],
      ['peer'],
      ['peer', '--id', 'a', '--ttl', '0'],
      ['peer', '--id', 'a', '--port', '70000'],
      ['peer', '--id', 'a', '--join', 'nohost'],
      ['peer', '--id', 'a', '--mode', 'mesh'],
      ['metaserver', '--max-peers', '-1'],
      ['topo', 'extra'],
      ['demo', '--peers', '51'],
      ['peer', '--id', 'a', '--advertise', '0.0.0.0'],
      ['peer', '--id', 'a', '--advertise', ''],
      ['metaserver', '--announce', '--no-announce'],
      ['metaserver', '--network-name', '$(verified) Official'],
      ['metaserver', '--network-name', 'x'.repeat(64)],
      ['peer', '--id', 'a', '--metaserver', 'auto', '--discover-ms', '99'],
      ['peer', '--id', 'a', '--metaserver', 'auto', '--discover-interface', 'eth0'],
    ]) {
      assert.throws(() => parseCli(argv, {}), UsageError, argv.join(' '));
    }
  });
});

describe('cli: stdin commands', () => {
  it('parses commands in any case, paths with spaces, and bare names as GET', () => {
    assert.deepEqual(parseCommand('topo'), { name: 'TOPO', arg: '' });
    assert.deepEqual(parseCommand('  Share /tmp/my file.txt '), { name: 'SHARE', arg: '/tmp/my file.txt' });
    assert.deepEqual(parseCommand('search f1.txt'), { name: 'SEARCH', arg: 'f1.txt' });
    assert.deepEqual(parseCommand('f1.txt'), { name: 'GET', arg: 'f1.txt' });
    assert.deepEqual(parseCommand('LOOKUP abc'), { name: 'LOOKUP', arg: 'abc' });
    assert.deepEqual(parseCommand('cancel f1.txt'), { name: 'CANCEL', arg: 'f1.txt' });
    assert.equal(parseCommand('   '), undefined);
    assert.ok('error' in (parseCommand('GET') ?? {}));
    assert.ok('error' in (parseCommand('frobnicate the file') ?? {}));
  });

  it('GET <name> <hash>: a last word of 64 hex digits picks a version', () => {
    const hash = 'AB'.repeat(32);
    assert.deepEqual(splitVersionPick(`my file.txt ${hash}`), { name: 'my file.txt', version: hash.toLowerCase() });
    assert.deepEqual(splitVersionPick('my file.txt'), { name: 'my file.txt' });
    assert.deepEqual(splitVersionPick(`${hash}`), { name: hash }, 'a name alone is a name, whatever it looks like');
    assert.deepEqual(splitVersionPick('f.txt abc'), { name: 'f.txt abc' });
  });
});
