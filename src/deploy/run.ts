import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { execa } from "execa";
import { releasesOf } from "../emit/ansible/index.js";
import { error, H5bError, type Issue, warning } from "../issue.js";
import { render } from "../pipeline.js";
import type { PlanHost } from "../plan/types.js";
import { writeTree } from "../write/writer.js";
import { type Fetcher, readPinnedChecksums, resolveChecksums } from "./checksums.js";
import { findProgram } from "../check/_program.js";
import { packageRoot } from "../_package.js";
import { findConfigFile } from "../spec/load.js";
import { type Failure, ProgressReader, type Recap, type TaskResult } from "./progress.js";

export interface DeployOptions {
  readonly cwd: string;
  readonly config?: string;
  readonly out: string;
  readonly secretsDir?: string;
  /** Comma-separated host names, as Ansible's --limit. */
  readonly limit?: string;
  /** Ansible's check mode with diffs: shows what would change, changes nothing. */
  readonly check: boolean;
  /** An inventory layered over the rendered one (other addresses or connections for some hosts). */
  readonly inventory?: string;
  /** Passed to ansible-playbook as `-e` each. */
  readonly extraVars: readonly string[];
  /** Leaves out the plays that need real hardware (ZFS, IPMI): for a virtual machine standing in for a host. */
  readonly skipHardware?: boolean;
  /**
   * Deploys the embedded default spec when no spec file is found. Off by default: run from the wrong folder, deploy
   * would otherwise converge whatever answers at the default's addresses.
   */
  readonly defaultSpec?: boolean;
  readonly fetcher?: Fetcher;
}

export interface DeployReport {
  readonly recap: ReadonlyMap<string, Recap>;
  readonly failures: readonly Failure[];
  readonly exitCode: number;
}

export interface DeployOutput {
  readonly notice: (issue: Issue) => void;
  readonly info: (text: string) => void;
  /** The hosts about to be deployed, before the first result. */
  readonly start: (hosts: readonly string[]) => void;
  readonly result: (r: TaskResult) => void;
  readonly other: (line: string) => void;
}

/**
 * The ansible-playbook arguments of the files the flags name, by their full path (ansible-playbook runs in the
 * output's ansible folder, not where the user is). Each must be there: ansible-playbook skips an inventory it cannot
 * read with a warning and converges the hosts at the rendered addresses instead, not the ones the user meant.
 */
function fileFlagArgs(o: DeployOptions): { inventory: string[]; extraVars: string[] } {
  const issues: Issue[] = [];
  const at = (flag: string, file: string) => {
    const path = resolve(o.cwd, file);
    if (!existsSync(path)) issues.push(error("file-missing", flag, `no such file: ${path}`));
    return path;
  };
  const inventory = o.inventory !== undefined ? ["-i", at("--inventory", o.inventory)] : [];
  const extraVars = o.extraVars.flatMap((e) => ["-e", e.startsWith("@") ? `@${at("--extra-vars", e.slice(1))}` : e]);
  if (issues.length > 0) throw new H5bError("deploy", issues);
  return { inventory, extraVars };
}

/**
 * `h5b deploy`: renders the output if the spec changed since, reads the releases' checksums, then runs
 * ansible-playbook on the rendered tree, reporting each host's result of each task as it comes.
 */
export async function deploy(o: DeployOptions, out: DeployOutput): Promise<DeployReport> {
  // Before anything is rendered or generated: the folder may simply be the wrong one.
  if (o.config === undefined && o.defaultSpec !== true && findConfigFile(o.cwd) === undefined) {
    throw new H5bError("deploy", [
      error("no-spec", o.cwd, "holds no spec (h5b.config.ts or homelab.yaml): deploy converges real hosts, so it takes the embedded default only with --default-spec; run it in your spec's folder or give --config"),
    ]);
  }
  const rendered = await render({
    cwd: o.cwd,
    out: o.out,
    ...(o.config !== undefined ? { config: o.config } : {}),
    ...(o.secretsDir !== undefined ? { secretsDir: o.secretsDir } : {}),
  });
  for (const w of rendered.warnings) out.notice(w);
  out.info(`spec: ${rendered.source}`);
  const plan = rendered.plan;
  // Flags and tools first: a deploy that cannot run writes nothing.
  const targets = targetHosts(plan.hosts, o.limit);
  const userArgs = fileFlagArgs(o);
  const playbook = findProgram("ansible-playbook");
  if (playbook === undefined) {
    throw new H5bError("deploy", [error("missing-program", "ansible-playbook", "is not installed: apt-get install ansible (Debian 12's ansible brings ansible-core, community.general and ansible.posix)")]);
  }
  // Edited by hand (the README says so), hence read and checked with the flags.
  const pinFile = join(dirname(rendered.secretsDir), "checksums.json");
  const pins = readPinnedChecksums(pinFile);
  const outDir = resolve(o.cwd, o.out);
  if (!(await writeTree(outDir, rendered.files)).unchanged) out.info(`rendered ${o.out} (it did not match the spec)`);

  const { checksums, missing } = await resolveChecksums(releasesOf(plan, targets), pinFile, o.fetcher, undefined, pins);
  for (const m of missing) out.notice(warning("release-checksum", `${m.release.name} ${m.release.version}`, m.reason));

  const work = mkdtempSync(join(tmpdir(), "h5b-deploy-"));
  try {
    const h5bPackage = targets.some((h) => h.name === plan.dns.dhcpHost) ? await packH5b(work, out) : undefined;
    const vars = join(work, "vars.json");
    // In a 0700 folder of its own; it names the secrets folder (not a secret) and the checksums.
    writeFileSync(vars, JSON.stringify({ h5b_secrets_dir: rendered.secretsDir, h5b_checksums: checksums, ...(h5bPackage !== undefined ? { h5b_package: h5bPackage } : {}) }), { mode: 0o600 });
    const args = [
      "-i",
      "inventory.yml",
      ...userArgs.inventory,
      "-e",
      `@${vars}`,
      ...userArgs.extraVars,
      ...(o.limit !== undefined ? ["--limit", o.limit] : []),
      ...(o.skipHardware === true ? ["--skip-tags", "hardware"] : []),
      ...(o.check ? ["--check", "--diff"] : []),
      "site.yml",
    ];
    const ansibleDir = join(outDir, "ansible");
    const reader = new ProgressReader(out.result, out.other);
    out.start(targets.map((h) => h.name));
    const child = execa(playbook, args, {
      cwd: ansibleDir,
      env: { ANSIBLE_CONFIG: join(ansibleDir, "ansible.cfg"), ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0", ANSIBLE_STDOUT_CALLBACK: "default", PYTHONUNBUFFERED: "1" },
      reject: false,
      stdin: "ignore",
      all: true,
    });
    for await (const line of child.iterable({ from: "all" })) reader.line(line);
    reader.end();
    const done = await child;
    const converged = reader.recap.size > 0 && [...reader.recap.values()].every((r) => r.failed === 0 && r.unreachable === 0);
    return { recap: reader.recap, failures: reader.failures, exitCode: done.exitCode === 0 && converged ? 0 : 1 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function targetHosts(hosts: readonly PlanHost[], limit: string | undefined): PlanHost[] {
  const debian = hosts.filter((h) => h.os === "debian");
  if (limit === undefined) return debian;
  const issues: Issue[] = [];
  const chosen: PlanHost[] = [];
  for (const name of limit.split(",").map((s) => s.trim())) {
    const h = hosts.find((x) => x.name === name);
    if (h === undefined) issues.push(error("unknown-host", "--limit", `no host ${name} in the spec (hosts: ${hosts.map((x) => x.name).join(", ")})`));
    else if (h.os !== "debian") issues.push(error("k3os-host", "--limit", `${name} runs k3OS, which configures itself from hosts/${name}/var/lib/rancher/k3os/config.yaml; Ansible does not manage it`));
    else chosen.push(h);
  }
  if (issues.length > 0) throw new H5bError("deploy", issues);
  return chosen;
}

/** The running h5b as an npm tarball, installed on the DHCP host for `h5b ddns`. */
async function packH5b(work: string, out: DeployOutput): Promise<string | undefined> {
  const root = packageRoot();
  const npm = findProgram("npm");
  if (root === undefined || npm === undefined) {
    out.notice(warning("h5b-package", "h5b ddns", "cannot pack h5b (npm or the package folder not found); the DHCP host will stop before installing h5b ddns"));
    return undefined;
  }
  const r = await execa(npm, ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: root, reject: false });
  const file = r.stdout.trim().split("\n").pop();
  if (r.exitCode !== 0 || file === undefined || file === "") {
    out.notice(warning("h5b-package", "h5b ddns", `npm pack failed: ${r.stderr.trim()}`));
    return undefined;
  }
  return join(work, file);
}
