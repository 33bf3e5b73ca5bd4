import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { emitAnsible } from "../../src/emit/ansible/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

// The gateway role's first task, run by ansible-playbook on this machine with its real facts: loopback stands in for
// the WAN port (127.0.0.1 is its address).
const work = mkdtempSync(join(tmpdir(), "h5b-gateway-reach-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TASK = "Check that Ansible reaches the gateway through its LAN port";
const files = new Map(emitAnsible(buildPlan(parseHomelab(defaultHomelabInput()).spec)).map((f) => [f.path, f.content]));

async function run(address: string) {
  const tasks = (parse(files.get("ansible/roles/gateway/tasks/main.yml") ?? "") as { name: string }[]).filter((t) => t.name === TASK);
  expect(tasks).toHaveLength(1);
  const path = join(work, "play.yml");
  const vars = { h5b_gateway: { wan_nic: "lo" }, ansible_host: address };
  writeFileSync(path, stringify([{ hosts: "localhost", connection: "local", gather_facts: true, gather_subset: ["network"], vars, tasks }]));
  return execa("ansible-playbook", [path], { env: { ANSIBLE_NOCOLOR: "1" }, reject: false, all: true });
}

describe("the gateway role", () => {
  it("names the rendered WAN port", () => {
    expect((parse(files.get("ansible/host_vars/gateway.yml") ?? "") as { h5b_gateway: { wan_nic: string } }).h5b_gateway.wan_nic).toBe("wan0");
  });

  it("stops before anything when Ansible reaches the gateway at its WAN port's address, which the firewall closes", async () => {
    const r = await run("127.0.0.1");
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toContain("an address of its WAN port lo");
  }, 120_000);

  it("goes on when Ansible reaches it at another address, or by name", async () => {
    for (const address of ["10.0.0.1", "gateway.lan.example"]) expect((await run(address)).exitCode).toBe(0);
  }, 120_000);
});
