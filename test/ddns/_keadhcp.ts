/** Runs Debian's kea-dhcp4 / kea-dhcp6 (2.2) without interfaces, as a lease database with a control socket. */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface KeaDhcp {
  readonly socket: string;
  readonly leaseFile: string;
  command(command: string, args?: unknown): Promise<{ result: number; text?: string; arguments?: unknown }>;
  stop(): Promise<void>;
}

export async function startKeaDhcp(family: 4 | 6, dir: string): Promise<KeaDhcp> {
  const socket = join(dir, `kea${family}.sock`);
  const leaseFile = join(dir, `kea-leases${family}.csv`);
  const common = {
    "interfaces-config": { interfaces: [] },
    "control-socket": { "socket-type": "unix", "socket-name": socket },
    "lease-database": { type: "memfile", persist: true, name: leaseFile, "lfc-interval": 0 },
    "hooks-libraries": [{ library: "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }],
    "valid-lifetime": 600,
    loggers: [{ name: `kea-dhcp${family}`, output_options: [{ output: join(dir, `kea${family}.log`) }], severity: "INFO" }],
  };
  const config =
    family === 4
      ? { Dhcp4: { ...common, subnet4: [{ id: 1, subnet: "10.99.0.0/24" }] } }
      : { Dhcp6: { ...common, "data-directory": dir, "preferred-lifetime": 300, subnet6: [{ id: 1, subnet: "fd99::/64" }] } };
  const file = join(dir, `kea${family}.json`);
  await writeFile(file, JSON.stringify(config, null, 2));
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  const child: ChildProcess = spawn(`kea-dhcp${family}`, ["-c", file], { env, stdio: "ignore" });
  const command = (cmd: string, args?: unknown) =>
    new Promise<{ result: number; text?: string; arguments?: unknown }>((resolve, reject) => {
      const c = connect(socket);
      let buf = "";
      c.on("error", reject);
      c.on("data", (d: Buffer) => {
        buf += d.toString();
        try {
          resolve(JSON.parse(buf) as { result: number });
          c.end();
        } catch {
          // more to come
        }
      });
      c.write(JSON.stringify({ command: cmd, ...(args === undefined ? {} : { arguments: args }) }));
    });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kea-dhcp${family} exited: ${await readFile(join(dir, `kea${family}.log`), "utf8").catch(() => "")}`);
    try {
      await command("list-commands");
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`kea-dhcp${family} control socket did not come up`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    socket,
    leaseFile,
    command,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
