// Flags for Debian's /usr/bin/chromium under playwright-core, headless, as root, offline
// (shared docs "testing-in-vscode.md"): no sandbox (root), no GPU, no QUIC, and none of the
// background calls home (component updates, sync, first-run pages).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Environment that keeps Chromium (profile, crash reports, dconf, caches) under `dir`
 * instead of $HOME and the shared /tmp.
 */
export function chromiumEnv(dir) {
  return { ...process.env, HOME: dir, TMPDIR: dir, XDG_CONFIG_HOME: dir, XDG_CACHE_HOME: dir, XDG_DATA_HOME: dir };
}
