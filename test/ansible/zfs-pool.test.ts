import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { emitAnsible } from "../../src/emit/ansible/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

// The zfs role's pool tasks, run by ansible-playbook on this machine against a stand-in for `zpool` (no ZFS here):
// which of list, import, create and add run, for a pool that exists, one the disks hold, one they hold but that will
// not import, none, and one that came back without its SLOG and L2ARC.
const work = mkdtempSync(join(tmpdir(), "h5b-zpool-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const POOL_TASKS = [
  "Look for the pool",
  "Import the pool its disks hold",
  "Stop where the disks hold the pool but it cannot be imported",
  "Create the pool",
  "Read the pool's devices",
  "Stop where the pool's SLOG or L2ARC devices are gone",
  "Add the SLOG the pool lacks",
  "Add the L2ARC the pool lacks",
];

function playbook(): string {
  const files = new Map(emitAnsible(buildPlan(parseHomelab(defaultHomelabInput()).spec)).map((f) => [f.path, f.content]));
  const tasks = (parse(files.get("ansible/roles/zfs/tasks/main.yml") ?? "") as { name: string }[]).filter((t) => POOL_TASKS.includes(t.name));
  expect(tasks.map((t) => t.name)).toEqual(POOL_TASKS);
  const vars = parse(files.get("ansible/host_vars/x86-1.yml") ?? "") as { h5b_zfs: unknown };
  const path = join(work, "play.yml");
  writeFileSync(path, stringify([{ hosts: "localhost", connection: "local", gather_facts: false, vars: { h5b_zfs: vars.h5b_zfs }, tasks }]));
  return path;
}

// `zpool status -P` of a pool with its SLOG mirror and L2ARC, as OpenZFS 2.1 prints it (a class's header alone on
// its line, one tab in), and of one without them.
const STATUS = [
  "  pool: tank",
  " state: ONLINE",
  "config:",
  "",
  "\tNAME                                        STATE     READ WRITE CKSUM",
  "\ttank                                        ONLINE       0     0     0",
  "\t  raidz2-0                                  ONLINE       0     0     0",
  "\t    /dev/disk/by-id/ata-data-1-part1        ONLINE       0     0     0",
];
const FULL = [
  ...STATUS,
  "\tlogs\t",
  "\t  mirror-1                                  ONLINE       0     0     0",
  "\t    /dev/disk/by-partlabel/h5b-slog-5a6ff06f  ONLINE       0     0     0",
  "\tcache",
  "\t  /dev/disk/by-partlabel/h5b-l2arc-5a6ff06f   ONLINE       0     0     0",
];
// Imported after a reinstall: the L2ARC partition is new, and the pool still lists the old device.
const GONE = FULL.map((l) => (l.includes("h5b-l2arc") ? "\t  1234567890123456789                         UNAVAIL      0     0     0  was /dev/disk/by-partlabel/h5b-l2arc-5a6ff06f" : l));

// `zpool` as the case wants it; each call is logged. Messages are libzfs's.
const STAND_IN = `#!/bin/bash
echo "$*" >> "$ZPOOL_LOG"
case "$1:$ZPOOL_CASE" in
  list:exists|list:bare|list:gone) echo tank ;;
  status:bare) printf '%b\\n' ${STATUS.map((l) => JSON.stringify(l)).join(" ")} ;;
  status:gone) printf '%b\\n' ${GONE.map((l) => JSON.stringify(l)).join(" ")} ;;
  status:*) printf '%b\\n' ${FULL.map((l) => JSON.stringify(l)).join(" ")} ;;
  add:*) exit 0 ;;
  list:*) echo "cannot open 'tank': no such pool" >&2; exit 1 ;;
  import:importable) exit 0 ;;
  import:stuck) echo "cannot import 'tank': pool was previously in use from another system." >&2; exit 1 ;;
  import:*) echo "cannot import 'tank': no such pool available" >&2; exit 1 ;;
  create:*) exit 0 ;;
esac
`;

describe("the zfs role's pool", () => {
  const bin = join(work, "bin");
  const play = playbook();
  const run = async (zpoolCase: string) => {
    const log = join(work, `${zpoolCase}.log`);
    writeFileSync(log, "");
    await execa("mkdir", ["-p", bin]);
    writeFileSync(join(bin, "zpool"), STAND_IN);
    chmodSync(join(bin, "zpool"), 0o755);
    const r = await execa("ansible-playbook", [play], {
      env: { PATH: `${bin}:${process.env.PATH}`, ZPOOL_CASE: zpoolCase, ZPOOL_LOG: log, ANSIBLE_NOCOLOR: "1", ANSIBLE_STDOUT_CALLBACK: "default" },
      reject: false,
    });
    const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
    return { exitCode: r.exitCode, out: r.stdout, lines, calls: lines.map((l) => l.split(" ")[0]) };
  };

  it.each([
    ["imported already: nothing more", "exists", ["list", "status"], 0],
    ["on the disks (a reinstalled system): imported", "importable", ["list", "import", "status"], 0],
    ["nowhere: created", "absent", ["list", "import", "create", "status"], 0],
    ["on the disks but refusing to import: the play stops with the command to run, creating nothing", "stuck", ["list", "import"], 2],
    ["back without its SLOG and L2ARC (their partitions lost with the old system): both added again", "bare", ["list", "status", "add", "add"], 0],
    ["back still listing an L2ARC device that is gone: the play stops with the command to run, adding nothing", "gone", ["list", "status"], 2],
  ] as const)("a pool %s", async (_what, zpoolCase, calls, exitCode) => {
    const r = await run(zpoolCase);
    expect({ calls: r.calls, exitCode: r.exitCode }).toEqual({ calls, exitCode });
    if (zpoolCase === "stuck") expect(r.out).toContain("zpool import -f tank");
    if (zpoolCase === "gone") expect(r.out).toContain("devices it cannot use: 1234567890123456789");
    if (zpoolCase === "bare") {
      expect(r.lines.filter((l) => l.startsWith("add"))).toEqual([
        "add tank log mirror /dev/disk/by-partlabel/h5b-slog-5a6ff06f /dev/disk/by-partlabel/h5b-slog-9cd85ad2",
        "add tank cache /dev/disk/by-partlabel/h5b-l2arc-5a6ff06f /dev/disk/by-partlabel/h5b-l2arc-9cd85ad2",
      ]);
    }
  }, 120_000);
});
