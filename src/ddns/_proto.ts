/**
 * The Protocol Buffers wire format, as far as etcd's KV and Auth messages need it: varints and length-delimited
 * fields. A generated client would bring a runtime and a schema compiler for a dozen fields.
 */
const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(128);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private varint(v: number | bigint): void {
    this.room(10);
    if (typeof v === "number" && v >= 0 && v <= 0x7fffffff) {
      while (v > 0x7f) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.len++] = v;
      return;
    }
    // int64 fields (revisions, limits) beyond 31 bits; negative values are 10 octets of two's complement.
    let b = BigInt.asUintN(64, BigInt(v));
    while (b > 0x7fn) {
      this.buf[this.len++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    this.buf[this.len++] = Number(b);
  }

  /** A varint field; a value of 0 is still written (etcd's oneof compare targets need it). */
  uint(field: number, v: number | bigint | string): this {
    this.varint((field << 3) | Wire.Varint);
    this.varint(typeof v === "string" ? BigInt(v) : v);
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    return v === true ? this.uint(field, 1) : this;
  }

  bytes(field: number, v: Buffer | string | undefined): this {
    if (v === undefined) return this;
    const b = typeof v === "string" ? Buffer.from(v) : v;
    this.varint((field << 3) | Wire.Bytes);
    this.varint(b.length);
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
    return this;
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export class ProtoError extends Error {}

/**
 * Calls `onField` for each field of a message: varints as numbers (etcd's revisions stay far below 2^53), length-
 * delimited fields as views into `buf`. Fixed-width fields are skipped; anything malformed throws.
 */
export function readFields(buf: Buffer, onField: (field: number, value: number | Buffer) => void): void {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= buf.length) throw new ProtoError("truncated varint");
      const b = buf[at++] as number;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw new ProtoError("varint longer than 10 octets");
  };
  while (at < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case Wire.Varint:
        onField(field, varint());
        break;
      case Wire.Bytes: {
        const n = varint();
        if (at + n > buf.length) throw new ProtoError("field runs past the message");
        onField(field, buf.subarray(at, at + n));
        at += n;
        break;
      }
      case Wire.Fixed64:
        at += 8;
        break;
      case Wire.Fixed32:
        at += 4;
        break;
      default:
        throw new ProtoError(`unknown wire type ${tag & 7}`);
    }
  }
  if (at !== buf.length) throw new ProtoError("field runs past the message");
}
