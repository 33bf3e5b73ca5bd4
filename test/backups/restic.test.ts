import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "../../src/pipeline.js";
import type { PlanBackups } from "../../src/plan/types.js";
import { PATHS } from "../../src/emit/backups/index.js";
import { BACKUP_SECRETS } from "../../src/secrets/backups.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";

/**
 * The rendered backup, run for real: Debian's restic against an S3 server on loopback (s3rver, over TLS: over plain
 * HTTP it stores restic's chunked uploads corrupted) answering to B2's endpoint name, in a network namespace of its
 * own. ZFS cannot run here: a shim stands in for `zfs` (a snapshot is a copy of a plain folder, shown where ZFS
 * shows it) and records its calls, so the script's snapshot commands are asserted with restic's. The script,
 * h5b-restic, restic.env and the secrets are the rendered and stored files, at their paths on the host (a private
 * mount namespace per command, see _host.sh); only the endpoint's address and certificate are the test's.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const S3RVER = join(dirname(createRequire(import.meta.url).resolve("s3rver/package.json")), "bin", "s3rver.js");
const work = mkdtempSync(join(tmpdir(), "h5b-backups-"));
const secrets = join(work, ".h5b", "secrets");
const calls = join(work, "calls.log");
const zfsRoot = join(work, "zfs");
const state = join(work, "state");
const knownId = join(state, "repository-id");
const lab = new NetnsLab();
let b2: Namespace;
let backups: PlanBackups;
let env: Record<string, string>;

const data = (dataset: string) => join(zfsRoot, "data", dataset);

interface Run {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** zfs and restic calls, in order. */
  readonly calls: string[];
}

/** Starts a command on the storage host (see _host.sh); every step execs, so the process is the command's own. */
function startOnHost(argv: readonly string[], extra: Record<string, string> = {}) {
  return execa("ip", ["netns", "exec", b2.name, "unshare", "--mount", "--propagation", "private", join(HERE, "_host.sh"), ...argv], {
    env: { ...env, ...extra },
    reject: false,
    timeout: 300_000,
    // A process group of its own, which a test can signal whole, as systemd signals a unit's processes.
    detached: true,
  });
}

/** A command on the storage host; never throws. */
async function onHost(argv: readonly string[], extra: Record<string, string> = {}): Promise<Run> {
  writeFileSync(calls, "");
  const r = await startOnHost(argv, extra);
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, calls: readFileSync(calls, "utf8").split("\n").filter(Boolean) };
}

interface ResticSnapshot {
  readonly id: string;
  readonly time: string;
  readonly hostname: string;
  readonly tags?: string[];
}

async function snapshots(): Promise<ResticSnapshot[]> {
  const r = await onHost(["h5b-restic", "snapshots", "--json"]);
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ResticSnapshot[];
}

/** Every entry under `dir` with what it is: a file's bytes (base64), a link's target, or a folder. */
function tree(dir: string, sub = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, sub)).sort()) {
    const rel = join(sub, name);
    const st = lstatSync(join(dir, rel));
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(join(dir, rel))}`;
    else if (st.isDirectory()) Object.assign(out, { [rel]: "dir" }, tree(dir, rel));
    else out[rel] = readFileSync(join(dir, rel)).toString("base64");
  }
  return out;
}

const snapshotCalls = (when: "before" | "after") =>
  backups.datasets.flatMap((d) => [`zfs list -H -o name -t snapshot ${d}@h5b-backup`, ...(when === "after" ? [`zfs destroy ${d}@h5b-backup`] : [])]);

beforeAll(async () => {
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  // s3rver's one account; the files are where the user puts B2's key id and key.
  for (const name of [BACKUP_SECRETS.b2KeyId, BACKUP_SECRETS.b2ApplicationKey]) writeFileSync(join(secrets, name), "S3RVER\n", { mode: 0o600 });
  const r = await build({ cwd: work, out: "out", secretsDir: secrets });
  // The B2 key is in the store (the default spec's VPN config is not: its warning is not this test's business).
  expect(r.warnings.filter((w) => w.code === "secret-missing" && w.path.includes("/b2-"))).toEqual([]);
  backups = r.plan.backups as PlanBackups;
  const host = new URL(backups.endpoint).hostname;

  const tls = join(work, "tls");
  mkdirSync(tls);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host}`, "-keyout", join(tls, "key.pem"), "-out", join(tls, "cert.pem")], { stdio: "ignore" });

  b2 = await lab.namespace("b2");
  b2.spawn(process.execPath, [S3RVER, "--silent", "--no-vhost-buckets", "-d", join(work, "s3"), "-a", "127.0.0.1", "-p", "443", "--key", join(tls, "key.pem"), "--cert", join(tls, "cert.pem"), "--configure-bucket", backups.bucket]);
  for (let i = 0; ; i++) {
    const listening = await execa("ip", ["netns", "exec", b2.name, "ss", "-Hltn", "sport = :443"], { reject: false });
    if (listening.stdout.trim() !== "") break;
    if (i > 600) throw new Error("s3rver did not start");
    await new Promise((res) => setTimeout(res, 100));
  }

  for (const d of backups.datasets) {
    mkdirSync(join(data(d), "sub", "deeper"), { recursive: true });
    mkdirSync(join(zfsRoot, "mnt", d), { recursive: true });
    writeFileSync(join(data(d), "small.txt"), `${d}\n`);
    writeFileSync(join(data(d), "sub", "random.bin"), randomBytes(3_000_000));
    writeFileSync(join(data(d), "sub", "deeper", "empty"), "");
    symlinkSync("../small.txt", join(data(d), "sub", "link"));
  }
  env = {
    OUT: join(work, "out", "hosts", backups.host),
    SECRETS: secrets,
    SCRATCH: join(work, "scratch"),
    SHIMS: join(HERE, "shims"),
    B2_HOST: host,
    SSL_CERT_FILE: join(tls, "cert.pem"),
    CALLS: calls,
    ZFS_ROOT: zfsRoot,
    STATE_DIRECTORY: state,
  };
  mkdirSync(state);
  mkdirSync(env.SCRATCH as string);
}, 300_000);

afterAll(async () => {
  await lab.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe("the rendered backup against an S3 server", () => {
  const first: ResticSnapshot[] = [];

  it("first run: creates the repository, backs each dataset up from its snapshot, applies the retention, releases the snapshots", async () => {
    const r = await onHost(["h5b-backup"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.calls).toEqual([
      ...snapshotCalls("before"),
      "restic unlock",
      "restic cat config",
      "restic init",
      "restic cat config",
      "zfs snapshot tank/k8s@h5b-backup tank/media@h5b-backup",
      "zfs get -H -o value mountpoint tank/k8s",
      "restic backup --host x86-1 --tag tank/k8s .",
      "zfs get -H -o value mountpoint tank/media",
      "restic backup --host x86-1 --tag tank/media .",
      "restic forget --prune --host x86-1 --group-by host,tags --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 2",
      "restic check --with-cache",
      ...snapshotCalls("after"),
    ]);
    const config = await onHost(["h5b-restic", "cat", "config"]);
    expect(readFileSync(knownId, "utf8")).toBe(`${(JSON.parse(config.stdout) as { id: string }).id}\n`);
    const snaps = await snapshots();
    expect(snaps.map((s) => [s.hostname, s.tags])).toEqual([
      ["x86-1", ["tank/k8s"]],
      ["x86-1", ["tank/media"]],
    ]);
    first.push(...snaps);
    expect(readdirSync(join(zfsRoot, "mnt", "tank/k8s", ".zfs", "snapshot"))).toEqual([]);
  }, 600_000);

  it("second run after a change, with a snapshot a dead run left: replaces it, reuses the repository, keeps one snapshot a day per dataset", async () => {
    writeFileSync(join(data("tank/k8s"), "small.txt"), "changed\n");
    writeFileSync(join(data("tank/k8s"), "sub", "new.txt"), "added between the runs\n");
    unlinkSync(join(data("tank/k8s"), "sub", "deeper", "empty"));
    cpSync(data("tank/media"), join(zfsRoot, "mnt", "tank/media", ".zfs", "snapshot", "h5b-backup"), { recursive: true });
    const r = await onHost(["h5b-backup"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.calls.slice(0, 4)).toEqual([
      "zfs list -H -o name -t snapshot tank/k8s@h5b-backup",
      "zfs list -H -o name -t snapshot tank/media@h5b-backup",
      "zfs destroy tank/media@h5b-backup",
      "restic unlock",
    ]);
    expect(r.calls).not.toContain("restic init");
    // --keep-daily keeps the newest snapshot of each day and dataset: the first run's are forgotten when both runs
    // fall on one (local) day, as they do unless the test straddles midnight.
    const snaps = await snapshots();
    const day = (s: ResticSnapshot) => new Date(s.time).toDateString();
    const oneDay = new Set([...first, ...snaps].map(day)).size === 1;
    const newer = snaps.filter((s) => !first.some((f) => f.id === s.id));
    expect(newer.map((s) => s.tags)).toEqual([["tank/k8s"], ["tank/media"]]);
    expect(snaps.filter((s) => first.some((f) => f.id === s.id))).toHaveLength(oneDay ? 0 : 2);
  }, 600_000);

  it("restores the latest snapshot of each dataset byte for byte, with the command the README gives", async () => {
    for (const d of backups.datasets) {
      const target = join(work, "restore", d);
      const r = await onHost(["h5b-restic", "restore", "latest", "--host", backups.host, "--tag", d, "--target", target]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(tree(target)).toEqual(tree(data(d)));
    }
    expect(Object.keys(tree(join(work, "restore", "tank/k8s")))).toContain("sub/new.txt");
    const check = await onHost(["h5b-restic", "check", "--read-data"]);
    expect(check.exitCode, check.stderr).toBe(0);
  }, 600_000);

  it("a run killed while it held the repository's lock does not block the next one", async () => {
    // A backup reading a stdin that never ends holds its lock until it is killed; SIGKILL leaves the lock behind.
    const held = startOnHost(["h5b-restic", "backup", "--stdin", "--stdin-filename", "held"]);
    const locks = async () => (await onHost(["h5b-restic", "list", "locks", "--no-lock"])).stdout.trim();
    for (let i = 0; i < 300 && (await locks()) === ""; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await locks()).not.toBe("");
    held.kill("SIGKILL");
    await held;
    expect(await locks()).not.toBe("");
    const before = await snapshots();
    const r = await onHost(["h5b-backup"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.calls).toContain("restic forget --prune --host x86-1 --group-by host,tags --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 2");
    expect(await locks()).toBe("");
    expect((await snapshots()).length).toBeGreaterThanOrEqual(before.length);
  }, 600_000);

  it("a dataset that made no snapshot does not stop the others, the retention waits, and the run fails", async () => {
    const r = await onHost(["h5b-backup"], { RESTIC_ABORT_TAG: "tank/k8s" });
    expect(r.exitCode).toBe(1);
    expect(r.calls).toContain("restic backup --host x86-1 --tag tank/media .");
    expect(r.calls.some((c) => c.startsWith("restic forget"))).toBe(false);
    expect(r.stderr).toContain("the retention waits for a complete run");
    expect(r.calls.slice(-1 - snapshotCalls("after").length)).toEqual(["restic check --with-cache", ...snapshotCalls("after")]);
  }, 600_000);

  it("a dataset restic cannot read completely does not stop the others nor the retention, and the run fails", async () => {
    const r = await onHost(["h5b-backup"], { RESTIC_FAIL_TAG: "tank/k8s" });
    expect(r.exitCode).toBe(3);
    expect(r.calls).toContain("restic backup --host x86-1 --tag tank/media .");
    expect(r.calls).toContain("restic forget --prune --host x86-1 --group-by host,tags --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 2");
    expect(r.calls.slice(-snapshotCalls("after").length)).toEqual(snapshotCalls("after"));
  }, 600_000);

  it("a damaged repository fails the run the night it is found, after the backups and the retention", async () => {
    const r = await onHost(["h5b-backup"], { RESTIC_FAIL_CHECK: "1" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("repository contains errors");
    expect(r.calls.slice(-1 - snapshotCalls("after").length)).toEqual(["restic check --with-cache", ...snapshotCalls("after")]);
    expect(r.calls).toContain("restic backup --host x86-1 --tag tank/media .");
  }, 600_000);

  it("a stop (SIGINT to every process, as systemd sends it) ends the run: no next dataset, no retention, snapshots released", async () => {
    writeFileSync(calls, "");
    const run = startOnHost(["h5b-backup"], { RESTIC_HOLD_TAG: "tank/k8s" });
    const held = "restic backup --host x86-1 --tag tank/k8s .";
    for (let i = 0; i < 300 && !readFileSync(calls, "utf8").includes(held); i++) await new Promise((r) => setTimeout(r, 100));
    process.kill(-(run.pid as number), "SIGINT");
    const r = await run;
    expect(r.exitCode).not.toBe(0);
    const log = readFileSync(calls, "utf8").split("\n").filter(Boolean);
    expect(log).toContain(held);
    expect(log.some((l) => l.includes("--tag tank/media") || l.startsWith("restic forget"))).toBe(false);
    expect(log.slice(-snapshotCalls("after").length)).toEqual(snapshotCalls("after"));
  }, 600_000);

  it("a second run while one is going on stops at once, and touches neither the snapshots nor the repository", async () => {
    const run = await onHost(["bash", "-c", `exec 8>${PATHS.lock} && flock 8 && h5b-backup`]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain("h5b-backup: another run is going on");
    expect(run.calls).toEqual([]);
  }, 600_000);

  it("refuses a wrong password, and the backup stops before it takes a snapshot", async () => {
    const before = await snapshots();
    const list = await onHost(["h5b-restic", "snapshots"], { WRONG_PASSWORD: "1" });
    expect(list.exitCode).not.toBe(0);
    expect(list.stderr).toMatch(/wrong password/);
    const run = await onHost(["h5b-backup"], { WRONG_PASSWORD: "1" });
    expect(run.exitCode).not.toBe(0);
    expect(run.calls).toEqual([...snapshotCalls("before"), "restic unlock", "restic cat config", ...snapshotCalls("before")]);
    expect(run.stderr).toContain("not creating one");
    expect((await snapshots()).map((s) => s.tags)).toEqual(before.map((s) => s.tags));
  }, 600_000);

  it("never creates a repository over one it cannot read, even on a host's first run", async () => {
    const id = readFileSync(knownId, "utf8");
    const before = await snapshots();
    try {
      // A host reinstalled (no id known yet) on a night B2 refuses the read.
      rmSync(knownId);
      const run = await onHost(["h5b-backup"], { RESTIC_DENY_CONFIG: "1" });
      expect(run.exitCode).not.toBe(0);
      expect(run.calls).not.toContain("restic init");
      expect(run.stderr).toContain("Access Denied");
      expect((await snapshots()).map((s) => s.id)).toEqual(before.map((s) => s.id));
    } finally {
      writeFileSync(knownId, id);
    }
  }, 600_000);

  it("makes no new repository where the one this host backed up to has gone", async () => {
    const run = await onHost(["h5b-backup"], { RESTIC_NO_CONFIG: "1" });
    expect(run.exitCode).not.toBe(0);
    expect(run.calls).not.toContain("restic init");
    expect(run.stderr).toContain("there is no repository where this host backed up to");
  }, 600_000);

  it("stops at a repository that is not the one this host backs up to", async () => {
    const id = readFileSync(knownId, "utf8");
    try {
      writeFileSync(knownId, `${"0".repeat(64)}\n`);
      const run = await onHost(["h5b-backup"]);
      expect(run.exitCode).not.toBe(0);
      expect(run.stderr).toContain(`not ${"0".repeat(64)}, the one this host backs up to`);
      expect(run.calls.some((c) => c.startsWith("zfs snapshot") || c.startsWith("restic backup") || c === "restic init")).toBe(false);
    } finally {
      writeFileSync(knownId, id);
    }
  }, 600_000);
});
