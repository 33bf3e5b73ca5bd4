import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { emitAnsible } from "../../src/emit/ansible/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

// The k3s role's tasks for manifests the spec no longer has, run by ansible-playbook on this machine against a
// folder of its own and a stand-in for `k3s` that logs its arguments (no cluster here).
const work = mkdtempSync(join(tmpdir(), "h5b-k3s-manifests-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TASKS = ["Find the auto-deploy manifests h5b wrote", "Delete what each manifest the spec no longer has made (k3s leaves it running when the file goes)", "Remove the manifests the spec no longer has"];
const MANIFESTS = "var/lib/rancher/k3s/server/manifests";

function playbook(role: "server" | "agent"): string {
  const files = new Map(emitAnsible(buildPlan(parseHomelab(defaultHomelabInput()).spec)).map((f) => [f.path, f.content]));
  const tasks = (parse(files.get("ansible/roles/k3s/tasks/main.yml") ?? "") as { name: string }[]).filter((t) => TASKS.includes(t.name));
  expect(tasks.map((t) => t.name)).toEqual(TASKS);
  const roleVars = parse(files.get("ansible/roles/k3s/vars/main.yml") ?? "") as Record<string, unknown>;
  const vars = {
    h5b_manifests_kept: roleVars.h5b_manifests_kept,
    h5b_k3s: { role },
    h5b_k3s_manifests: join(work, "manifests"),
    h5b_k3s_binary: join(work, "k3s"),
    // The host's overlay: two manifests, and a file elsewhere.
    h5b_overlay_files: [`${MANIFESTS}/h5b-00-namespaces.yaml`, `${MANIFESTS}/h5b-30-external-dns.yaml`, "etc/rancher/k3s/config.yaml"].map((path) => ({ path })),
  };
  const path = join(work, `${role}.yml`);
  writeFileSync(path, stringify([{ hosts: "localhost", connection: "local", gather_facts: false, vars, tasks }]));
  return path;
}

describe("the k3s role's manifests the spec no longer has", () => {
  const dir = join(work, "manifests");
  const log = join(work, "k3s.log");
  const run = async (role: "server" | "agent", check = false) => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const f of ["h5b-00-namespaces.yaml", "h5b-30-external-dns.yaml", "h5b-60-app-old.yaml", "my-own.yaml"]) writeFileSync(join(dir, f), "kind: List\n");
    writeFileSync(log, "");
    writeFileSync(join(work, "k3s"), `#!/bin/sh\necho "$*" >> "${log}"\n`);
    chmodSync(join(work, "k3s"), 0o755);
    const r = await execa("ansible-playbook", [playbook(role), ...(check ? ["--check"] : [])], { env: { ANSIBLE_NOCOLOR: "1" }, reject: false });
    expect(r.exitCode, r.stdout).toBe(0);
    return { calls: readFileSync(log, "utf8").split("\n").filter(Boolean), left: readdirSync(dir).sort() };
  };

  it("deletes what a dropped h5b manifest made, then the file, leaving the rest and the user's own files", async () => {
    expect(await run("server")).toEqual({
      calls: [`kubectl delete --ignore-not-found --wait=false --filename ${join(dir, "h5b-60-app-old.yaml")}`],
      left: ["h5b-00-namespaces.yaml", "h5b-30-external-dns.yaml", "my-own.yaml"],
    });
  }, 120_000);

  it("does nothing on an agent, nor in check mode", async () => {
    const all = ["h5b-00-namespaces.yaml", "h5b-30-external-dns.yaml", "h5b-60-app-old.yaml", "my-own.yaml"];
    expect(await run("agent")).toEqual({ calls: [], left: all });
    expect(await run("server", true)).toEqual({ calls: [], left: all });
    expect(existsSync(join(dir, "h5b-60-app-old.yaml"))).toBe(true);
  }, 120_000);
});
