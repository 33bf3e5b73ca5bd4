/**
 * Test harness: network namespaces joined by veth pairs, with duplicate address detection off (kea-dhcp6 opens
 * no socket and dhclient -6 cannot bind while an address is tentative), and daemons started inside them, outside
 * any AppArmor profile (Debian's for Kea and dhclient refuse files in temporary folders).
 * Everything a lab made is removed by `cleanup()`, and by an exit hook if a test run dies first.
 *
 *   const lab = new NetnsLab();
 *   const srv = await lab.namespace("srv"), cli = await lab.namespace("cli");
 *   await lab.veth(srv, "eth0", cli, "eth1", { macB: "02:00:00:00:00:01" });
 *   await srv.run("ip", ["addr", "add", "10.0.0.1/24", "dev", "eth0"]);
 *   const d = srv.spawn("kea-dhcp4", ["-c", file]);
 *   await lab.cleanup();   // in afterAll / finally
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { execa } from "execa";
import { unconfined } from "../../src/check/_program.js";

const live = new Set<NetnsLab>();
process.once("exit", () => {
  for (const lab of live) lab.cleanupSync();
});

export interface Namespace {
  readonly name: string;
  /** Runs a program in the namespace; rejects (with its stderr) when it fails. */
  run(cmd: string, args: readonly string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<string>;
  /** Starts a long-running program in the namespace; it is killed by cleanup(). */
  spawn(cmd: string, args: readonly string[], opts?: { env?: Record<string, string>; logFile?: number }): ChildProcess;
  /** Adds an address without duplicate address detection (IPv6) and brings the link up. */
  address(ifname: string, cidr: string): Promise<void>;
}

let counter = 0;

export class NetnsLab {
  readonly #prefix = `h5b${process.pid % 100000}x${counter++}`;
  readonly #namespaces: string[] = [];
  readonly #children: ChildProcess[] = [];

  async namespace(label: string): Promise<Namespace> {
    const name = `${this.#prefix}-${label}`;
    await execa("ip", ["netns", "add", name]);
    this.#namespaces.push(name);
    live.add(this);
    const ns = this.#wrap(name);
    await ns.run("ip", ["link", "set", "lo", "up"]);
    await ns.run("sysctl", ["-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]);
    return ns;
  }

  /** A veth pair from `a`'s `ifA` to `b`'s `ifB`, both up, with optional MAC addresses. */
  async veth(a: Namespace, ifA: string, b: Namespace, ifB: string, opts: { macA?: string; macB?: string } = {}): Promise<void> {
    await execa("ip", [
      "link", "add", ifA, "netns", a.name, ...(opts.macA ? ["address", opts.macA] : []),
      "type", "veth", "peer", "name", ifB, "netns", b.name, ...(opts.macB ? ["address", opts.macB] : []),
    ]);
    for (const [ns, ifname] of [[a, ifA], [b, ifB]] as const) {
      await ns.run("sysctl", ["-qw", `net.ipv6.conf.${ifname}.accept_dad=0`]);
      await ns.run("ip", ["link", "set", ifname, "up"]);
    }
  }

  #wrap(name: string): Namespace {
    const children = this.#children;
    return {
      name,
      async run(cmd, args, opts = {}) {
        const r = await execa("ip", ["netns", "exec", name, ...unconfined(cmd), cmd, ...args], {
          reject: false,
          env: opts.env ?? {},
          ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
        });
        if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${name} failed (${r.exitCode}): ${r.stderr}${r.stdout}`);
        return r.stdout;
      },
      spawn(cmd, args, opts = {}) {
        const out = opts.logFile ?? "ignore";
        const child = spawn("ip", ["netns", "exec", name, ...unconfined(cmd), cmd, ...args], { env: { ...process.env, ...opts.env }, stdio: ["ignore", out, out] });
        children.push(child);
        return child;
      },
      async address(ifname, cidr) {
        await this.run("ip", ["addr", "add", cidr, "dev", ifname, ...(cidr.includes(":") ? ["nodad"] : [])]);
        await this.run("ip", ["link", "set", ifname, "up"]);
      },
    };
  }

  /** Kills every daemon this lab started and deletes its namespaces (and with them their interfaces). */
  async cleanup(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill("SIGKILL"), 3000);
            c.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill("SIGTERM");
          }),
      ),
    );
    this.cleanupSync();
  }

  cleanupSync(): void {
    for (const c of this.#children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    this.#children.length = 0;
    for (const ns of this.#namespaces.splice(0)) {
      // Processes that outlived us (dhclient daemonizes) would keep the namespace's interfaces; end them first.
      try {
        const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).split(/\s+/).filter(Boolean);
        for (const pid of pids) process.kill(Number(pid), "SIGKILL");
      } catch {
        // already gone
      }
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    live.delete(this);
  }
}
