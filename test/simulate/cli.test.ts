import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultHomelabInput } from "../../src/spec/load.js";
import { runH5b } from "../_harness/cli.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-simulate-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const h5b = (args: string[]) => runH5b(args, dir);

/** Writes the default spec with an edit to homelab.yaml in the test folder. */
function spec(edit: (w: Record<string, Record<string, unknown>>) => void): void {
  const input = defaultHomelabInput();
  edit(input.workloads as Record<string, Record<string, unknown>>);
  writeFileSync(join(dir, "homelab.yaml"), stringify(input));
}

/**
 * Writes a user's Deployment into the test folder's `extra` (made on first use) and returns the folder. `replicas`
 * is written as given, so a test can hand Kubernetes a value it would refuse.
 */
function extraDeployment(file: string, d: { namespace: string; name: string; container: string; image: string; replicas: unknown }): string {
  const extra = join(dir, "extra");
  mkdirSync(extra, { recursive: true });
  const pod = { metadata: { labels: { app: d.name } }, spec: { containers: [{ name: d.container, image: d.image }] } };
  const body = { replicas: d.replicas, selector: { matchLabels: { app: d.name } }, template: pod };
  writeFileSync(join(extra, file), stringify({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: d.name, namespace: d.namespace }, spec: body }));
  return extra;
}

describe("h5b simulate", () => {
  it("prints the matrix for the default spec and exits 0", async () => {
    const r = await h5b(["simulate"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("h5b simulate home: 3 nodes, 6 workloads, 6 services, 8 scenarios (depth 1)");
    expect(r.stdout).toMatch(/scenario\s+dashboard\s+home-assistant\s+media\s+wireguard\s+kube-dns\s+nfs-server\n\s+healthy\s+up\s+up\s+up\s+up\s+up\s+up\n/);
    // Pod DNS (two replicas, workers only) survives the control plane and either worker.
    expect(r.stdout).toMatch(/pi-cp\s+up\s+up\s+up\s+up\s+up\s+up\n/);
    expect(r.stdout).toMatch(/x86-1\s+degraded\s+down\s+down\s+degraded\s+degraded\s+down\n/);
    expect(r.stdout).toMatch(/storage\s+up\s+down\s+down\s+up\s+up\s+down\n/);
    expect(r.stdout).toContain("media: down: its only replica ran on x86-1; not rescheduled: no other worker runs amd64");
    expect(r.stdout).toContain("✔ every promise kept");
    // No colour without a terminal.
    expect(r.stdout).not.toContain("\u001b[");
  });

  it("writes no secrets: none in a fresh folder, and it runs beside an output whose secrets folder was moved away", async () => {
    expect((await h5b(["simulate"])).exitCode).toBe(0);
    expect(existsSync(join(dir, ".h5b"))).toBe(false);
    // A build's secrets moved away: simulate neither refuses (it replaces no output) nor makes new ones, which the
    // next build would take for the homelab's own.
    expect((await h5b(["build"])).exitCode).toBe(0);
    renameSync(join(dir, ".h5b"), join(dir, "moved"));
    expect((await h5b(["simulate"])).exitCode).toBe(0);
    expect(existsSync(join(dir, ".h5b"))).toBe(false);
    expect((await h5b(["build"])).stderr).toContain("was built with other secrets");
  });

  it("exits 1 and lists each broken promise with its reason", async () => {
    spec((w) => {
      (w.wireguard as { architectures: string[] }).architectures = ["amd64"];
      Object.assign(w.dashboard as object, { essential: true, replicas: 1 });
    });
    const r = await h5b(["simulate"]);
    expect(r.exitCode).toBe(1);
    const broken = r.stdout.split("\n").filter((l) => l.includes("✖"));
    expect(broken).toEqual([
      expect.stringMatching(/^ {2}✖ essential-survives-single-failure: Service apps\/dashboard is down when (pi-worker|x86-1) fails: its only replica ran on (pi-worker|x86-1); rescheduled on/),
      "  ✖ essential-survives-single-failure: Service apps/wireguard is down when x86-1 fails: its 2 replicas ran on x86-1; not rescheduled: no other worker runs amd64",
    ]);
  });

  it("writes stable JSON, with every pair at depth 2", async () => {
    const a = await h5b(["simulate", "--json", "--depth", "2"]);
    const b = await h5b(["simulate", "--json", "--depth", "2"]);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const doc = JSON.parse(a.stdout) as Record<string, unknown> & { scenarios: { id: string; services: Record<string, { status: string; reasons: string[] }> }[] };
    expect(Object.keys(doc)).toEqual(["schema", "cluster", "depth", "nodes", "hosts", "failures", "workloads", "services", "scenarios", "promises", "warnings"]);
    expect(doc.schema).toBe("h5b.simulate/v1");
    expect(doc.scenarios).toHaveLength(29);
    expect(doc.scenarios.find((s) => s.id === "x86-1+api-server")?.services["Service apps/wireguard"]).toEqual({
      status: "degraded",
      ready: 1,
      readyAtFailure: 1,
      desired: 2,
      reasons: ["1 of 2 replicas ran on x86-1", "not rescheduled: the API server is down (the k3s server process failed)", "its address is announced from pi-worker (Local policy: a node with a ready endpoint)"],
    });
  });

  it("writes Markdown", async () => {
    const r = await h5b(["simulate", "--markdown"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("| scenario | dashboard | home-assistant | media | wireguard | kube-dns | nfs-server |\n|---|---|---|---|---|---|---|\n| healthy | ✅ up | ✅ up | ✅ up | ✅ up | ✅ up | ✅ up |");
    expect(r.stdout).toContain("### x86-1");
    expect(r.stdout).toContain("Every promise is kept.");
  });

  it("simulates extra manifests and warns about an image of unknown architecture", async () => {
    extraDeployment("pihole.yaml", { namespace: "dns", name: "pihole", container: "pihole", image: "pihole/pihole:2025.11.0", replicas: 2 });
    const r = await h5b(["simulate", "--manifests", "extra"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("⚠ architectures of pihole/pihole:2025.11.0 unknown: assuming amd64 only");
    expect(r.stdout).toContain("pihole: down: its 2 replicas ran on x86-1; not rescheduled: no other worker runs amd64");
  });

  it("refuses extra manifests Kubernetes would refuse, naming file and object, rather than simulate a guess", async () => {
    const extra = extraDeployment("pihole.yaml", { namespace: "dns", name: "pihole", container: "pihole", image: "pihole/pihole:2025.11.0", replicas: "two" });
    // Custom resources h5b has no schema for pass, under k8s.io too (the Gateway API's).
    writeFileSync(join(extra, "monitor.yaml"), stringify({ apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { name: "x", namespace: "dns" }, spec: {} }));
    writeFileSync(join(extra, "route.yaml"), stringify({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: "x", namespace: "dns" }, spec: {} }));
    const r = await h5b(["simulate", "--manifests", "extra"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`→ at ${join(extra, "pihole.yaml")} (Deployment dns/pihole)`);
    expect(r.stderr).toMatch(/✖ .*replicas.*integer/);
    expect(r.stderr).not.toContain("ServiceMonitor");
    expect(r.stderr).not.toContain("HTTPRoute");
  });

  it("refuses an extra manifest that redefines a rendered object, naming both files, without a stack trace", async () => {
    const extra = extraDeployment("dash.yaml", { namespace: "apps", name: "dashboard", container: "c", image: "busybox", replicas: 1 });
    const r = await h5b(["simulate", "--manifests", "extra"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `✖ is also defined in hosts/pi-cp/var/lib/rancher/k3s/server/manifests/h5b-60-app-dashboard.yaml: Kubernetes keeps one of them; rename this one, or leave it out\n  → at ${join(extra, "dash.yaml")}: Deployment apps/dashboard`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("uses a fresh build output, and renders in memory when the spec is newer", async () => {
    spec(() => {});
    expect((await h5b(["build", "--out", "out"])).exitCode).toBe(0);
    const fresh = await h5b(["simulate", "--out", "out"]);
    expect(fresh.exitCode).toBe(0);
    expect(fresh.stderr).not.toContain("older than");
    spec((w) => {
      (w.wireguard as { replicas: number }).replicas = 1;
    });
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, "homelab.yaml"), later, later);
    const stale = await h5b(["simulate", "--out", "out"]);
    expect(stale.stderr).toContain("is older than");
    expect(stale.exitCode).toBe(1);
  });

  it("rejects bad flags as user errors", async () => {
    const depth = await h5b(["simulate", "--depth", "3"]);
    expect(depth.exitCode).toBe(2);
    expect(depth.stderr).toContain("✖ must be 1 or 2, not 3\n  → at --depth");
    const both = await h5b(["simulate", "--json", "--markdown"]);
    expect(both.exitCode).toBe(2);
    const missing = await h5b(["simulate", "--manifests", "nowhere"]);
    expect(missing.exitCode).toBe(2);
  });
});

describe("h5b check runs the promises", () => {
  it("reports a broken promise as a finding and exits 1", async () => {
    spec((w) => {
      (w.wireguard as { replicas: number }).replicas = 1;
    });
    expect((await h5b(["build", "--out", "out"])).exitCode).toBe(0);
    const r = await h5b(["check", "--out", "out", "--only", "promises"]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("✖ essential-survives-single-failure: Service apps/wireguard is down when pi-worker fails: its only replica ran on pi-worker");
    expect(r.stdout).toContain("→ in hosts/pi-cp/var/lib/rancher/k3s/server/manifests/h5b-60-app-wireguard.yaml (Service apps/wireguard) (promises)");
  });
});
