import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shellChecker } from "../../src/check/shell.js";
import { systemdChecker } from "../../src/check/systemd.js";
import type { CheckContext } from "../../src/check/types.js";
import { backupScript, emitBackups, PATHS, resticEnv, retentionFlags } from "../../src/emit/backups/index.js";
import { H5bError } from "../../src/issue.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan, PlanBackups } from "../../src/plan/types.js";
import { backupSecrets, BACKUP_SECRETS } from "../../src/secrets/backups.js";
import { SecretStore } from "../../src/secrets/store.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

function planOf(mutate: (s: HomelabInput) => void = () => {}): Plan {
  const input = defaultHomelabInput();
  mutate(input);
  return buildPlan(parseHomelab(input).spec);
}
const backupsOf = (p: Plan) => p.backups as PlanBackups;
const context = (plan: Plan, edit: (files: Map<string, string>) => void = () => {}): CheckContext => {
  const files = new Map(emitBackups(plan).map((f) => [f.path, f.content]));
  edit(files);
  return { outDir: "/nonexistent", plan, files };
};

describe("the backups plan", () => {
  it("backs up the datasets marked for it, on the storage host, to B2's S3 endpoint", () => {
    const p = planOf((s) => {
      const ds = s.storage?.zfs.datasets as NonNullable<NonNullable<HomelabInput["storage"]>["zfs"]["datasets"]>;
      ds.scratch = { backup: false };
    });
    expect(backupsOf(p)).toMatchObject({
      host: "x86-1",
      repository: "s3:https://s3.us-west-004.backblazeb2.com/home-example-backups/restic",
      datasets: ["tank/k8s", "tank/media"],
      snapshot: "h5b-backup",
      schedule: "*-*-* 03:00:00",
    });
  });
});

describe("the backup script", () => {
  it("passes the spec's retention as restic's keep flags, leaving out the rules set to 0", () => {
    expect(retentionFlags({ daily: 7, weekly: 4, monthly: 12, yearly: 2 })).toEqual(["--keep-daily", "7", "--keep-weekly", "4", "--keep-monthly", "12", "--keep-yearly", "2"]);
    expect(retentionFlags({ daily: 14, weekly: 0, monthly: 6, yearly: 0 })).toEqual(["--keep-daily", "14", "--keep-monthly", "6"]);
  });

  it("forgets nothing when every count is 0", () => {
    const b = backupsOf(planOf((s) => void (s.backups = { ...s.backups!, retention: { daily: 0, weekly: 0, monthly: 0, yearly: 0 } })));
    const script = backupScript(b);
    expect(script.some((l) => l.includes("forget"))).toBe(false);
    expect(script).toContain("# The retention keeps every snapshot (all its counts are 0).");
  });

  it("snapshots every dataset in one command and backs each one up under its own tag", () => {
    const script = backupScript(backupsOf(planOf()));
    expect(script).toContain("zfs snapshot tank/k8s@h5b-backup tank/media@h5b-backup");
    expect(script.filter((l) => /^backup /.test(l))).toEqual(["tank/k8s", "tank/media"].map((d) => `backup ${d} || { status=$?; [[ $status == 3 ]] || complete=0; }`));
    expect(script).toContain("  h5b-restic forget --prune --host x86-1 --group-by host,tags --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 2");
  });

  it("names the repository and the secrets' files in restic.env, never a secret", () => {
    expect(resticEnv(backupsOf(planOf())).filter((l) => !l.startsWith("#"))).toEqual([
      "RESTIC_REPOSITORY=s3:https://s3.us-west-004.backblazeb2.com/home-example-backups/restic",
      `RESTIC_PASSWORD_FILE=${PATHS.resticPassword}`,
      `RESTIC_CACHE_DIR=${PATHS.cache}`,
      `H5B_B2_KEY_ID_FILE=${PATHS.b2KeyId}`,
      `H5B_B2_APPLICATION_KEY_FILE=${PATHS.b2ApplicationKey}`,
    ]);
  });

  it("renders nothing without backups in the spec", () => {
    expect(emitBackups(planOf((s) => void delete s.backups))).toEqual([]);
  });
});

describe("the backup's units", () => {
  it("start the script on the spec's schedule, and catch up a missed run at boot", () => {
    const files = context(planOf((s) => void (s.backups = { ...s.backups!, schedule: "Sun *-*-* 02:30:00" }))).files;
    const timer = files.get(`hosts/x86-1${PATHS.timer}`) as string;
    expect(timer).toContain("\nOnCalendar=Sun *-*-* 02:30:00\nPersistent=true\n");
    expect(files.get(`hosts/x86-1${PATHS.service}`)).toContain(`\nType=oneshot\nExecStart=${PATHS.script}\n`);
  });

  it("pass systemd-analyze verify", async () => {
    expect(await systemdChecker.run(context(planOf()))).toEqual({ findings: [], skipped: [] });
  });

  it("a schedule systemd cannot read is a finding", async () => {
    const res = await systemdChecker.run(context(planOf((s) => void (s.backups = { ...s.backups!, schedule: "every night" }))));
    expect(res.findings.map((f) => f.where)).toContain(`hosts/x86-1${PATHS.timer}`);
  });
});

describe("h5b check: shell scripts", () => {
  it("the rendered scripts parse and pass shellcheck", async () => {
    expect(await shellChecker.run(context(planOf()))).toEqual({ findings: [] });
  });

  it("reports what bash refuses and what shellcheck finds", async () => {
    const at = `hosts/x86-1${PATHS.script}`;
    const broken = await shellChecker.run(context(planOf(), (f) => f.set(at, `${f.get(at)}if true; then\n`)));
    expect(broken.findings.map((f) => [f.where, f.message.split(":")[0]])).toEqual([[at, "bash -n refuses it"]]);
    const unquoted = await shellChecker.run(context(planOf(), (f) => f.set(at, (f.get(at) ?? "").replace("set -euo pipefail\n", "set -euo pipefail\ncd $HOME\n"))));
    expect(unquoted.findings).toHaveLength(1);
    expect(unquoted.findings[0]?.message).toMatch(/^shellcheck: line \d+:\d+: .*SC2086/);
  });
});

describe("the backup's secrets", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const store = () => new SecretStore((dir = mkdtempSync(join(tmpdir(), "h5b-backup-secrets-"))));

  it("generates restic's password, and names the B2 files the user must create without failing the build", () => {
    const s = store();
    const b = backupSecrets(planOf(), s);
    expect(b?.resticPassword.reveal()).toMatch(/^[0-9a-f]{64}$/);
    expect(b?.b2).toBeUndefined();
    expect(b?.missing.map((i) => [i.severity, i.code, i.path])).toEqual([
      ["warning", "secret-missing", s.pathOf(BACKUP_SECRETS.b2KeyId)],
      ["warning", "secret-missing", s.pathOf(BACKUP_SECRETS.b2ApplicationKey)],
    ]);
    expect(backupSecrets(planOf(), s)?.resticPassword.reveal()).toBe(b?.resticPassword.reveal());
  });

  it("reads the B2 key the user put in the store", () => {
    const s = store();
    s.ensure("restic-password");
    writeFileSync(s.pathOf(BACKUP_SECRETS.b2KeyId), "0045f0aa1b2c3d40000000001\n", { mode: 0o600 });
    writeFileSync(s.pathOf(BACKUP_SECRETS.b2ApplicationKey), "K004abcdefghijklmnopqrstuvwxyz0\n", { mode: 0o600 });
    const b = backupSecrets(planOf(), s);
    expect(b?.missing).toEqual([]);
    expect(b?.b2?.keyId.reveal()).toBe("0045f0aa1b2c3d40000000001");
    expect(String(b?.b2?.applicationKey)).toBe("[secret b2-application-key]");
  });

  it("refuses a B2 key file that others may read, or that holds more than the key, without showing it", () => {
    const s = store();
    s.ensure("restic-password");
    const file = s.pathOf(BACKUP_SECRETS.b2ApplicationKey);
    writeFileSync(file, "K004 pasted with a space\n", { mode: 0o600 });
    const refusal = (() => {
      try {
        backupSecrets(planOf(), s);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(H5bError);
    expect(JSON.stringify((refusal as H5bError).issues)).not.toContain("pasted");
    expect((refusal as H5bError).issues.map((i) => i.code)).toEqual(["secret-malformed"]);
    writeFileSync(file, "K004abcdefghijklmnopqrstuvwxyz0\n");
    chmodSync(file, 0o644);
    expect(() => backupSecrets(planOf(), s)).toThrow(H5bError);
  });
});
