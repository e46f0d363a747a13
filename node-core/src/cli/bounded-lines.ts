// Splits a byte stream into lines, as readline does, but never holds more than `maxLength`
// characters of one line: a longer line is reported once as too long and skipped up to its end,
// so an endless stream without a newline cannot grow the buffer.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export const MAX_COMMAND_LINE = 64 * 1024;

export interface LineHandlers {
  line(text: string): void;
  tooLong(length: number): void;
}

/** Feeds `input`'s lines to `handlers` until it ends; returns the detach function. */
export function readBoundedLines(input: Readable, handlers: LineHandlers, maxLength = MAX_COMMAND_LINE): () => void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipped = 0; // characters of an over-long line dropped so far (0: not skipping)
  const onData = (chunk: Buffer | string): void => {
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const piece = text.slice(0, newline);
      text = text.slice(newline + 1);
      if (skipped > 0) handlers.tooLong(skipped + piece.length);
      else handlers.line((pending + piece).replace(/\r$/, ''));
      pending = '';
      skipped = 0;
    }
    if (skipped > 0) skipped += text.length;
    else if (pending.length + text.length > maxLength) {
      skipped = pending.length + text.length;
      pending = '';
    } else pending += text;
  };
  input.on('data', onData);
  return () => input.off('data', onData);
}
