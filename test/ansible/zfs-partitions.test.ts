import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { emitAnsible } from "../../src/emit/ansible/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

const work = mkdtempSync(join(tmpdir(), "h5b-parted-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Partition {
  readonly device: string;
  readonly name: string;
  readonly start: string;
  readonly end: string;
}

/** The zfs role's task and the storage host's partitions, as rendered for the default spec. */
function rendered() {
  const files = new Map(emitAnsible(buildPlan(parseHomelab(defaultHomelabInput()).spec)).map((f) => [f.path, f.content]));
  const tasks = parse(files.get("ansible/roles/zfs/tasks/main.yml") ?? "") as { name: string; "ansible.builtin.command"?: { argv: string[]; creates: string } }[];
  const mkpart = tasks.find((t) => t.name === "Make the SLOG and L2ARC partitions")?.["ansible.builtin.command"];
  const vars = parse(files.get("ansible/host_vars/x86-1.yml") ?? "") as { h5b_zfs: { partitions: Partition[] } };
  if (mkpart === undefined) throw new Error("no partitioning task");
  return { mkpart, partitions: vars.h5b_zfs.partitions };
}

/** parted's machine-readable table: number, start and end (MiB) and name of each partition. */
async function table(image: string) {
  const { stdout } = await execa("parted", ["-s", "-m", image, "unit", "MiB", "print"]);
  const [, disk, ...parts] = stdout.trim().split("\n");
  return {
    label: disk?.split(":")[5],
    size: Number.parseFloat(disk?.split(":")[1] ?? ""),
    parts: parts.map((l) => l.split(":")).map(([n, start, end, , , name]) => ({ n: Number(n), start: Number.parseFloat(start ?? ""), end: Number.parseFloat(end ?? ""), name })),
  };
}

describe("the SLOG and L2ARC partitions, made by the rendered parted command on a drive image", () => {
  it("adds both, named, at the end of a GPT drive the installer partitioned, numbered after its partitions", async () => {
    const { mkpart, partitions } = rendered();
    const image = join(work, "nvme.img");
    await execa("truncate", ["-s", "1T", image]);
    // What the Debian installer leaves with free space at the end: EFI, root, swap.
    await execa("parted", ["-s", image, "--", "mklabel", "gpt", "mkpart", "efi", "1MiB", "513MiB", "mkpart", "root", "513MiB", "200GiB", "mkpart", "swap", "200GiB", "216GiB"]);
    const mine = partitions.filter((p) => p.device === partitions[0]?.device);
    expect(mine.map((p) => p.name.replace(/-[0-9a-f]{8}$/, ""))).toEqual(["h5b-slog", "h5b-l2arc"]);
    for (const p of mine) {
      const argv = mkpart.argv.map((a) => a.replace("{{ item.device }}", image).replace("{{ item.name }}", p.name).replace("{{ item.start }}", p.start).replace("{{ item.end }}", p.end));
      expect(mkpart.creates).toBe("/dev/disk/by-partlabel/{{ item.name }}");
      await execa(argv[0] as string, argv.slice(1));
    }
    const t = await table(image);
    expect(t.label).toBe("gpt");
    const [slog, l2arc] = mine.map((p) => t.parts.find((x) => x.name === p.name));
    expect(slog?.n).toBe(4);
    expect(l2arc?.n).toBe(5);
    // 16 GB of SLOG and 256 GB of L2ARC (the spec's sizes), the L2ARC up to the drive's last MiB.
    expect(Math.round((slog?.end ?? 0) - (slog?.start ?? 0))).toBeCloseTo(Math.ceil(16e9 / 2 ** 20), -1);
    expect(l2arc?.start).toBeCloseTo(slog?.end ?? 0, 0);
    expect(t.size - (l2arc?.end ?? 0)).toBeLessThan(2);
  });

  it("is refused on a drive with an msdos table, which it leaves as it was", async () => {
    const { mkpart, partitions } = rendered();
    const image = join(work, "msdos.img");
    await execa("truncate", ["-s", "1T", image]);
    await execa("parted", ["-s", image, "--", "mklabel", "msdos", "mkpart", "primary", "1MiB", "200GiB"]);
    const p = partitions[0] as Partition;
    const argv = mkpart.argv.map((a) => a.replace("{{ item.device }}", image).replace("{{ item.name }}", p.name).replace("{{ item.start }}", p.start).replace("{{ item.end }}", p.end));
    const r = await execa(argv[0] as string, argv.slice(1), { reject: false });
    expect(r.exitCode).not.toBe(0);
    const t = await table(image);
    expect(t.label).toBe("msdos");
    expect(t.parts).toHaveLength(1);
  });
});
