// The virtual module made by scripts/esbuild-integration-suites.mjs at build time.
declare module 'integration-suites' {
  const suites: Array<{ file: string; load: () => unknown }>;
  export = suites;
}
