import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from "node:http2";
import { ProtoWriter, readFields } from "./_proto.js";

/**
 * A minimal etcd v3 client: unary gRPC calls (`KV/Txn`, `KV/Range`, `Auth/Authenticate`) over one HTTP/2
 * connection, with the few protobuf messages written by hand. Measured here against Debian's etcd 3.4 for a
 * compare-and-put: etcd spends about 270 µs of CPU per transaction on gRPC against about 700 µs on its JSON
 * gateway, which translates every call into a loopback gRPC call; the npm `etcd3` client (grpc-js) cost the
 * daemon twice the CPU and memory of this one. etcd's CPU per update is most of what the benchmark against Knot
 * measures.
 */
export type CompareTarget = "VERSION" | "CREATE" | "MOD" | "VALUE";
export type CompareResult = "EQUAL" | "GREATER" | "LESS" | "NOT_EQUAL";

export interface Compare {
  readonly key: Buffer;
  readonly range_end?: Buffer;
  readonly target: CompareTarget;
  readonly result: CompareResult;
  readonly mod_revision?: string;
  readonly version?: string;
}

export type RequestOp =
  | { readonly request_range: { readonly key: Buffer; readonly range_end?: Buffer; readonly limit?: number; readonly keys_only?: boolean } }
  | { readonly request_put: { readonly key: Buffer; readonly value: Buffer } }
  | { readonly request_delete_range: { readonly key: Buffer; readonly range_end?: Buffer } };

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly mod_revision: string;
}

export interface RangeResponse {
  readonly kvs: KeyValue[];
  readonly more: boolean;
}

export interface TxnResponse {
  readonly revision: string;
  readonly succeeded: boolean;
  readonly responses: ({ response_range?: RangeResponse } | Record<string, unknown>)[];
}

export interface EtcdClientOptions {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly auth?: { readonly username: string; readonly password: string };
  /** How long a refused login is remembered before the next attempt. @default 1000 */
  readonly authRetryMs?: number;
}

export class EtcdError extends Error {
  constructor(
    message: string,
    /** gRPC status code from etcd's error body, or undefined for transport failures. */
    readonly code?: number,
    /** The connection was reset before an answer: safe to send again once (every write is guarded by compares). */
    readonly reset = false,
    /**
     * etcd refused the login (wrong or rotated password, unknown user): unlike a refused request, no call can work
     * until someone changes the credentials, so this counts as etcd being down.
     */
    readonly auth = false,
  ) {
    super(message);
  }
}

const COMPARE_TARGET: Record<CompareTarget, number> = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3 };
const COMPARE_RESULT: Record<CompareResult, number> = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 };
/** etcd's field numbers for the compare's target value (a oneof). */
const COMPARE_VALUE_FIELD = { version: 4, mod_revision: 6 } as const;

function encodeCompare(c: Compare): ProtoWriter {
  const w = new ProtoWriter().uint(1, COMPARE_RESULT[c.result]).uint(2, COMPARE_TARGET[c.target]).bytes(3, c.key);
  if (c.version !== undefined) w.uint(COMPARE_VALUE_FIELD.version, c.version);
  if (c.mod_revision !== undefined) w.uint(COMPARE_VALUE_FIELD.mod_revision, c.mod_revision);
  return w.bytes(64, c.range_end);
}

function encodeRange(r: { key: Buffer; range_end?: Buffer; limit?: number; keys_only?: boolean }): ProtoWriter {
  const w = new ProtoWriter().bytes(1, r.key).bytes(2, r.range_end);
  if (r.limit) w.uint(3, r.limit);
  return w.bool(8, r.keys_only);
}

function encodeOp(op: RequestOp): ProtoWriter {
  if ("request_range" in op) return new ProtoWriter().message(1, encodeRange(op.request_range));
  if ("request_put" in op) return new ProtoWriter().message(2, new ProtoWriter().bytes(1, op.request_put.key).bytes(2, op.request_put.value));
  const d = op.request_delete_range;
  return new ProtoWriter().message(3, new ProtoWriter().bytes(1, d.key).bytes(2, d.range_end));
}

/** ResponseHeader.revision (field 3) of a response's header (field 1). */
function revisionOf(header: Buffer): string {
  let revision = 0;
  readFields(header, (f, v) => {
    if (f === 3 && typeof v === "number") revision = v;
  });
  return String(revision);
}

function decodeKv(buf: Buffer): KeyValue {
  let key = Buffer.alloc(0);
  let value = Buffer.alloc(0);
  let mod = 0;
  readFields(buf, (f, v) => {
    if (f === 1 && Buffer.isBuffer(v)) key = Buffer.from(v);
    else if (f === 3 && typeof v === "number") mod = v;
    else if (f === 5 && Buffer.isBuffer(v)) value = Buffer.from(v);
  });
  return { key, value, mod_revision: String(mod) };
}

function decodeRange(buf: Buffer): RangeResponse & { revision: string } {
  const kvs: KeyValue[] = [];
  let more = false;
  let revision = "0";
  readFields(buf, (f, v) => {
    if (f === 1 && Buffer.isBuffer(v)) revision = revisionOf(v);
    else if (f === 2 && Buffer.isBuffer(v)) kvs.push(decodeKv(v));
    else if (f === 3) more = v === 1;
  });
  return { kvs, more, revision };
}

function decodeTxn(buf: Buffer): TxnResponse {
  let revision = "0";
  let succeeded = false;
  const responses: TxnResponse["responses"] = [];
  readFields(buf, (f, v) => {
    if (f === 1 && Buffer.isBuffer(v)) revision = revisionOf(v);
    else if (f === 2) succeeded = v === 1;
    else if (f === 3 && Buffer.isBuffer(v)) {
      let op: TxnResponse["responses"][number] = {};
      readFields(v, (g, w) => {
        if (g === 1 && Buffer.isBuffer(w)) op = { response_range: decodeRange(w) };
      });
      responses.push(op);
    }
  });
  return { revision, succeeded, responses };
}

/** gRPC's length-prefixed message: a compression flag (0) and a four-octet length. */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

function unframe(body: Buffer): Buffer {
  if (body.length < 5 || body[0] !== 0) throw new EtcdError("etcd sent a gRPC message h5b cannot read");
  const n = body.readUInt32BE(1);
  if (body.length < 5 + n) throw new EtcdError("etcd sent a truncated gRPC message");
  return body.subarray(5, 5 + n);
}

/**
 * The largest answer read from etcd, as gRPC clients' default receive limit: a read of a name is bounded by a key
 * count, not by the size of the values, which a foreign writer decides. Past it the call is cancelled.
 */
export const MAX_ANSWER_BYTES = 4 << 20;

/** gRPC's status for a message over the receive limit. */
const RESOURCE_EXHAUSTED = 8;

/** Errors after which the same call may be sent once more on a fresh connection: the old one died under it. */
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_INVALID_SESSION", "ERR_HTTP2_SESSION_ERROR"]);

/** gRPC statuses etcd answers when it cannot serve anything right now (no leader, its own timeout). */
export const UNAVAILABLE = 14;
export const DEADLINE_EXCEEDED = 4;

export class EtcdClient {
  private session: ClientHttp2Session | undefined;
  private endpoint = 0;
  private token: string | undefined;
  private authenticating: Promise<string> | undefined;
  /** A refused login, returned to every call until `until`: each attempt costs etcd a bcrypt (about 60 ms of CPU). */
  private authFailed: { readonly error: EtcdError; readonly until: number } | undefined;
  /** Answers seen per connection, to tell a dead connection from a slow etcd when a call times out. */
  private readonly heard = new WeakMap<ClientHttp2Session, number>();
  private closed = false;

  constructor(private readonly opts: EtcdClientOptions) {}

  /** The open connection, or a new one to the current endpoint; calls made while it connects wait for it. */
  private connection(): ClientHttp2Session {
    const open = this.session;
    if (open !== undefined && !open.closed && !open.destroyed) return open;
    const url = this.opts.endpoints[this.endpoint % this.opts.endpoints.length] as string;
    const tls = this.opts.tls;
    const s = connect(url, tls === undefined ? {} : { ca: tls.ca, ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) });
    const forget = () => {
      if (this.session === s) this.session = undefined;
    };
    // Failures reach the calls through their streams; the connection itself is just dropped and made again.
    s.on("error", forget);
    s.on("goaway", forget);
    s.on("close", forget);
    this.session = s;
    return s;
  }

  /** Leaves a connection that failed: the next call connects afresh, to the next endpoint. */
  private abandon(s: ClientHttp2Session): void {
    if (this.session === s) {
      this.session = undefined;
      this.endpoint++;
    }
    if (!s.destroyed) s.destroy();
  }

  /** One unary call: resolves to the response message, rejects with an {@link EtcdError}. */
  private unary(path: string, message: Buffer, token: string | undefined): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      // Set once the request is under way; a connection that fails before it settles without one.
      let timer: NodeJS.Timeout | undefined;
      const settle = (e: EtcdError | undefined, body?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e !== undefined) reject(e);
        else resolve(body as Buffer);
      };
      if (this.closed) {
        settle(new EtcdError("etcd client closed"));
        return;
      }
      let session: ClientHttp2Session;
      try {
        session = this.connection();
      } catch (e) {
        // connect() throws only for an endpoint it cannot use at all (a malformed URL): try the next one next time.
        this.endpoint++;
        settle(new EtcdError(`etcd unreachable: ${(e as Error).message}`));
        return;
      }
      const stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${this.opts.timeoutMs}m`,
        ...(token !== undefined ? { token } : {}),
      });
      const heardAtSend = this.heard.get(session) ?? 0;
      const hear = () => this.heard.set(session, (this.heard.get(session) ?? 0) + 1);
      timer = setTimeout(() => {
        settle(new EtcdError(`etcd did not answer within ${this.opts.timeoutMs} ms`));
        stream.close(constants.NGHTTP2_CANCEL);
        // Nothing at all came back on the connection since this call went out: it is dead or frozen, even with one
        // endpoint (a NAT or proxy that lost its state keeps it open for as long as the kernel retransmits, about
        // 15 minutes, and no error ever comes). It is left with the calls still on it, which are sent again on the
        // next one. A connection that answered other calls meanwhile serves a slow etcd, and stays; a connection
        // is only left for a call sent on it that timed out, so it lived at least one timeout: a slow etcd costs at
        // most one reconnection per timeout. No HTTP/2 PING on idle connections: etcd (grpc-go) counts a ping
        // without calls in flight as abuse unless two hours apart, and closes the connection after three.
        if ((this.heard.get(session) ?? 0) === heardAtSend) this.abandon(session);
      }, this.opts.timeoutMs);
      const chunks: Buffer[] = [];
      let status: IncomingHttpHeaders | undefined;
      // A failed call may answer with headers only ("trailers-only"), or with trailers after the body.
      let httpStatus: number | undefined;
      const grpcStatus = (h: IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) status = h;
      };
      stream.on("response", (h) => {
        hear();
        httpStatus = h[":status"];
        grpcStatus(h);
      });
      stream.on("trailers", grpcStatus);
      let received = 0;
      stream.on("data", (c: Buffer) => {
        hear();
        received += c.length;
        if (received <= MAX_ANSWER_BYTES + 5) chunks.push(c);
        else if (!settled) {
          chunks.length = 0;
          settle(new EtcdError(`etcd: an answer larger than ${MAX_ANSWER_BYTES >> 20} MiB`, RESOURCE_EXHAUSTED));
          stream.close(constants.NGHTTP2_CANCEL);
        }
      });
      stream.on("end", () => {
        const code = Number(status?.["grpc-status"] ?? -1);
        if (code !== 0) {
          const raw = status?.["grpc-message"];
          const text = typeof raw === "string" ? decodeURIComponent(raw) : code >= 0 ? `gRPC status ${code}` : `an answer without a gRPC status (HTTP ${String(status?.[":status"] ?? httpStatus ?? "?")}); is this etcd?`;
          settle(new EtcdError(`etcd: ${text}`, code >= 0 ? code : undefined));
          return;
        }
        try {
          settle(undefined, unframe(Buffer.concat(chunks)));
        } catch (e) {
          settle(e instanceof EtcdError ? e : new EtcdError(String(e)));
        }
      });
      stream.on("error", (err: Error & { code?: string; cause?: { code?: string } }) => {
        // A call cancelled because its connection failed carries the connection's error as the cause.
        const e = err.cause?.code !== undefined ? err.cause : err;
        const reset = e.code !== undefined && RESET_CODES.has(e.code);
        // A connection that could not be made moves the next call on to the next endpoint.
        if (!reset) this.abandon(session);
        settle(new EtcdError(`etcd unreachable: ${e.code ?? err.message}`, undefined, reset));
      });
      // Every call closes; only one that has not settled by then lost its answer (an error captures a stack: not
      // one per call).
      stream.on("close", () => {
        if (!settled) settle(new EtcdError("etcd closed the call without an answer", undefined, true));
      });
      stream.end(frame(message));
    });
  }

  private async authToken(): Promise<string | undefined> {
    const auth = this.opts.auth;
    if (auth === undefined) return undefined;
    if (this.token !== undefined) return this.token;
    const failed = this.authFailed;
    if (failed !== undefined && performance.now() < failed.until) throw failed.error;
    this.authenticating ??= (async () => {
      let answer: Buffer;
      try {
        answer = await this.unary("/etcdserverpb.Auth/Authenticate", new ProtoWriter().bytes(1, auth.username).bytes(2, auth.password).finish(), undefined);
      } catch (e) {
        if (e instanceof EtcdError && e.code !== undefined) {
          // etcd unable to answer at all is an outage like any other, tried again at once; anything else is its
          // verdict on the credentials. The password never goes into an error message.
          const refused = e.code !== UNAVAILABLE && e.code !== DEADLINE_EXCEEDED;
          const error = new EtcdError(`etcd authentication as ${auth.username} failed (${e.message})`, e.code, false, refused);
          if (refused) this.authFailed = { error, until: performance.now() + (this.opts.authRetryMs ?? 1000) };
          throw error;
        }
        throw e;
      }
      this.authFailed = undefined;
      let token: string | undefined;
      readFields(answer, (f, v) => {
        if (f === 2 && Buffer.isBuffer(v)) token = v.toString("utf8");
      });
      if (token === undefined) throw new EtcdError(`etcd authentication as ${auth.username} gave no token`);
      return token;
    })().finally(() => {
      this.authenticating = undefined;
    });
    this.token = await this.authenticating;
    return this.token;
  }

  /** A call with the auth token: one re-authentication when the token has expired, one resend after a reset. */
  private async call(path: string, message: Buffer): Promise<Buffer> {
    let resent = false;
    let reauthenticated = false;
    for (;;) {
      const token = await this.authToken();
      try {
        return await this.unary(path, message, token);
      } catch (e) {
        if (!(e instanceof EtcdError)) throw e;
        // A transaction whose first copy did apply fails its compares the second time, and the engine then
        // re-reads: resending cannot apply an update twice.
        if (e.reset && !resent) {
          resent = true;
          continue;
        }
        if (token !== undefined && !reauthenticated && e.code !== undefined && /token/i.test(e.message)) {
          reauthenticated = true;
          this.token = undefined;
          continue;
        }
        throw e;
      }
    }
  }

  async txn(compare: readonly Compare[], success: readonly RequestOp[]): Promise<TxnResponse> {
    const w = new ProtoWriter();
    for (const c of compare) w.message(1, encodeCompare(c));
    for (const op of success) w.message(2, encodeOp(op));
    return decodeTxn(await this.call("/etcdserverpb.KV/Txn", w.finish()));
  }

  async range(key: Buffer, rangeEnd?: Buffer, opts: { limit?: number; keysOnly?: boolean } = {}): Promise<RangeResponse & { revision: string }> {
    const req = encodeRange({ key, ...(rangeEnd ? { range_end: rangeEnd } : {}), ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.keysOnly ? { keys_only: true } : {}) });
    return decodeRange(await this.call("/etcdserverpb.KV/Range", req.finish()));
  }

  /**
   * Drops the connection at once. Not session.close(): that sends GOAWAY and waits for the calls on it and for the
   * peer, and a peer that hangs never answers, so its socket kept the process alive after "ddns stopped" until
   * systemd killed it. The daemon closes the client after the engine has settled every update; a call still
   * running (a health probe) fails, and later calls fail at once rather than connect again.
   */
  close(): void {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    s?.destroy();
  }
}
