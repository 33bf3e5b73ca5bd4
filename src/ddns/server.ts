import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { asUserError, systemErrorCode } from "../issue.js";

/** DNS transport: UDP datagrams and length-prefixed TCP (RFC 1035 4.2.2, RFC 7766), with hard size and count limits. */
export type MessageHandler = (message: Buffer, client: string, transport: "udp" | "tcp") => Promise<Buffer | undefined>;

export interface TransportLimits {
  readonly maxMessageSize: number;
  readonly maxTcpConnections: number;
  readonly tcpIdleTimeoutMs: number;
  /** Time from a frame's first octet to its last (see config.ts). */
  readonly tcpFrameTimeoutMs: number;
}

export interface TransportEvents {
  dropped?(): void;
  tcpRefused?(): void;
}

export interface BoundAddress {
  readonly address: string;
  readonly port: number;
  readonly udp: boolean;
  readonly tcp: boolean;
}

/** Frames a TCP connection may have queued before the daemon stops reading from it. */
const MAX_QUEUED_FRAMES = 16;

export class DnsTransport {
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: Server[] = [];
  private readonly conns = new Set<Socket>();
  private accepting = true;
  private pendingHandlers = 0;
  private drainWaiters: (() => void)[] = [];
  readonly bound: BoundAddress[] = [];

  constructor(
    private readonly handler: MessageHandler,
    private readonly limits: TransportLimits,
    private readonly events: TransportEvents = {},
  ) {}

  async listen(addrs: readonly { address: string; port: number; udp: boolean; tcp: boolean }[]): Promise<void> {
    for (const [i, a] of addrs.entries()) {
      // A taken port or an address the host does not have is the config's problem, said with its place in it.
      const port = await asUserError("ddns", "ddns-listen", `listen[${i}]`, `cannot listen on ${a.address} port ${a.port}`, () => this.bindRetrying(a));
      this.bound.push({ address: a.address, port, udp: a.udp, tcp: a.tcp });
    }
  }

  private async bindRetrying(a: { address: string; port: number; udp: boolean; tcp: boolean }): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bindPair(a.address, a.port, a.udp, a.tcp);
      } catch (e) {
        // With port 0 the UDP port is chosen first and TCP may find it taken; pick again.
        if (a.port !== 0 || attempt >= 10 || systemErrorCode(e) !== "EADDRINUSE") throw e;
      }
    }
  }

  private async bindPair(address: string, port: number, udp: boolean, tcp: boolean): Promise<number> {
    let actual = port;
    let sock: UdpSocket | undefined;
    if (udp) {
      sock = createSocket({ type: isIPv6(address) ? "udp6" : "udp4", ipv6Only: isIPv6(address) });
      const s = sock;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.bind(port, address, () => {
          s.off("error", reject);
          resolve();
        });
      });
      actual = s.address().port;
      // Bursts from a DHCP server restarting can exceed the default buffer (about 256 datagrams); ask for more
      // (the kernel caps it at net.core.rmem_max).
      try {
        s.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // Not fatal: the default buffer still works.
      }
      // rinfo.family, not isIPv6(address): that is a regular expression per datagram, and showed in the profile.
      s.on("message", (msg, rinfo) => this.onDatagram(s, msg, rinfo.address, rinfo.port, rinfo.family === "IPv6"));
      s.on("error", () => undefined);
    }
    if (tcp) {
      // Half-open: a client may shut its sending side after its last request (RFC 7766 6.2.2 lets it) and still
      // read the answers; with Node's default the socket was ended at once and the answers never sent.
      const server = createServer({ pauseOnConnect: false, allowHalfOpen: true }, (c) => this.onConnection(c));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ port: actual, host: address, ipv6Only: isIPv6(address) }, () => {
            server.off("error", reject);
            resolve();
          });
        });
      } catch (e) {
        sock?.close();
        throw e;
      }
      actual = (server.address() as { port: number }).port;
      this.tcp.push(server);
    }
    if (sock) this.udp.push(sock);
    return actual;
  }

  /** Counts one request received and not yet answered (close() waits for them); the release is idempotent. */
  private hold(): () => void {
    this.pendingHandlers++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.pendingHandlers === 0) {
        const w = this.drainWaiters;
        this.drainWaiters = [];
        for (const r of w) r();
      }
    };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    return p.finally(this.hold());
  }

  private onDatagram(sock: UdpSocket, msg: Buffer, address: string, port: number, v6: boolean): void {
    if (!this.accepting || msg.length > this.limits.maxMessageSize) {
      this.events.dropped?.();
      return;
    }
    const client = v6 ? `[${address}]:${port}` : `${address}:${port}`;
    // The send is part of the tracked work: close() must not shut the socket before the answer has left.
    void this.track(
      (async () => {
        const res = await this.handler(msg, client, "udp");
        if (res === undefined) {
          this.events.dropped?.();
          return;
        }
        await new Promise<void>((resolve) => sock.send(res, port, address, () => resolve()));
      })(),
    ).catch(() => this.events.dropped?.());
  }

  private onConnection(c: Socket): void {
    if (!this.accepting || this.conns.size >= this.limits.maxTcpConnections) {
      this.events.tcpRefused?.();
      c.destroy();
      return;
    }
    this.conns.add(c);
    c.on("close", () => this.conns.delete(c));
    c.on("error", () => undefined);
    c.setTimeout(this.limits.tcpIdleTimeoutMs, () => c.destroy());
    c.setNoDelay(true);
    const client = `${c.remoteAddress?.includes(":") ? `[${c.remoteAddress}]` : (c.remoteAddress ?? "?")}:${c.remotePort ?? 0}`;
    let buf: Buffer = Buffer.alloc(0);
    // Each frame is held from the moment it is complete, not from when its turn comes: close() answers every
    // request already received, the ones queued behind the one being handled too.
    const frames: { readonly frame: Buffer; readonly release: () => void }[] = [];
    let working = false;
    let ended = false;
    const deadline = frameDeadline(c, this.limits.tcpFrameTimeoutMs);
    // After the client's end, the frames already received are answered, then our side is closed too.
    const finishIfDone = () => {
      if (ended && !working && frames.length === 0 && !c.destroyed) c.end();
    };
    const work = async () => {
      if (working) return;
      working = true;
      while (frames.length > 0 && !c.destroyed) {
        const queued = frames.shift();
        if (queued === undefined) break;
        const answered = await (async () => {
          const res = await this.handler(queued.frame, client, "tcp");
          if (res === undefined) return false;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(res.length);
          await new Promise<void>((resolve) => c.write(Buffer.concat([len, res]), () => resolve()));
          return true;
        })()
          .catch(() => false)
          .finally(queued.release);
        if (!answered) this.events.dropped?.();
        if (frames.length < MAX_QUEUED_FRAMES && c.isPaused()) {
          c.resume();
          // The frame begun before the pause gets a whole deadline again: the wait was the daemon's, not the client's.
          deadline.update(buf.length > 0, true);
        }
      }
      working = false;
      finishIfDone();
    };
    c.on("data", (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let completed = 0;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        // A frame larger than the limit is never buffered: the connection is closed instead.
        if (len > this.limits.maxMessageSize || len === 0) {
          this.events.dropped?.();
          c.destroy();
          return;
        }
        if (buf.length < 2 + len) break;
        frames.push({ frame: Buffer.from(buf.subarray(2, 2 + len)), release: this.hold() });
        buf = buf.subarray(2 + len);
        completed++;
      }
      if (frames.length >= MAX_QUEUED_FRAMES) {
        // The daemon stops reading: no frame can be completed until it reads again, so its deadline waits too.
        c.pause();
        deadline.clear();
      } else deadline.update(buf.length > 0, completed > 0);
      void work();
    });
    c.on("end", () => {
      ended = true;
      finishIfDone();
    });
    c.on("close", () => {
      deadline.clear();
      // A connection gone (the client's doing, or close() after its grace) owes no more answers.
      for (const q of frames.splice(0)) q.release();
    });
  }

  /** Stops taking new requests, lets every request already received get its answer, then closes everything. */
  async close(graceMs = 5000): Promise<void> {
    this.accepting = false;
    for (const s of this.tcp) s.close();
    if (this.pendingHandlers > 0) {
      await Promise.race([
        new Promise<void>((r) => this.drainWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, graceMs).unref()),
      ]);
    }
    for (const c of this.conns) c.destroy();
    await Promise.all(this.udp.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/**
 * The deadline for the frame being received on `c`: it starts with the frame's first octet, and only a complete
 * frame stops it (the idle timeout restarts with every octet, so it cannot bound a client that trickles).
 */
function frameDeadline(c: Socket, ms: number): { update(partial: boolean, completed: boolean): void; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    /** After a chunk: `partial` when a frame is begun but not complete, `completed` when a frame was completed. */
    update(partial, completed) {
      if (!partial) return clear();
      // A new frame began in this chunk (or this is the first): its own deadline starts now.
      if (completed || timer === undefined) {
        clear();
        timer = setTimeout(() => c.destroy(), ms);
        timer.unref();
      }
    },
    clear,
  };
}
