import { nameText, type Labels } from "./_names.js";
import { appendOpt, EDNS_VERSION, ednsOf } from "./edns.js";
import { OPCODE, parseMessage, TYPE, WireError, WireWriter, writeHeader, type WireMessage } from "./_wire.js";
import type { UpdateEngine } from "./engine.js";
import { RCODE, rcodeName, type Rcode } from "./rcode.js";
import { appendTsig, TSIG_ERROR, verifyRequest, type ReplayGuard, type TsigKey, type TsigRecord, type TsigVerdict } from "./tsig.js";
import { checkUpdate, type Zone } from "./update.js";

/** One handled request, for the log line and the metrics. */
export interface UpdateLog {
  readonly client: string;
  readonly key: string;
  readonly zone: string;
  readonly names: readonly string[];
  readonly opcode: number;
  readonly result: string;
  readonly tsigError?: string;
  readonly reason: string;
  readonly ms: number;
}

export interface HandlerContext {
  readonly key: TsigKey;
  /** The key's memory of accepted requests (replay protection); one per key and daemon. */
  readonly replay: ReplayGuard;
  readonly zones: readonly Zone[];
  readonly engine: UpdateEngine;
  /** Seconds since the epoch (injectable so tests can check the fudge window). */
  readonly now: () => number;
  /** Updates currently waiting for etcd; past `maxInFlight` new ones get SERVFAIL at once. */
  readonly inFlight: { count: number; readonly max: number };
}

export interface Handled {
  /** Undefined: send nothing (responses, and packets too short to answer). */
  readonly response?: Buffer;
  readonly log?: UpdateLog;
}

const TSIG_ERROR_NAMES: Readonly<Record<number, string>> = { 16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC" };

function baseResponse(msg: WireMessage | { id: number; opcode: number; flags: number }, rcode: Rcode, zone?: { name: Labels; type: number; class: number }): Buffer {
  const w = new WireWriter();
  // RD is echoed as RFC 1035 asks; AA is not set on UPDATE responses.
  writeHeader(w, { id: msg.id, qr: true, opcode: msg.opcode, rcode, flags: msg.flags & 0x0100, counts: [zone ? 1 : 0, 0, 0, 0] });
  if (zone) w.name(zone.name).u16(zone.type).u16(zone.class);
  return w.toBuffer();
}

/**
 * Turns one request into one response. Order of checks: parse (FORMERR), TSIG (RFC 8945 5.2: FORMERR, BADKEY,
 * BADSIG, BADTIME, all NOTAUTH except FORMERR), opcode (QUERY REFUSED, others NOTIMP), then RFC 2136.
 */
export async function handleMessage(buf: Buffer, client: string, ctx: HandlerContext): Promise<Handled> {
  const started = performance.now();
  if (buf.length < 12) return {};
  const flags = buf.readUInt16BE(2);
  // Never answer a response: that is how two servers get into a loop.
  if ((flags & 0x8000) !== 0) return {};
  const header = { id: buf.readUInt16BE(0), opcode: (flags >> 11) & 0xf, flags };
  const log = (zone: string, names: readonly string[], rcode: number, reason: string, key = "-", tsigError?: number): UpdateLog => ({
    client,
    key,
    zone,
    names,
    opcode: header.opcode,
    result: rcodeName(rcode),
    ...(tsigError ? { tsigError: TSIG_ERROR_NAMES[tsigError] ?? String(tsigError) } : {}),
    reason,
    ms: Math.round((performance.now() - started) * 100) / 100,
  });

  let msg: WireMessage;
  try {
    msg = parseMessage(buf);
  } catch (e) {
    const reason = e instanceof WireError ? e.message : "unparseable";
    return { response: baseResponse(header, RCODE.FORMERR), log: log("-", [], RCODE.FORMERR, reason) };
  }
  const zoneQ = msg.questions.length === 1 ? msg.questions[0] : undefined;
  const edns = ednsOf(msg);
  // RFC 6891 7: a request with an OPT gets one back, whatever the answer (before the TSIG, which signs over it).
  const base = (rcode: Rcode): Buffer => {
    const response = baseResponse(msg, rcode, zoneQ);
    return edns.kind === "ok" ? appendOpt(response, rcode) : response;
  };
  const zoneText = zoneQ ? nameText(zoneQ.name) : "-";
  const verdict = verifyRequest(msg, ctx.key, ctx.now());
  const keyText = verdict.kind === "unsigned" || verdict.kind === "formerr" ? "-" : nameText(verdict.tsig.keyName);

  if (verdict.kind === "formerr") {
    return { response: base(RCODE.FORMERR), log: log(zoneText, [], RCODE.FORMERR, verdict.reason) };
  }
  if (verdict.kind === "reject") {
    const response = tsigError(base(RCODE.NOTAUTH), ctx, verdict.tsig, verdict.error, false);
    return { response, log: log(zoneText, [], RCODE.NOTAUTH, "TSIG verification failed", keyText, verdict.error) };
  }
  const badTime = (tsig: TsigRecord, reason: string): Handled => {
    const response = tsigError(base(RCODE.NOTAUTH), ctx, tsig, TSIG_ERROR.BADTIME, true);
    return { response, log: log(zoneText, [], RCODE.NOTAUTH, reason, keyText, TSIG_ERROR.BADTIME) };
  };
  if (verdict.kind === "badtime") return badTime(verdict.tsig, "TSIG time outside the fudge window");
  const sign = (response: Buffer): Buffer =>
    verdict.kind === "ok"
      ? appendTsig(response, ctx.key, {
          time: ctx.now(),
          fudge: verdict.tsig.fudge,
          requestMac: verdict.tsig.mac,
          macLength: verdict.tsig.mac.length,
        }).message
      : response;
  if (verdict.kind !== "ok") return answer(verdict);
  // Last of the TSIG checks, so that only requests that passed all the others are remembered.
  const admission = ctx.replay.admit(verdict.tsig, ctx.now());
  if (admission.kind === "stale") return badTime(verdict.tsig, admission.reason);
  if (admission.kind === "repeat") {
    // The same request again: kea-dhcp-ddns re-sending after a timeout (within the second, so with the same MAC), or
    // a replay. Either way the first one's answer, which it is waiting for or has lost, and nothing applied twice.
    const rcode = await admission.rcode;
    const reason = "a repeat of an accepted request: its answer again, nothing applied";
    return { ...(rcode !== undefined ? { response: sign(base(rcode as Rcode)) } : {}), log: log(zoneText, [], rcode ?? RCODE.SERVFAIL, reason, keyText) };
  }
  let handled: Handled | undefined;
  try {
    handled = await answer(verdict);
    return handled;
  } finally {
    // The log's result is the answer's rcode (an extended one included, which the header alone does not hold).
    const result = handled?.response !== undefined ? handled.log?.result : undefined;
    admission.settle(result !== undefined && result in RCODE ? RCODE[result as keyof typeof RCODE] : undefined);
  }

  async function answer(verdict: Exclude<TsigVerdict, { kind: "formerr" | "reject" | "badtime" }>): Promise<Handled> {
    // After the TSIG checks, so that these answers are signed like any other to a verified request.
    if (edns.kind === "formerr") return { response: sign(base(RCODE.FORMERR)), log: log(zoneText, [], RCODE.FORMERR, edns.reason, keyText) };
    if (edns.kind === "ok" && edns.version > EDNS_VERSION) {
      // RFC 6891 6.1.3: not processed at all.
      return { response: sign(base(RCODE.BADVERS)), log: log(zoneText, [], RCODE.BADVERS, `EDNS version ${edns.version} is not supported`, keyText) };
    }
    if (msg.opcode !== OPCODE.UPDATE) {
      const rcode = msg.opcode === OPCODE.QUERY ? RCODE.REFUSED : RCODE.NOTIMP;
      return { response: sign(base(rcode)), log: log(zoneText, [], rcode, "only UPDATE is served", keyText) };
    }
    if (verdict.kind === "unsigned") {
      return { response: base(RCODE.NOTAUTH), log: log(zoneText, [], RCODE.NOTAUTH, "unsigned update") };
    }
    const checked = checkUpdate(msg.questions, msg.answers, msg.authorities, ctx.zones);
    if (!checked.ok) {
      return { response: sign(base(checked.rcode)), log: log(zoneText, [], checked.rcode, checked.reason, keyText) };
    }
    const names = checked.update.names.map(nameText);
    if (ctx.inFlight.count >= ctx.inFlight.max) {
      return { response: sign(base(RCODE.SERVFAIL)), log: log(zoneText, names, RCODE.SERVFAIL, "too many updates in flight", keyText) };
    }
    ctx.inFlight.count++;
    let outcome;
    try {
      outcome = await ctx.engine.submit(checked.update);
    } finally {
      ctx.inFlight.count--;
    }
    return { response: sign(base(outcome.rcode)), log: log(zoneText, names, outcome.rcode, outcome.reason, keyText) };
  }
}

/** RFC 8945 5.3.2: BADKEY/BADSIG are answered with an unsigned TSIG; BADTIME with a signed one and our time. */
function tsigError(response: Buffer, ctx: HandlerContext, req: TsigRecord, error: number, signed: boolean): Buffer {
  const now = ctx.now();
  if (!signed) {
    const key: TsigKey = { name: req.keyName, algorithm: ctx.key.algorithm, secret: ctx.key.secret };
    return appendTsigRaw(response, key, req, error, now);
  }
  const other = new WireWriter().u48(now).toBuffer();
  return appendTsig(response, ctx.key, {
    time: req.timeSigned,
    fudge: req.fudge,
    error,
    other,
    requestMac: req.mac,
    macLength: req.mac.length,
  }).message;
}

/** An unsigned TSIG RR that echoes the request's key and algorithm names (which may be unknown to us). */
function appendTsigRaw(response: Buffer, key: TsigKey, req: TsigRecord, error: number, now: number): Buffer {
  const rdata = new WireWriter()
    .name(req.algorithm)
    .u48(now)
    .u16(req.fudge)
    .u16(0)
    .u16(response.readUInt16BE(0))
    .u16(error)
    .u16(0)
    .toBuffer();
  const rr = new WireWriter().rr(key.name, TYPE.TSIG, 255, 0, rdata).toBuffer();
  const out = Buffer.concat([response, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}
