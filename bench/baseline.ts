// What both transfer benches measure against: the bare Node copy (fs stream → TCP → fs stream
// over loopback, sender in its own process), and the RSS of a process read from /proc.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

/** A child process streams `source` into a socket; this process streams it to `target`. Returns ms. */
export async function bareCopy(source: string, target: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const received = new Promise<number>((done, reject) => {
    server.once('connection', (socket) => {
      const started = performance.now();
      pipeline(socket, createWriteStream(target)).then(() => done(performance.now() - started), reject);
    });
  });
  const sender = spawn(process.execPath, [
    '-e',
    `const net=require('net'),fs=require('fs');const s=net.connect(${port},'127.0.0.1',()=>fs.createReadStream(${JSON.stringify(source)},{highWaterMark:1<<20}).pipe(s));`,
  ]);
  try {
    return await received;
  } finally {
    await new Promise((r) => (sender.exitCode === null ? sender.once('exit', r) : r(null)));
    server.close();
  }
}

/** Resident memory of a process in MiB (0 once it is gone). */
export function rssMiB(pid: number | undefined): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
