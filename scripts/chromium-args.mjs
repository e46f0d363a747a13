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
