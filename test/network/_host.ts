import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Namespace } from "../_harness/netns.js";

/**
 * What ifup, ifdown and the DHCP client they start would otherwise read and write on this machine, moved into the
 * test's folder `$1`. /etc becomes an overlay: the programs read this machine's files but their writes (dhclient's
 * resolv.conf) land in the folder. interfaces.d and dhclient's hook folders are covered with empty tmpfs: the rendered
 * file's `source` line and dhclient-script would read this machine's, and its timesyncd hook would reconfigure this
 * machine's time service. /run (dhclient's pid file) and /var/lib/dhcp (its leases and DUID) are folders of the test,
 * so that each command, in a mount namespace of its own, finds what the one before it left there.
 */
const OVERLAY_ETC = `mount -t overlay h5b -o "lowerdir=/etc,upperdir=$root/etc,workdir=$root/work" /etc`;
const SCRIPT = `set -e
root=$1; shift
${OVERLAY_ETC}
for d in /etc/network/interfaces.d /etc/dhcp/dhclient-enter-hooks.d /etc/dhcp/dhclient-exit-hooks.d; do
  if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 h5b "$d"; fi
done
mount --bind "$root/run" /run
mount --bind "$root/dhcp" /var/lib/dhcp
exec "$@" 2>&1`;

/** Where a host's file under /etc is in the overlay's upper layer in `dir`. */
const upper = (dir: string, path: string) => join(dir, "etc", path.replace(/^\/etc\//, ""));

/** A file the host's programs wrote under /etc, or undefined. */
function writtenUnder(dir: string, path: string): string | undefined {
  const p = upper(dir, path);
  return existsSync(p) ? readFileSync(p, "utf8") : undefined;
}

export interface DebianHost {
  /** `ifup --all` or `ifdown --all` on the host's interfaces file; rejects when it fails. */
  ifupdown(verb: "ifup" | "ifdown", timeoutMs?: number): Promise<string>;
  /** A file the host's programs wrote under /etc (the overlay's upper layer), or undefined. */
  written(path: string): string | undefined;
}

/**
 * A Debian host in network namespace `ns` as far as ifupdown can tell, with `interfaces` as its
 * /etc/network/interfaces. Each command runs in a mount and UTS namespace of its own (dhclient-script may set the
 * host name), set up by SCRIPT. `--no-scripts`: the hooks in /etc/network/if-*.d are this machine's, not the host's.
 */
export function debianHost(ns: Namespace, dir: string, interfaces: string): DebianHost {
  for (const d of ["etc", "work", "run", "dhcp", "state"]) mkdirSync(join(dir, d), { recursive: true });
  const file = join(dir, "interfaces");
  writeFileSync(file, interfaces);
  return {
    ifupdown: (verb, timeoutMs = 30_000) =>
      ns.run("unshare", ["--mount", "--uts", "--propagation", "private", "sh", "-c", SCRIPT, "sh", dir, verb, "--all", "--no-scripts", "--interfaces", file, "--state-dir", join(dir, "state")], { timeoutMs }),
    written: (path) => writtenUnder(dir, path),
  };
}

/**
 * What NetworkManager would otherwise read and write on this machine, moved into the test's folder `$1`: /etc as an
 * overlay (the profiles and NetworkManager.conf are put in its upper layer, and the resolv.conf NetworkManager writes
 * lands there), /run and /var/lib/NetworkManager as folders of the test. /sys is made read-only in the mount
 * namespace: NetworkManager then runs as in a container, without waiting for udev to announce the ports (no udev
 * runs in a test namespace). The daemon needs a system bus: a D-Bus daemon of its own, whose socket is in the test's
 * /run, with no services to start on demand (its dispatcher would run this machine's hook scripts).
 */
const NM_SCRIPT = `set -e
root=$1; shift
mount -o remount,bind,ro /sys
${OVERLAY_ETC}
mount --bind "$root/run" /run
mount --bind "$root/lib" /var/lib/NetworkManager
mount -t tmpfs -o mode=0755 h5b /usr/share/dbus-1/system-services
mkdir -p /run/dbus
dbus-daemon --system --fork --nopidfile --print-pid > "$root/dbus.pid"
exec "$@"`;

export interface NetworkManagerHost {
  /** Starts the NetworkManager daemon, logging to `logFd`; `stop` ends it and its D-Bus daemon. */
  start(logFd: number): void;
  stop(): void;
  written(path: string): string | undefined;
}

/**
 * A Raspberry Pi OS host in network namespace `ns` as far as NetworkManager can tell, with `files` (absolute path ->
 * text) under its /etc, mode 0600 as NetworkManager wants its profiles. Runs in a mount and UTS namespace of its own.
 */
export function networkManagerHost(ns: Namespace, dir: string, files: ReadonlyMap<string, string>): NetworkManagerHost {
  for (const d of ["etc", "work", "run", "lib"]) mkdirSync(join(dir, d), { recursive: true });
  for (const [path, text] of files) {
    const p = upper(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text, { mode: 0o600 });
  }
  let daemon: ChildProcess | undefined;
  return {
    start: (logFd) => {
      daemon = ns.spawn("unshare", ["--mount", "--uts", "--propagation", "private", "sh", "-c", NM_SCRIPT, "sh", dir, "/usr/sbin/NetworkManager", "--debug", "--log-level=INFO"], { logFile: logFd });
    },
    stop: () => {
      daemon?.kill();
      const pidFile = join(dir, "dbus.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0;
      if (pid > 0) process.kill(pid);
    },
    written: (path) => writtenUnder(dir, path),
  };
}

/** A port's global addresses in a namespace, `address/prefix-length` (link-local ones come with any port that is up). */
export async function globalAddresses(ns: Namespace, ifname: string): Promise<string[]> {
  const [link] = JSON.parse(await ns.run("ip", ["-j", "address", "show", "dev", ifname])) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[];
  return (link?.addr_info ?? []).filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
}

export interface IpRoute {
  readonly gateway?: string;
  readonly dev: string;
  readonly protocol?: string;
}

/** A namespace's default routes of one family, from `ip -j route`. */
export async function defaultRoutes(ns: Namespace, family: "-4" | "-6"): Promise<IpRoute[]> {
  return JSON.parse(await ns.run("ip", ["-j", family, "route", "show", "default"])) as IpRoute[];
}

/**
 * radvd in `ns` with `config` (written to `dir/<name>.conf`), as a router: forwarding on, which radvd checks before
 * it advertises. Ends with the namespace's other daemons.
 */
export async function startRadvd(ns: Namespace, dir: string, name: string, config: string): Promise<void> {
  await ns.run("sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1"]);
  writeFileSync(join(dir, `${name}.conf`), config);
  ns.spawn("radvd", ["--nodaemon", "--logmethod", "stderr", "--config", join(dir, `${name}.conf`), "--pidfile", join(dir, `${name}.pid`)]);
}
