// A dialed socket reads into one buffer of its own, reused for every read (net.connect's
// `onread`), instead of a fresh allocation per read. This is safe because FrameDecoder copies
// out whatever it keeps before push() returns. Only dialed sockets: Node's server sockets take
// no `onread`, and they carry only small requests anyway.
const READ_BYTES = 64 * 1024;

export class ReusedReadBuffer {
  private receiver: ((bytes: Buffer) => void) | undefined;
  /** Reads that came before a receiver was attached (copied: the buffer is reused). */
  private readonly early: Buffer[] = [];
  private readonly buffer = Buffer.allocUnsafeSlow(READ_BYTES);

  /** For `net.connect({ onread })`. */
  readonly onread = {
    buffer: this.buffer,
    callback: (bytesRead: number): boolean => {
      const bytes = this.buffer.subarray(0, bytesRead);
      if (this.receiver) this.receiver(bytes);
      else this.early.push(Buffer.from(bytes));
      return true;
    },
  };

  /** From now on every read goes to `receiver`, which must not keep the buffer it is given. */
  attach(receiver: (bytes: Buffer) => void): void {
    this.receiver = receiver;
    for (const bytes of this.early.splice(0)) receiver(bytes);
  }
}
