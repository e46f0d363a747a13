// Two Syncthing instances on 127.0.0.1 sharing one folder, sender → receiver, driven over their
// REST API: what bench/syncthing.bench.ts measures our GET against. Every outside service is off
// in their configuration (see syncthingConfig); they are meant to run in a network namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { link, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256OfFile } from './baseline';

const FOLDER = 'bench';
const POLL_MS = 50;
const API_KEY = 'p2p-bench-only-api-key';

interface Instance {
  name: 'sender' | 'receiver';
  home: string;
  folder: string;
  deviceId: string;
  listenPort: number;
  guiPort: number;
  child?: ChildProcess;
}

export class SyncthingPair {
  readonly version: string;
  private readonly instances: Instance[];
  private moved = 0;

  constructor(root: string) {
    this.version =
      /v\d+\.\d+\.\d+/.exec(spawnSync('syncthing', ['--version'], { encoding: 'utf8' }).stdout)?.[0] ?? '?';
    this.instances = (['sender', 'receiver'] as const).map((name, i) => ({
      name,
      home: join(root, `syncthing-${name}`),
      folder: join(root, `syncthing-${name}-folder`),
      deviceId: '',
      listenPort: 22001 + i,
      guiPort: 28384 + i,
    }));
  }

  /** Generates both identities and configurations, starts both, waits until they are connected. */
  async start(): Promise<string> {
    for (const instance of this.instances) {
      const generated = spawnSync(
        'syncthing',
        ['generate', `--home=${instance.home}`, '--no-default-folder', '--skip-port-probing'],
        { encoding: 'utf8' },
      );
      const id = /Device ID: (\S+)/.exec(`${generated.stdout}${generated.stderr}`)?.[1];
      if (!id) throw new Error(`syncthing generate: ${generated.stderr}`);
      instance.deviceId = id;
      await mkdir(join(instance.folder, '.stfolder'), { recursive: true });
    }
    const [sender, receiver] = this.instances;
    for (const instance of this.instances) {
      const other = instance === sender ? receiver : sender;
      await writeFile(join(instance.home, 'config.xml'), syncthingConfig(instance, other));
      instance.child = spawn(
        'syncthing',
        ['serve', `--home=${instance.home}`, '--no-browser', '--no-restart', '--no-upgrade'],
        { stdio: 'ignore', env: { ...process.env, STNOUPGRADE: '1', STNORESTART: '1' } },
      );
    }
    await until('both Syncthing instances to answer', async () =>
      (
        await Promise.all(this.instances.map((i) => this.rest(i, 'GET', '/rest/system/ping').catch(() => undefined)))
      ).every(Boolean),
    );
    await until('the instances to connect', async () => {
      const connections = (await this.rest(sender, 'GET', '/rest/system/connections')) as {
        connections: Record<string, { connected: boolean }>;
      };
      return connections.connections[receiver.deviceId]?.connected === true;
    });
    return `Syncthing ${this.version}: two instances connected on 127.0.0.1 (no discovery, relays, NAT or reporting)`;
  }

  /**
   * Puts `source` in the sender's folder under `name` and lets it hash it while the receiver's
   * folder is paused; then unpauses it and returns the ms until the receiver has the file.
   */
  async move(source: string, name: string, expected: string): Promise<number> {
    const [sender, receiver] = this.instances;
    await this.setPaused(receiver, true);
    await link(source, join(sender.folder, name));
    await this.rest(sender, 'POST', `/rest/db/scan?folder=${FOLDER}`);
    const count = ++this.moved;
    await until(`the sender to hash ${name}`, async () => {
      const status = await this.folderStatus(sender);
      return status.state === 'idle' && status.localFiles === count;
    });
    const started = performance.now();
    await this.setPaused(receiver, false);
    await until(
      `the receiver to get ${name}`,
      async () => {
        const status = await this.folderStatus(receiver);
        return status.state === 'idle' && status.needBytes === 0 && status.localFiles === count;
      },
      30 * 60_000,
    );
    const ms = performance.now() - started;
    const received = join(receiver.folder, name);
    if ((await stat(received)).size !== (await stat(source)).size || (await sha256OfFile(received)) !== expected)
      throw new Error(`Syncthing delivered a different ${name}`);
    return ms;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.instances.map(async ({ child }) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }),
    );
  }

  private setPaused(instance: Instance, paused: boolean): Promise<unknown> {
    return this.rest(instance, 'PATCH', `/rest/config/folders/${FOLDER}`, { paused });
  }

  private async folderStatus(instance: Instance): Promise<{ state: string; localFiles: number; needBytes: number }> {
    return (await this.rest(instance, 'GET', `/rest/db/status?folder=${FOLDER}`)) as {
      state: string;
      localFiles: number;
      needBytes: number;
    };
  }

  private async rest(instance: Instance, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${instance.guiPort}${path}`, {
      method,
      headers: { 'X-API-Key': API_KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok)
      throw new Error(`${instance.name} ${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return text ? (JSON.parse(text) as unknown) : true;
  }
}

/** Polls `check` every POLL_MS until it holds; throws after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** One instance's config.xml: the folder shared with the other device, every outside service off. */
function syncthingConfig(self: Instance, other: Instance): string {
  const device = (i: Instance): string =>
    `<device id="${i.deviceId}" name="${i.name}" compression="never">` +
    `<address>${i === self ? 'dynamic' : `tcp://127.0.0.1:${i.listenPort}`}</address></device>`;
  const type = self.name === 'sender' ? 'sendonly' : 'receiveonly';
  return `<configuration version="36">
  <folder id="${FOLDER}" label="${FOLDER}" path="${self.folder}" type="${type}"
      rescanIntervalS="0" fsWatcherEnabled="false">
    <device id="${self.deviceId}"></device>
    <device id="${other.deviceId}"></device>
    <disableFsync>true</disableFsync>
  </folder>
  ${device(self)}
  ${device(other)}
  <gui enabled="true" tls="false"><address>127.0.0.1:${self.guiPort}</address><apikey>${API_KEY}</apikey></gui>
  <options>
    <listenAddress>tcp://127.0.0.1:${self.listenPort}</listenAddress>
    <globalAnnounceEnabled>false</globalAnnounceEnabled>
    <localAnnounceEnabled>false</localAnnounceEnabled>
    <relaysEnabled>false</relaysEnabled>
    <natEnabled>false</natEnabled>
    <urAccepted>-1</urAccepted>
    <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
    <crashReportingEnabled>false</crashReportingEnabled>
    <startBrowser>false</startBrowser>
    <setLowPriority>false</setLowPriority>
    <stunKeepaliveStartS>0</stunKeepaliveStartS>
  </options>
</configuration>
`;
}
