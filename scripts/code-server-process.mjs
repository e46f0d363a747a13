// Starting and stopping one code-server, shared by run-vscode-tests.mjs and start-code-server.mjs.
// code-server runs in its own process group (detached) so that stop() also ends the extension
// host, the file watcher and every p2p-node child the extension started.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Folders for one isolated run under `root`; nothing is written to $HOME or the shared /tmp. */
export function isolatedDirs(root) {
  const dirs = {
    root,
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
    xdgConfig: path.join(root, 'xdg-config'),
    xdgData: path.join(root, 'xdg-data'),
    xdgCache: path.join(root, 'xdg-cache'),
    userData: path.join(root, 'user-data'),
    config: path.join(root, 'config.yaml'),
  };
  for (const [k, d] of Object.entries(dirs)) if (k !== 'config') fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  return dirs;
}

/** The environment for code-server (and so for the extension host it forks) and for Chromium. */
export function isolatedEnv(dirs, extra = {}) {
  return {
    ...process.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    EXTENSIONS_GALLERY: '{}', // no marketplace calls
    VSCODE_PROXY_URI: '',
    ...extra,
  };
}

/**
 * Starts code-server and waits until it listens. Output goes to `logFile`.
 * @returns {Promise<{
 *   pid: number, url: string, stop: () => Promise<void>, killNow: () => void, exited: Promise<number|null>
 * }>}
 */
export async function startCodeServer({
  entry,
  port,
  host = '127.0.0.1',
  dirs,
  extensionsDir,
  env,
  logFile,
  extraArgs = [],
  readyTimeoutMs = 60_000,
}) {
  const args = [
    entry,
    '--bind-addr',
    `${host}:${port}`,
    '--auth',
    'none',
    '--config',
    dirs.config,
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...extraArgs,
  ];
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));

  let stopped = false;
  const killNow = () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const stop = async () => {
    if (stopped) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      stopped = true;
      return;
    }
    const t = setTimeout(killNow, 3000);
    await Promise.race([exited, sleep(3500)]);
    clearTimeout(t);
    killNow(); // the group may outlive its leader (extension host, watchers)
  };

  const url = `http://${host}:${port}/`;
  const deadline = Date.now() + readyTimeoutMs;
  let done = false;
  exited.then(() => (done = true));
  while (!done && Date.now() < deadline) {
    try {
      const res = await fetch(`${url}healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { pid: child.pid, url, stop, killNow, exited };
    } catch {
      /* not yet listening */
    }
    await sleep(150);
  }
  killNow();
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
  throw new Error(
    `code-server did not come up on ${url} (${done ? 'it exited' : 'timeout'}); log ${logFile}:\n${tail}`,
  );
}

/**
 * SIGKILLs every process whose command line mentions `marker` (a run's unique temp folder):
 * catches a Chromium that did not close in time. Precise by construction: nothing else
 * names that folder.
 */
export function killProcessesMentioning(marker) {
  let killed = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    if (Number(pid) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return killed;
}
