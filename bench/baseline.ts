// What the transfer benches measure against: the bare Node copy (fs stream → TCP → fs stream
// over loopback, sender in its own process; or over TLS), and the RSS and CPU time of a process
// read from /proc.
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { createReadStream, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { NodeIdentity } from '@node-core/wire';
import { DEFAULT_CHUNK_SIZE } from '@node-core/files/manifest';
import { fileRoot } from '@node-core/files/merkle';
import { tlsClientOptions, tlsServerOptions } from '@node-core/wire/secure-channel';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

/** A server on 127.0.0.1 (ephemeral port) handing it each socket: plain TCP, or TLS 1.3 as our links speak it. */
export async function loopbackServer(
  tls: boolean,
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  const server = tls
    ? createTlsServer(tlsServerOptions(NodeIdentity.ephemeral(), 5000), onSocket)
    : createServer({ noDelay: true }, onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A child process streams `source` into a socket; this process streams it to `target`. Returns ms.
 * `tls`: the same over TLS 1.3 (Node's, the suites our links offer, an Ed25519 key each side), no
 * p2p code at all: what the idiomatic Node copy costs over TLS (Node's TLS alone: tls-floor.ts).
 */
export async function bareCopy(source: string, target: string, tls = false): Promise<number> {
  let onSocket: (socket: Socket) => void = () => undefined;
  const received = new Promise<number>((done, reject) => {
    onSocket = (socket) => {
      const started = performance.now();
      pipeline(socket, createWriteStream(target)).then(() => done(performance.now() - started), reject);
    };
  });
  const { server, port } = await loopbackServer(tls, (socket) => onSocket(socket));
  const client = tls ? tlsClientOptions(NodeIdentity.ephemeral()) : {};
  const connect = tls
    ? `require('tls').connect({...${JSON.stringify({ ...client, secureContext: undefined })},` +
      `port:${port},host:'127.0.0.1'},go)`
    : `require('net').connect(${port},'127.0.0.1',go)`;
  const sender = spawn(process.execPath, [
    '-e',
    `const fs=require('fs');` +
      `function go(){s.setNoDelay(true);fs.createReadStream(${JSON.stringify(source)},{highWaterMark:1<<20}).pipe(s)}` +
      `const s=${connect};`,
  ]);
  try {
    return await received;
  } finally {
    await new Promise((r) => (sender.exitCode === null ? sender.once('exit', r) : r(null)));
    server.close();
  }
}

/** CPU time (user + system, every thread) a process has used so far, in ms (0 once it is gone). */
export function cpuMs(pid: number | undefined): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (user + system) each live thread of a process has used so far, in ms, by thread id. */
export function threadCpuMs(pid: number | undefined): Map<number, number> {
  const threads = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`))
      threads.set(Number(tid), statCpuMs(`/proc/${pid}/task/${tid}/stat`));
  } catch {
    // the process is gone
  }
  return threads;
}

/** utime + stime of a /proc stat file, in ms (0 if it is gone). */
function statCpuMs(path: string): number {
  try {
    // the fields after the ") " that ends the command name: utime and stime are the 12th and 13th
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** Resident memory of a process in MiB (0 once it is gone). */
export function rssMiB(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** A bench file's identity: its Merkle root (what this build reports) and its SHA-256 (what older builds report). */
export interface FileDigests {
  root: string;
  sha256: string;
}

/** Whether a `download-complete` names the expected file: by its root, or by its SHA-256 (a build before roots). */
export function completesFile(done: { root?: unknown; sha256?: unknown }, expected: FileDigests): boolean {
  return done.root !== undefined ? done.root === expected.root : done.sha256 === expected.sha256;
}

/** The SHA-256 of a file on disk, hex (what a received copy is checked against). */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/** Writes `mib` MiB of fresh random bytes to `path`; returns its root and SHA-256. */
export async function writeRandomFile(path: string, mib: number): Promise<FileDigests> {
  const out = await open(path, 'w');
  const hash = createHash('sha256');
  const chunkHashes: Buffer[] = [];
  const block = Buffer.alloc(DEFAULT_CHUNK_SIZE);
  for (let i = 0; i < mib; i++) {
    // every byte fresh: a tool that reuses blocks it already holds (Syncthing does) finds none
    randomFillSync(block);
    hash.update(block);
    chunkHashes.push(createHash('sha256').update(block).digest()); // a block (1 MiB) is one chunk of a store's
    await out.write(block);
  }
  // on disk before the runs: else the kernel writes it back ~30 s later, in the middle of one
  await out.sync();
  await out.close();
  const root = fileRoot({
    size: mib * DEFAULT_CHUNK_SIZE,
    chunkSize: DEFAULT_CHUNK_SIZE,
    chunkHashes: Buffer.concat(chunkHashes),
  });
  return { root, sha256: hash.digest('hex') };
}
