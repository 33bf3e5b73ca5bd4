import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtoError, ProtoWriter, readFields } from "../../src/ddns/_proto.js";

const fieldsOf = (buf: Buffer) => {
  const out: [number, number | string][] = [];
  readFields(buf, (f, v) => out.push([f, typeof v === "number" ? v : v.toString("hex")]));
  return out;
};

describe("protobuf wire format", () => {
  it.each([
    [0, "0800"],
    [1, "0801"],
    [127, "087f"],
    [128, "088001"],
    [300, "08ac02"],
    [2 ** 31, "0880808080 08".replace(/ /g, "")],
    [2 ** 40 + 5, "088580808080 20".replace(/ /g, "")],
  ])("writes the varint %s as protobuf does", (v, hex) => {
    const buf = new ProtoWriter().uint(1, v).finish();
    expect(buf.toString("hex")).toBe(hex);
    expect(fieldsOf(buf)).toEqual([[1, v]]);
  });

  it("writes int64 strings (etcd revisions), zero values, bools, bytes and nested messages", () => {
    const inner = new ProtoWriter().bytes(1, "key").uint(6, "1234567890123");
    const buf = new ProtoWriter().uint(4, "0").bool(8, true).bool(9, false).bytes(3, Buffer.from([0xff])).bytes(2, undefined).message(64, inner).finish();
    const fields = fieldsOf(buf);
    expect(fields.slice(0, 3)).toEqual([[4, 0], [8, 1], [3, "ff"]]);
    expect(fields[3]?.[0]).toBe(64);
    expect(fieldsOf(Buffer.from(fields[3]?.[1] as string, "hex"))).toEqual([[1, Buffer.from("key").toString("hex")], [6, 1234567890123]]);
  });

  it("grows its buffer for large fields", () => {
    const big = Buffer.alloc(100_000, 7);
    const buf = new ProtoWriter().bytes(2, big).uint(3, 1).finish();
    const seen: (number | Buffer)[] = [];
    readFields(buf, (_, v) => seen.push(v));
    expect(Buffer.compare(seen[0] as Buffer, big)).toBe(0);
    expect(seen[1]).toBe(1);
  });

  it("skips fixed-width fields and refuses malformed messages", () => {
    expect(fieldsOf(Buffer.from("0901020304050607081005", "hex"))).toEqual([[2, 5]]);
    for (const hex of ["08", "0a05aabb", "08ffffffffffffffffffff01", "0f"]) {
      expect(() => readFields(Buffer.from(hex, "hex"), () => undefined)).toThrow(ProtoError);
    }
  });

  it("reads any byte string without throwing anything but ProtoError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          readFields(Buffer.from(bytes), () => undefined);
        } catch (e) {
          if (!(e instanceof ProtoError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
