import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { describe, expect, it } from "vitest";
import type { TsigAlgorithm } from "../../src/ddns/config.js";
import { parseMessage, TYPE, WireWriter } from "../../src/ddns/_wire.js";
import { appendTsig, fullMacLength, tsigKey, TSIG_ERROR, verifyRequest, verifyResponse } from "../../src/ddns/tsig.js";
import { buildUpdate, ipv4, KEY } from "./_client.js";
import { SECRET } from "./_fixture.js";

/**
 * A request signed by BIND 9.18's nsupdate (hmac-sha256, key ddns-key, the secret in _fixture.ts), captured off the
 * wire: a prerequisite, an A and a TXT add, with compressed names. Time Signed 1795645578, fudge 300.
 */
const BIND_VECTOR = Buffer.from(
  "284828000001000100020001036c61620474657374000006000106766563746f72c00c00ff00fe000000000000c01a000100010000012c0004" +
    "0a630007c01a001000010000012c00060568656c6c6f0864646e732d6b65790000fa00ff00000000003d0b686d61632d7368613235360000" +
    "006b07608a012c002008a7e23eb81c2ff8f226648ba7c5a34221d113bf3da97089e5f95bfa9f6326f5284800000000",
  "hex",
);
const VECTOR_TIME = 1795645578;

describe("TSIG verification (RFC 8945)", () => {
  it("accepts BIND's signature at its time and within the fudge", () => {
    for (const now of [VECTOR_TIME, VECTOR_TIME - 300, VECTOR_TIME + 300]) {
      expect(verifyRequest(parseMessage(BIND_VECTOR), KEY, now).kind).toBe("ok");
    }
  });

  it("BADTIME outside the fudge, but only after the MAC verified", () => {
    expect(verifyRequest(parseMessage(BIND_VECTOR), KEY, VECTOR_TIME + 301).kind).toBe("badtime");
    expect(verifyRequest(parseMessage(BIND_VECTOR), KEY, VECTOR_TIME - 301).kind).toBe("badtime");
    const flipped = Buffer.from(BIND_VECTOR);
    flipped[40] = (flipped[40] ?? 0) ^ 1;
    const v = verifyRequest(parseMessage(flipped), KEY, VECTOR_TIME + 1000);
    expect(v.kind === "reject" && v.error).toBe(TSIG_ERROR.BADSIG);
  });

  it("BADSIG for every single-bit change of the signed part, and for a wrong secret", () => {
    const tsigStart = BIND_VECTOR.indexOf(Buffer.from("0864646e732d6b6579", "hex"));
    for (let i = 2; i < tsigStart; i += 7) {
      const b = Buffer.from(BIND_VECTOR);
      b[i] = (b[i] ?? 0) ^ 0x10;
      let kind: string;
      try {
        const v = verifyRequest(parseMessage(b), KEY, VECTOR_TIME);
        kind = v.kind === "reject" ? `reject${v.error}` : v.kind;
      } catch {
        kind = "unparseable";
      }
      expect(["reject16", "unparseable", "formerr", "unsigned"], `byte ${i}`).toContain(kind);
    }
    const wrong = tsigKey("ddns-key", "hmac-sha256", Buffer.alloc(32, 1));
    const v = verifyRequest(parseMessage(BIND_VECTOR), wrong, VECTOR_TIME);
    expect(v.kind === "reject" && v.error).toBe(TSIG_ERROR.BADSIG);
  });

  it("BADKEY for another key name or another algorithm", () => {
    for (const key of [tsigKey("other-key", "hmac-sha256", KEY.secret), tsigKey("ddns-key", "hmac-sha512", KEY.secret)]) {
      const v = verifyRequest(parseMessage(BIND_VECTOR), key, VECTOR_TIME);
      expect(v.kind === "reject" && v.error).toBe(TSIG_ERROR.BADKEY);
    }
  });

  const body = () => buildUpdate({ zone: "lab.test", updates: [{ name: "t.lab.test", type: TYPE.A, ttl: 60, rdata: ipv4("10.99.0.1") }] });

  it("MAC truncation: at least max(10, half the hash) octets is accepted, shorter or longer than the hash is FORMERR", () => {
    const now = 1_800_000_000;
    for (const [len, kind] of [[32, "ok"], [16, "ok"], [15, "formerr"], [10, "formerr"], [1, "formerr"]] as const) {
      const { message } = appendTsig(body(), KEY, { time: now, macLength: len });
      expect(verifyRequest(parseMessage(message), KEY, now).kind, `MAC of ${len}`).toBe(kind);
    }
    // A MAC longer than SHA-256's output: build the TSIG RDATA by hand.
    const alg = new WireWriter().name(["hmac-sha256"]).toBuffer();
    const rdata = new WireWriter().bytes(alg).u48(now).u16(300).u16(40).bytes(Buffer.alloc(40, 7)).u16(4242).u16(0).u16(0).toBuffer();
    const msg = Buffer.concat([body(), new WireWriter().rr(["ddns-key"], TYPE.TSIG, 255, 0, rdata).toBuffer()]);
    msg.writeUInt16BE(1, 10);
    expect(verifyRequest(parseMessage(msg), KEY, now).kind).toBe("formerr");
  });

  it("a TSIG that is not the last additional record is FORMERR; no TSIG is unsigned", () => {
    const now = 1_800_000_000;
    const { message } = appendTsig(body(), KEY, { time: now });
    const opt = new WireWriter().rr([], TYPE.OPT, 1232, 0, Buffer.alloc(0)).toBuffer();
    const moved = Buffer.concat([message, opt]);
    moved.writeUInt16BE(2, 10);
    expect(verifyRequest(parseMessage(moved), KEY, now).kind).toBe("formerr");
    expect(verifyRequest(parseMessage(body()), KEY, now).kind).toBe("unsigned");
  });

  it.each(["hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"] as TsigAlgorithm[])("%s: sign, verify, and a signed response verifies against the request MAC", (alg) => {
    const key = tsigKey("k.example", alg, Buffer.from(SECRET, "base64"));
    const now = 1_800_000_000;
    const { message, mac } = appendTsig(body(), key, { time: now });
    expect(mac.length).toBe(fullMacLength(alg));
    const v = verifyRequest(parseMessage(message), key, now);
    expect(v.kind).toBe("ok");
    const response = Buffer.from(body());
    response.writeUInt16BE(0xa800, 2);
    const signed = appendTsig(response, key, { time: now, requestMac: mac }).message;
    expect(verifyResponse(parseMessage(signed), key, mac)).toBeDefined();
    expect(verifyResponse(parseMessage(signed), key, Buffer.alloc(mac.length))).toBeUndefined();
  });

  it.each(["hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"])("verifies what nsupdate signs with %s", async (alg) => {
    const captured = await new Promise<Buffer>((resolve, reject) => {
      const s = createSocket("udp4");
      const timer = setTimeout(() => reject(new Error("nsupdate sent nothing")), 5000);
      s.bind(0, "127.0.0.1", () => {
        const port = s.address().port;
        s.once("message", (m) => {
          clearTimeout(timer);
          s.close();
          p.kill();
          resolve(m);
        });
        const p = spawn("nsupdate", ["-y", `${alg}:ddns-key:${SECRET}`, "-t", "1"], { stdio: ["pipe", "ignore", "ignore"] });
        p.stdin.end(`server 127.0.0.1 ${port}\nzone lab.test.\nupdate add x.lab.test. 60 A 10.99.0.1\nsend\n`);
      });
    });
    const key = tsigKey("ddns-key", alg as TsigAlgorithm, Buffer.from(SECRET, "base64"));
    expect(verifyRequest(parseMessage(captured), key, Math.floor(Date.now() / 1000)).kind).toBe("ok");
  });
});
