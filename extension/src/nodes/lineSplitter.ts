// Splits a child's stdout/stderr byte stream into lines. Chunks arrive cut anywhere (even
// inside a multi-byte character), so we decode with a StringDecoder and keep the tail.

import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is cut: a broken child must not make the extension host grow without bound. */
export const MAX_LINE_CHARS = 1024 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Feeds one chunk; returns the complete lines it finished (without `\n` or `\r\n`). */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > MAX_LINE_CHARS) {
      parts.push(this.pending.slice(0, MAX_LINE_CHARS));
      this.pending = '';
    }
    return parts.map(stripCarriageReturn);
  }

  /** Returns whatever is left when the stream ends (a last line without newline). */
  end(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest.length > 0 ? [stripCarriageReturn(rest)] : [];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
