// The workspace's state (saved nodes, transfers) in a JSON file the extension host writes itself.
// VS Code's workspaceState is not enough in a browser workbench (code-server, what `npm start`
// serves): it reaches disk every 5 s and cannot finish at unload, so a change just before a reload
// was lost, and the restored window missed the node started last. vscode-free (the type only).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Memento } from 'vscode';

/** The file's name in the extension's workspace storage folder (`context.storageUri`). */
export const WORKSPACE_STATE_FILE = 'workspace-state.json';

export class FileMemento implements Memento {
  private readonly values: Record<string, unknown>;

  /** Reads `file`; when there is none yet, starts from `previous` (where these values were kept before). */
  constructor(
    readonly file: string,
    previous?: Memento,
  ) {
    this.values = readValues(file) ?? Object.fromEntries((previous?.keys() ?? []).map((k) => [k, previous?.get(k)]));
  }

  keys(): readonly string[] {
    return Object.keys(this.values);
  }

  get<T>(key: string): T | undefined;
  get<T>(key: string, defaultValue: T): T;
  get<T>(key: string, defaultValue?: T): T | undefined {
    return key in this.values ? (this.values[key] as T) : defaultValue;
  }

  /** On disk when it returns: written beside the file, then renamed over it (never half a file). */
  update(key: string, value: unknown): Thenable<void> {
    if (value === undefined) delete this.values[key];
    else this.values[key] = value;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const next = `${this.file}.next`;
      writeFileSync(next, JSON.stringify(this.values));
      renameSync(next, this.file);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** The file's values; undefined when it does not exist or is not a JSON object (then it starts over). */
function readValues(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // a file someone else wrote: the state starts empty rather than failing activation
  }
  return {};
}
