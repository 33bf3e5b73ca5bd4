import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { emitAnsible } from "../../src/emit/ansible/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { pisOnK3os } from "../_harness/k3os.js";

// The k3s role's join-token tasks, run by ansible-playbook on this machine: the "server" is localhost too, its
// token a file of this test's own (no cluster here).
const work = mkdtempSync(join(tmpdir(), "h5b-k3s-token-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = new Map(emitAnsible(buildPlan(parseHomelab(defaultHomelabInput()).spec)).map((f) => [f.path, f.content]));
const hostVars = (host: string) => parse(files.get(`ansible/host_vars/${host}.yml`) ?? "") as { h5b_k3s: Record<string, unknown> };
const TASKS = [
  "Install the join token",
  "Read the k3s server's token (secure format, with the hash of the cluster's CA)",
  "Check that the server's token holds the secrets folder's password",
  "Install the server's token as the join token",
];

const SECRET = "Zr8kWq3vLp0xYt5nBc7mHd2sGf9jKa4e";
const CA_HASH = "5f".repeat(32);
const serverToken = join(work, "server-token");
const agentToken = join(work, "agent-token");

function playbook(k3s: Record<string, unknown>): string {
  const tasks = (parse(files.get("ansible/roles/k3s/tasks/main.yml") ?? "") as { name: string }[]).filter((t) => TASKS.includes(t.name));
  expect(tasks.map((t) => t.name)).toEqual(TASKS);
  mkdirSync(join(work, "secrets"), { recursive: true });
  writeFileSync(join(work, "secrets", "k3s-token"), `${SECRET}\n`);
  const vars = { h5b_k3s: k3s, h5b_secrets_dir: join(work, "secrets"), h5b_k3s_token_file: agentToken, h5b_k3s_server_token_file: serverToken };
  const handlers = [{ name: "Restart k3s", "ansible.builtin.debug": { msg: "restart" } }];
  const path = join(work, "play.yml");
  writeFileSync(path, stringify([{ hosts: "localhost", connection: "local", gather_facts: false, vars, tasks, handlers }]));
  return path;
}

async function run(k3s: Record<string, unknown>, check = false) {
  const r = await execa("ansible-playbook", [playbook(k3s), ...(check ? ["--check"] : [])], { env: { ANSIBLE_NOCOLOR: "1" }, reject: false, all: true });
  // Neither password ever reaches the output.
  expect(r.all).not.toContain(SECRET);
  expect(r.all).not.toContain("other-password");
  return r;
}

describe("the k3s join token", () => {
  it("an agent of a Debian server takes the server's token; the server and a k3OS server's agents keep the password", () => {
    expect(hostVars("x86-1").h5b_k3s).toMatchObject({ role: "agent", server_host: "pi-cp", secrets: [] });
    expect(hostVars("pi-worker").h5b_k3s).toMatchObject({ role: "agent", server_host: "pi-cp", secrets: [] });
    expect(hostVars("pi-cp").h5b_k3s).toMatchObject({ role: "server", secrets: [{ name: "k3s-token", dest: "/etc/rancher/k3s/token" }] });
    expect(hostVars("pi-cp").h5b_k3s.server_host).toBeUndefined();
    const k3os = defaultHomelabInput();
    pisOnK3os(k3os);
    const plan = buildPlan(parseHomelab(k3os).spec);
    const x86 = parse(emitAnsible(plan).find((f) => f.path === "ansible/host_vars/x86-1.yml")?.content ?? "") as { h5b_k3s: Record<string, unknown> };
    expect(x86.h5b_k3s.server_host).toBeUndefined();
    expect(x86.h5b_k3s.secrets).toHaveLength(1);
  });

  it("an agent installs the server's secure token, with the CA's hash, mode 0600", async () => {
    rmSync(agentToken, { force: true });
    writeFileSync(serverToken, `K10${CA_HASH}::server:${SECRET}\n`);
    const r = await run({ role: "agent", server_host: "localhost", secrets: [] });
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(agentToken, "utf8")).toBe(`K10${CA_HASH}::server:${SECRET}\n`);
    expect(statSync(agentToken).mode & 0o777).toBe(0o600);
    // A second run changes nothing.
    expect((await run({ role: "agent", server_host: "localhost", secrets: [] })).all).toMatch(/changed=0/);
  }, 120_000);

  it("stops when the server's token holds another password or is missing, and writes nothing", async () => {
    writeFileSync(agentToken, "untouched\n");
    writeFileSync(serverToken, `K10${CA_HASH}::server:other-password\n`);
    const other = await run({ role: "agent", server_host: "localhost", secrets: [] });
    expect(other.exitCode).not.toBe(0);
    expect(other.all).toContain("does not hold the password");
    rmSync(serverToken);
    const missing = await run({ role: "agent", server_host: "localhost", secrets: [] });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.all).toContain("Deploy the server first");
    expect(readFileSync(agentToken, "utf8")).toBe("untouched\n");
    // In check mode before the server ever ran: reported as nothing to do.
    expect((await run({ role: "agent", server_host: "localhost", secrets: [] }, true)).exitCode).toBe(0);
    expect(readFileSync(agentToken, "utf8")).toBe("untouched\n");
  }, 120_000);

  it("the server, or an agent of a k3OS server, installs the secrets folder's password", async () => {
    rmSync(agentToken, { force: true });
    const r = await run({ role: "agent", secrets: [] });
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(agentToken, "utf8")).toBe(`${SECRET}\n`);
    expect(existsSync(serverToken)).toBe(false);
  }, 120_000);
});
