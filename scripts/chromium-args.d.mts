/** Flags for Debian's Chromium under playwright-core, headless, as root, offline. */
export const CHROMIUM_ARGS: string[];
/** Environment that keeps Chromium's profile, caches and config under `dir`. */
export function chromiumEnv(dir: string): NodeJS.ProcessEnv;
