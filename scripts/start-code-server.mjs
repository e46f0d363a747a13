#!/usr/bin/env node
// `npm start`: a real VS Code (code-server 4.100.3) in the browser with the packaged extension
// (p2p-network.vsix, made by `npm run package` just before) and a demo folder open.
//
//   npm start                       http://127.0.0.1:8080
//   npm start -- --port 9000        or P2P_PORT=9000 npm start
//   npm start -- --host 0.0.0.0     listen beyond this machine (no auth: only on a trusted network)
//
// Everything lives in .demo/ (gitignored): workspace/ (sample files, kept between runs),
// extensions/ (the .vsix, reinstalled each start), state/ (VS Code user data, HOME, XDG dirs).
// Runs until Ctrl-C, then stops code-server and everything it started (its process group).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './install-code-server.mjs';
import { isolatedDirs, isolatedEnv, startCodeServer } from './code-server-process.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const demo = path.join(repoRoot, '.demo');
const vsix = path.join(repoRoot, 'p2p-network.vsix');

function option(name, envName, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && process.argv[i + 1]) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  return process.env[envName] || fallback;
}
const port = Number(option('port', 'P2P_PORT', '8080'));
const host = option('host', 'P2P_HOST', '127.0.0.1');
const fail = (msg) => {
  process.stderr.write(`[start] ${msg}\n`);
  process.exit(1);
};
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`bad port "${port}"`);

const SAMPLES = {
  'README.md':
    '# Demo workspace\n\n' +
    'Open the P2P Network view in the activity bar, start a metadata server and a demo network,\n' +
    'then share a file from this folder (right-click it in the Explorer: P2P: Share File).\n',
  'hello.txt': 'Hello from a P2P peer!\n',
  'notes/chord.md': '# Chord\n\nA node id is SHA-1(host:port); a file key is SHA-1(file name).\n',
};

function portFree(p, h) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(p, h, () => srv.close(() => resolve(true)));
  });
}

async function main() {
  if (!fs.existsSync(vsix))
    fail(`${path.relative(repoRoot, vsix)} is missing: run \`npm run package\` (npm start does it first)`);
  if (!(await portFree(port, host)))
    fail(`port ${port} on ${host} is in use: pick another with \`npm start -- --port N\` or P2P_PORT=N`);
  const entry = ensureCodeServer();

  const workspace = path.join(demo, 'workspace');
  for (const [name, text] of Object.entries(SAMPLES)) {
    const p = path.join(workspace, name);
    if (!fs.existsSync(p)) {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
    }
  }
  const dirs = isolatedDirs(path.join(demo, 'state'));
  const userSettings = path.join(dirs.userData, 'User', 'settings.json');
  if (!fs.existsSync(userSettings)) {
    // Straight to the workspace: no walkthrough tab over the demo.
    fs.mkdirSync(path.dirname(userSettings), { recursive: true });
    fs.writeFileSync(
      userSettings,
      JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off' }, null, 2),
    );
  }
  const extensionsDir = path.join(demo, 'extensions');
  fs.rmSync(extensionsDir, { recursive: true, force: true }); // exactly the freshly packaged extension
  fs.mkdirSync(extensionsDir, { recursive: true });
  const env = isolatedEnv(dirs);

  const inst = spawnSync(
    process.execPath,
    [
      entry,
      '--install-extension',
      vsix,
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      dirs.userData,
      '--force',
    ],
    {
      env,
      encoding: 'utf8',
    },
  );
  if (inst.status !== 0) fail(`installing the .vsix failed:\n${inst.stdout}${inst.stderr}`);

  const logFile = path.join(demo, 'code-server.log');
  fs.writeFileSync(logFile, '');
  const server = await startCodeServer({ entry, port, host, dirs, extensionsDir, env, logFile });
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\n[start] stopping code-server...\n');
    await server.stop();
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => stop(0));
  process.on('exit', () => server.killNow());
  server.exited.then((code) => {
    if (stopping) return;
    process.stderr.write(`[start] code-server exited (${code}); see ${path.relative(repoRoot, logFile)}\n`);
    stop(1);
  });

  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  process.stdout.write(
    `\n  VS Code with the P2P Network extension: ` +
      `http://${shownHost}:${port}/?folder=${encodeURIComponent(workspace)}\n` +
      `  (demo folder ${path.relative(repoRoot, workspace)}, log ${path.relative(repoRoot, logFile)})\n` +
      `  Open the P2P Network icon in the activity bar. Ctrl-C to stop.\n\n`,
  );
}

main().catch((err) => fail(err?.stack ?? String(err)));
