// Where a dialed socket's reads land (net.connect's and tls.connect's `onread`): straight into
// the payload being received when the decoder has one (a chunk: no copy in JS, and none at all
// in plaintext), otherwise into one buffer of our own reused for every read. Only dialed
// sockets: Node's server sockets take no `onread`, and they carry only small requests anyway.
const READ_BYTES = 64 * 1024;

/** What a connection does with its socket's reads (connection.ts, over its FrameDecoder). */
export interface ReadReceiver {
  /** Bytes read into the reused buffer; must not keep the buffer. */
  bytes(bytes: Buffer): void;
  /** Where the next read may go instead: the rest of the payload being received, if any. */
  target(): Buffer | undefined;
  /** `count` bytes were read into the buffer target() returned. */
  inPlace(count: number): void;
}

export class SocketReads {
  private receiver: ReadReceiver | undefined;
  /** Reads that came before a receiver was attached (copied: the buffer is reused). */
  private readonly early: Buffer[] = [];
  private readonly buffer = Buffer.allocUnsafeSlow(READ_BYTES);

  /**
   * For `onread`: Node calls `callback` with the buffer it read into, then `buffer()` for where
   * the next read goes (a function there is asked after every read).
   */
  readonly onread = {
    buffer: (): Buffer => this.receiver?.target() ?? this.buffer,
    callback: (bytesRead: number, into: Uint8Array): boolean => {
      const receiver = this.receiver;
      if (into !== this.buffer && receiver) receiver.inPlace(bytesRead);
      else if (receiver) receiver.bytes(this.buffer.subarray(0, bytesRead));
      else this.early.push(Buffer.from(this.buffer.subarray(0, bytesRead)));
      return true;
    },
  };

  /** From now on every read goes to `receiver`. */
  attach(receiver: ReadReceiver): void {
    this.receiver = receiver;
    for (const bytes of this.early.splice(0)) receiver.bytes(bytes);
  }
}
