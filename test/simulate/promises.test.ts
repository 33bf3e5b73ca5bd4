import { describe, expect, it } from "vitest";
import type { BrokenPromise } from "../../src/simulate/index.js";
import { pisOnK3os } from "../_harness/k3os.js";
import { simulateSpec } from "./_spec.js";

const summary = (b: BrokenPromise) => `${b.rule} ${b.service} @${b.scenario}: ${b.status}: ${b.reasons.join("; ")}`;

describe("the seed's promises on the default spec", () => {
  const sim = simulateSpec();

  it("keeps every promise", () => {
    expect(sim.broken).toEqual([]);
    expect(sim.rows.filter((r) => r.essential).map((r) => r.id)).toEqual(["Service apps/wireguard"]);
  });

  it("has the healthy scenario and every single failure: each host, the API server and storage", () => {
    expect(sim.scenarios.map((s) => s.id)).toEqual(["healthy", "gateway", "pi-cp", "pi-worker", "porygon", "x86-1", "api-server", "storage"]);
  });

  it("spreads the VPN over both workers, so it survives either one", () => {
    expect(sim.placement[sim.model.workloads.findIndex((w) => w.name === "wireguard")]?.slice().sort()).toEqual(["pi-worker", "x86-1"]);
    const vpn = sim.rows.findIndex((r) => r.name === "wireguard");
    for (const sc of sim.scenarios) expect(sc.outcomes[vpn]?.status, sc.id).not.toBe("down");
  });

  it("tells why the amd64-only NFS media server goes down with x86-1", () => {
    const media = sim.rows.findIndex((r) => r.name === "media");
    const x86 = sim.scenarios.find((s) => s.id === "x86-1");
    expect(x86?.outcomes[media]).toMatchObject({ status: "down", reasons: ["its only replica ran on x86-1", "not rescheduled: no other worker runs amd64"] });
    expect(x86?.effects).toContain("storage down (x86-1 is down): every pod that mounts 10.0.0.20:/k8s fails; stateless pods keep running, unless the dead hard mounts hang their node's kubelet (not modelled)");
  });

  it("runs the NFS server on the storage host only: it goes down with the host or with storage, and stays up without the API server", () => {
    const server = sim.model.workloads.findIndex((w) => w.namespace === "kube-system" && w.name === "nfs-server");
    expect(sim.placement[server]).toEqual(["x86-1"]);
    const row = sim.rows.findIndex((r) => r.id === "Deployment kube-system/nfs-server");
    const at = (id: string) => sim.scenarios.find((s) => s.id === id)?.outcomes[row];
    expect(at("x86-1")).toMatchObject({
      status: "down",
      reasons: ["its only replica ran on x86-1", "not rescheduled: no remaining node matches its node selection and tolerations (pi-cp: taint CriticalAddonsOnly=true:NoExecute not tolerated; pi-worker: does not match nodeSelector h5b/storage=zfs)"],
    });
    expect(at("storage")).toMatchObject({ status: "down", reasons: ["its data is on ZFS (tank/k8s) and storage is down (ZFS/NFS failed on x86-1)"] });
    for (const id of ["api-server", "pi-cp", "pi-worker", "porygon", "gateway"]) expect(at(id)?.status, id).toBe("up");
    // Not essential: it cannot outlive its host, and the apps that need it are judged on their own.
    expect(sim.rows[row]?.essential).toBe(false);
  });

  it("knows the pods' own DNS goes through Porygon: cluster.local only while it is down, and no image pulls", () => {
    const dns = sim.rows.findIndex((r) => r.name === "kube-dns");
    const at = (id: string) => sim.scenarios.find((s) => s.id === id)?.outcomes[dns];
    expect(at("porygon")).toMatchObject({ status: "degraded", reasons: ["pods resolve cluster.local names only: every other name is forwarded to the nodes' resolver (porygon is down)"] });
    expect(at("gateway")).toMatchObject({ status: "degraded", reasons: ["pods resolve no internet names (gateway is down); cluster.local and the home zones still resolve"] });
    const pair = simulateSpec(undefined, 2).scenarios.find((s) => s.id === "porygon+x86-1" || s.id === "x86-1+porygon");
    const vpn = sim.rows.findIndex((r) => r.name === "wireguard");
    expect(pair?.outcomes[vpn]?.reasons).toContain("its new pods start only where its image is already pulled: no registry resolves (porygon is down)");
  });

  it("says a failed node lost pods only where some ran", () => {
    const effects = (id: string) => sim.scenarios.find((s) => s.id === id)?.effects[0];
    expect(effects("pi-cp")).toBe("pi-cp down: no modelled pod ran there");
    expect(effects("pi-worker")).toMatch(/^pi-worker down: its pods are lost; Deployments reschedule them/);
    // The control plane runs none of them; with it goes the API server, so nothing reschedules pi-worker's.
    const pair = simulateSpec(undefined, 2).scenarios.find((s) => s.id === "pi-cp+pi-worker");
    expect(pair?.effects[0]).toBe("pi-cp and pi-worker down: pi-worker's pods are lost (none ran on pi-cp); nothing reschedules them while the API server is down");
  });

  it("keeps everything running when the API server is down", () => {
    const api = sim.scenarios.find((s) => s.id === "api-server");
    expect(api?.outcomes.map((o) => o.status)).toEqual(sim.scenarios[0]?.outcomes.map((o) => o.status));
  });

  it("says what Porygon and the gateway take with them", () => {
    const porygon = sim.scenarios.find((s) => s.id === "porygon");
    expect(porygon?.effects.join("\n")).toMatch(/name resolution down \(porygon is down\).*\nDHCP down \(porygon is down\): no new leases.*existing leases keep working until they expire; the homelab's own hosts have static addresses$/m);
    const vpn = sim.rows.findIndex((r) => r.name === "wireguard");
    expect(porygon?.outcomes[vpn]?.reasons).toEqual(["its name wireguard.svc.home.example.org does not resolve for LAN clients (porygon is down); its address still answers"]);
    const gw = sim.scenarios.find((s) => s.id === "gateway");
    expect(gw?.outcomes[vpn]).toMatchObject({ status: "degraded", reasons: ["unreachable from the internet (gateway is down); LAN clients still reach it"] });
    const dash = sim.rows.findIndex((r) => r.name === "dashboard");
    expect(gw?.outcomes[dash]?.status).toBe("up");
  });

  it("keeps every host on its address while DHCP is down, nodes on k3OS included (static in connman)", () => {
    const porygon = simulateSpec(pisOnK3os).scenarios.find((s) => s.id === "porygon");
    expect(porygon?.effects.join("\n")).toMatch(/until they expire; the homelab's own hosts have static addresses$/m);
  });

  it("adds every pair at depth 2", () => {
    const deep = simulateSpec(undefined, 2);
    expect(deep.scenarios.length).toBe(1 + 7 + 21);
    const both = deep.scenarios.find((s) => s.id === "pi-worker+x86-1");
    const vpn = deep.rows.findIndex((r) => r.name === "wireguard");
    expect(both?.outcomes[vpn]).toMatchObject({ status: "down", reasons: ["its 2 replicas ran on pi-worker and x86-1", "not rescheduled: no remaining node matches its node selection and tolerations (pi-cp: taint CriticalAddonsOnly=true:NoExecute not tolerated)"] });
    // Pairs are shown, never promised.
    expect(deep.broken).toEqual([]);
  });
});

describe("specs that break a promise", () => {
  it("an amd64-only essential service: down with x86-1, no other worker runs amd64", () => {
    const sim = simulateSpec((_, w) => {
      (w.wireguard as { architectures: string[] }).architectures = ["amd64"];
    });
    expect(sim.broken.map(summary)).toEqual([
      "essential-survives-single-failure Service apps/wireguard @x86-1: down: its 2 replicas ran on x86-1; not rescheduled: no other worker runs amd64",
    ]);
  });

  it("an essential service with one replica: down until it is rescheduled", () => {
    const sim = simulateSpec((_, w) => {
      (w.wireguard as { replicas: number }).replicas = 1;
    });
    expect(sim.broken.map(summary)).toEqual([
      "essential-survives-single-failure Service apps/wireguard @pi-worker: down: its only replica ran on pi-worker; rescheduled on x86-1 after the 5-minute eviction timeout; its address moves to x86-1 (Local policy: a node with a ready endpoint)",
    ]);
  });

  it("an essential service on NFS: down when storage or its host fails", () => {
    const sim = simulateSpec((_, w) => {
      Object.assign(w.dashboard as object, { essential: true, state: "nfs" });
    });
    expect(sim.broken.map((b) => `${b.service} @${b.scenario}`)).toEqual(["Service apps/dashboard @x86-1", "Service apps/dashboard @storage"]);
    expect(sim.broken[1]?.reasons).toEqual(["its data is on NFS (claim dashboard-data) and storage is down (ZFS/NFS failed on x86-1)"]);
  });

  it("a worker too small to take the failed node's pods: the essential service stays short of a replica", () => {
    const sim = simulateSpec((spec, w) => {
      (spec.hosts["pi-worker"]?.hardware.memory as { size: string }).size = "2Gi";
      Object.assign(w.dashboard as object, { essential: true, resources: { cpu: "100m", memory: "1Gi" } });
    });
    expect(sim.broken.map(summary)).toEqual([
      "essential-recovers-from-worker-failure Service apps/dashboard @x86-1: degraded: 1 of 2 replicas ran on x86-1; not rescheduled: no node can take it (pi-worker: 265Mi memory free, needs 1Gi); its address is announced from pi-worker (Local policy: a node with a ready endpoint)",
    ]);
  });

  it("an essential service that does not fit: broken on the healthy cluster already", () => {
    const sim = simulateSpec((_, w) => {
      Object.assign(w.dashboard as object, { essential: true, replicas: 2, architectures: ["arm64"], resources: { cpu: "100m", memory: "6Gi" } });
    });
    expect(sim.broken.map((b) => `${b.rule} @${b.scenario}`)).toEqual(["essential-up-when-healthy @healthy", "essential-survives-single-failure @pi-worker"]);
    expect(sim.broken[0]?.reasons).toEqual(["1 of 2 replicas cannot be placed: no node can take it (pi-worker: 802Mi memory free, needs 6Gi)"]);
  });
});
