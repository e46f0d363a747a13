// LAN discovery's door and its bounds. readAnnouncements gets hostile answers (built with the
// DNS encoder or as raw bytes, test/unit/support/hostile-mdns.ts) and must take none of them;
// then a real announcer and browser on loopback (multicast on 127.0.0.1 only, on a port of the
// test's own) keep finding the real network while a stranger floods them with junk and with
// more networks than the browser keeps.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import dnsPacket from 'dns-packet';
import { readAnnouncements, serviceRecords, MAX_RECORDS, type FoundNetwork } from '@node-core/discovery/dns-sd';
import { ipv4Interfaces, onSubnet } from '@node-core/discovery/interfaces';
import { MdnsAnnouncer } from '@node-core/discovery/mdns-announcer';
import { MAX_NETWORKS, MdnsBrowser } from '@node-core/discovery/mdns-browser';
import { isLoopbackHost, shouldAnnounce } from '@node-core/discovery/announce-policy';
import {
  SERVICE,
  fakeRecords,
  floodPackets,
  hostilePackets,
  multicastSender,
  responseBytes,
  sendTo,
} from './support/hostile-mdns';
import { freeUdpPort } from './support/free-udp-port';

const decode = (bytes: Buffer) => dnsPacket.decode(bytes);

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('discovery: reading answers from the LAN', () => {
  const fingerprint = 'ab'.repeat(32);
  const service = {
    instance: 'p2p-0a1b2c3d',
    name: 'Lab net',
    port: 4100,
    address: '10.1.2.3',
    needsKey: true,
    fingerprint,
  };

  it('reads our own announcement: name, port, key flag, and the sender as the host', () => {
    const found = readAnnouncements(decode(responseBytes(serviceRecords(service))), '10.1.2.3');
    assert.deepEqual(found, [
      {
        key: 'p2p-0a1b2c3d@10.1.2.3',
        name: 'Lab net',
        host: '10.1.2.3',
        port: 4100,
        needsKey: true,
        fingerprint,
        ttl: 120,
      },
    ]);
    const goodbye = readAnnouncements(decode(responseBytes(serviceRecords(service, 0))), '10.1.2.3');
    assert.equal(goodbye[0]?.ttl, 0);
  });

  it('takes nothing from a hostile answer', () => {
    for (const { what, bytes } of hostilePackets('10.1.2.3', '10.9.9.9')) {
      let packet;
      try {
        packet = decode(bytes);
      } catch {
        continue; // the socket drops what does not decode (the library's 'warning')
      }
      assert.deepEqual(readAnnouncements(packet, '10.1.2.3'), [], what);
    }
  });

  it('takes nothing from packets of the wrong shape or from a non-IPv4 sender', () => {
    const valid = fakeRecords({ instance: 'p2p-1', name: 'N', port: 1, address: '10.1.2.3' });
    assert.deepEqual(readAnnouncements({ answers: valid }, 'fe80::1'), []);
    const shapes: unknown[] = [
      null,
      42,
      { answers: 'nope' },
      { answers: [null, 7, { name: 5 }, { name: 'x', type: 'A', ttl: -1, data: '1.2.3.4' }] },
      { answers: valid.map((r) => ({ ...r, data: null })) },
      { answers: valid.map((r) => (r.type === 'TXT' ? { ...r, data: [{ evil: true }] } : r)) },
      { answers: valid.map((r) => (r.type === 'SRV' ? { ...r, data: { port: 1.5, target: 'a.local' } } : r)) },
    ];
    for (const shape of shapes) {
      assert.deepEqual(readAnnouncements((shape ?? {}) as Parameters<typeof readAnnouncements>[0], '10.1.2.3'), []);
    }
  });

  it('looks at most at 8 services of one packet (and MAX_RECORDS records: "an oversized packet" above)', () => {
    const many = Array.from({ length: 20 }, (_, i) =>
      fakeRecords({ instance: `p2p-${i}`, name: `Net ${i}`, port: 1000 + i, address: '10.1.2.3' }),
    );
    // PTRs first, then the rest: 20 services in one packet
    const answers = [...many.map((r) => r[0]), ...many.flatMap((r) => r.slice(1))];
    const found = readAnnouncements({ answers }, '10.1.2.3');
    assert.equal(found.length, 8);
    assert.ok(answers.length > MAX_RECORDS);
  });

  it('places a sender on an interface by subnet, and keeps loopback metaservers silent unless asked', () => {
    const lan = { address: '10.77.0.2', netmask: '255.255.255.0', internal: false };
    assert.ok(onSubnet(lan, '10.77.0.200') && !onSubnet(lan, '10.77.1.2') && !onSubnet(lan, 'fe80::1'));
    assert.ok(onSubnet({ address: '127.0.0.1', netmask: '255.0.0.0', internal: true }, '127.3.4.5'));
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('localhost') && !isLoopbackHost('10.0.0.1'));
    assert.equal(shouldAnnounce('127.0.0.1', 'default'), false);
    assert.equal(shouldAnnounce('127.0.0.1', 'yes'), true);
    assert.equal(shouldAnnounce('10.0.0.1', 'default'), true);
    assert.equal(shouldAnnounce('0.0.0.0', 'no'), false);
  });
});

describe('discovery: announcer and browser on loopback', function () {
  this.timeout(20_000);
  const loopback = ipv4Interfaces(['127.0.0.1']);
  const open: Array<{ close(): unknown }> = [];
  let mdnsPort = 0;

  beforeEach(async () => {
    mdnsPort = await freeUdpPort();
  });

  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });

  const socketCloser = (s: Socket) => ({ close: () => new Promise<void>((resolve) => s.close(() => resolve())) });

  it('finds an announced network, and forgets it on goodbye', async () => {
    const browser = await MdnsBrowser.start({ interfaces: loopback, mdnsPort });
    open.push(browser);
    const announcer = await MdnsAnnouncer.start({
      name: 'Loop net',
      port: 4321,
      needsKey: false,
      interfaces: loopback,
      mdnsPort,
    });
    const found = await until('the network', () => browser.networks.find((n) => n.name === 'Loop net'));
    assert.deepEqual([found.host, found.port, found.needsKey], ['127.0.0.1', 4321, false]);
    assert.equal(found.key, `${announcer.instance}@127.0.0.1`);
    await announcer.close();
    await until('the goodbye', () => (browser.networks.some((n) => n.name === 'Loop net') ? undefined : true));
  });

  it('answers a flood of queries at most every 250 ms', async () => {
    const receiver = createSocket({ type: 'udp4', reuseAddr: true });
    open.push(socketCloser(receiver));
    receiver.bind(mdnsPort, '224.0.0.251');
    await once(receiver, 'listening');
    receiver.addMembership('224.0.0.251', '127.0.0.1');
    const answers: number[] = [];
    const announcer = await MdnsAnnouncer.start({
      name: 'Busy',
      port: 4500,
      needsKey: false,
      interfaces: loopback,
      mdnsPort,
    });
    open.push(announcer);
    receiver.on('message', (bytes) => {
      const packet = dnsPacket.decode(bytes);
      if (
        packet.type === 'response' &&
        packet.answers?.some((a) => a.type === 'PTR' && a.data === `${announcer.instance}.${SERVICE}`)
      )
        answers.push(Date.now());
    });
    await until('both announcements', () => (answers.length >= 2 ? true : undefined));
    const sender = await multicastSender('127.0.0.1');
    open.push(socketCloser(sender));
    const query = dnsPacket.encode({ type: 'query', id: 0, questions: [{ name: SERVICE, type: 'PTR' }] });
    const from = answers.length;
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      await sendTo(sender, mdnsPort, query);
      if (i % 20 === 0) await sleep(50);
    }
    await sleep(400);
    const elapsed = Date.now() - started;
    const answered = answers.length - from;
    assert.ok(answered >= 1, 'the queries went unanswered');
    assert.ok(answered <= Math.ceil(elapsed / 250) + 1, `${answered} answers to 300 queries in ${elapsed} ms`);
  });

  it('keeps finding the real network through junk, spoofs and a flood of fake networks', async () => {
    const announcer = await MdnsAnnouncer.start({
      name: 'Real',
      port: 4400,
      needsKey: true,
      interfaces: loopback,
      mdnsPort,
    });
    open.push(announcer);
    const browser = await MdnsBrowser.start({ interfaces: loopback, mdnsPort });
    open.push(browser);
    await until('the real network', () => browser.networks.find((n) => n.name === 'Real'));
    const sender = await multicastSender('127.0.0.1');
    open.push(socketCloser(sender));
    const seen: FoundNetwork[][] = [];
    browser.on('change', (networks) => seen.push(networks));

    for (const { bytes } of hostilePackets('127.0.0.1', '10.9.9.9')) await sendTo(sender, mdnsPort, bytes);
    for (const bytes of floodPackets('127.0.0.1', MAX_NETWORKS * 3)) await sendTo(sender, mdnsPort, bytes);
    const flooded = await until('the flood to arrive', () =>
      browser.networks.length >= MAX_NETWORKS ? browser.networks : undefined,
    );
    assert.equal(flooded.length, MAX_NETWORKS, 'the browser keeps at most MAX_NETWORKS networks');
    assert.ok(
      flooded.some((n) => n.name === 'Real' && n.needsKey),
      'the real network was pushed out',
    );
    for (const n of flooded) assert.ok(n.name === 'Real' || /^Flood \d+$/.test(n.name), `taken: ${n.name}`);
    assert.ok(seen.flat().every((n) => n.host === '127.0.0.1'));

    // the browser still works: a network announced now is found once there is room
    await sendTo(
      sender,
      mdnsPort,
      responseBytes(fakeRecords({ instance: 'p2p-flood0', name: 'x', port: 1, address: '127.0.0.1', ttl: 0 })),
    );
    await until('room after a goodbye', () => (browser.networks.length < MAX_NETWORKS ? true : undefined));
  });
});
