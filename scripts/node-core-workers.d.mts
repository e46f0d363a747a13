/** Every `*.worker.ts` under `root`/node-core/src, by esbuild entry name (`NAME.worker`). */
export function nodeCoreWorkerEntries(root: string): Record<string, string>;
