/**
 * graphql-ws `next` frames as finished WebSocket bytes. A server's frames are not masked, so the
 * bytes of one frame are the same for every socket: a shared payload is encoded to UTF-8 once,
 * framed once per operation id, and the same Buffer is written to every socket whose subscription
 * has that id (clients that number their operations share a few ids).
 */

/** FIN + text opcode: every frame here is one complete text message. */
const FIN_TEXT = 0x81;
const NEXT_TAIL = Buffer.from('}');
/** Distinct ids whose whole frames a payload keeps (the popular ones come first). */
const FRAMED_IDS = 4;

/** Whom a `next` frame is for: an operation id, and its head from `nextHead` (made once per member). */
export interface NextAddress {
  readonly id: string;
  readonly head: Buffer;
}

/** The UTF-8 bytes of `{"id":<id>,"type":"next","payload":` for one operation id. */
export function nextHead(id: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
}

/** The WebSocket header of an unmasked text frame of `length` bytes. */
function frameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([FIN_TEXT, length]);
  if (length < 65536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = FIN_TEXT;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = FIN_TEXT;
  header[1] = 127;
  header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  header.writeUInt32BE(length >>> 0, 6);
  return header;
}

/** One serialized result (the `payload` of `next` frames), shared by every member that sends it. */
export class SharedPayload {
  private bytesCache: Buffer | null = null;
  private readonly ids: string[] = [];
  private readonly frames: Buffer[] = [];

  constructor(readonly text: string) {}

  /** The payload's UTF-8 bytes, encoded on first use. */
  get bytes(): Buffer {
    return (this.bytesCache ??= Buffer.from(this.text));
  }

  /**
   * The whole frame for `to`. The first few ids get theirs built once and kept; any other id gets
   * a fresh copy of the payload's bytes behind its head (a copy, not another UTF-8 encoding).
   */
  frameFor(to: NextAddress): Buffer {
    const ids = this.ids;
    for (let i = 0; i < ids.length; i++) if (ids[i] === to.id) return this.frames[i]!;
    const frame = this.frame(to.head);
    if (ids.length < FRAMED_IDS) {
      ids.push(to.id);
      this.frames.push(frame);
    }
    return frame;
  }

  private frame(head: Buffer): Buffer {
    const body = this.bytes;
    const length = head.length + body.length + NEXT_TAIL.length;
    const header = frameHeader(length);
    const frame = Buffer.allocUnsafe(header.length + length);
    header.copy(frame, 0);
    head.copy(frame, header.length);
    body.copy(frame, header.length + head.length);
    frame[frame.length - 1] = NEXT_TAIL[0]!;
    return frame;
  }
}
