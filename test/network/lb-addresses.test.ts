import { describe, expect, it } from "vitest";
import { isBuggyIPv4, parseCidr, poolCapacity } from "../../src/_net.js";
import { buildPlan } from "../../src/plan/build.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { issuesOf, set } from "../spec/_helpers.js";

describe("public addresses MetalLB will hand out (avoidBuggyIPs)", () => {
  it.each([
    ["10.0.65.0/28", true, 14n],
    ["10.0.68.0/22", true, 1024n - 8n],
    ["10.0.68.0/22", false, 1022n],
    ["10.0.68.0/24", true, 254n],
    ["2001:db8::/124", true, 15n],
    ["10.0.65.7/32", true, 1n],
    ["10.0.65.254/31", true, 0n],
    ["10.0.65.254/31", false, 1n],
    ["10.0.65.0/31", true, 1n],
  ])("%s (avoid %s) holds %s", (cidr, avoid, n) => {
    expect(poolCapacity(parseCidr(cidr), avoid)).toBe(n);
  });

  it("x.0 and x.255 are the IPv4 addresses avoided", () => {
    expect(["10.0.69.0", "10.0.68.255", "10.0.69.1", "2001:db8::255", "10.0.69.10"].map(isBuggyIPv4)).toEqual([true, true, false, false, false]);
  });

  const bigPool = (s: HomelabInput) => {
    set(s, "networks.lan.ipv4.ranges.public", "10.0.68.0/23");
    set(s, "networks.lan.ipv6.ranges.public", "2001:db8:10::65:0/116");
    // 500 public services, each on a port of its own (the gateway forwards each port once): nearly the whole pool, so
    // an x.255 or x.0 inside it would be picked if it were not skipped.
    for (let i = 0; i < 500; i++) {
      (s.workloads as Record<string, unknown>)[`vpn${i}`] = { ...s.workloads?.wireguard, secretFiles: {}, ports: [{ name: "wg", port: 20000 + i, protocol: "UDP" }] };
    }
  };

  it("h5b never picks an inner x.0 or x.255 of a pool larger than a /24", () => {
    const input = defaultHomelabInput();
    bigPool(input);
    const picked = buildPlan(parseHomelab(input).spec).loadBalancers.filter((lb) => lb.pool === "public").map((lb) => lb.addresses?.ipv4);
    expect(picked.length).toBeGreaterThan(500);
    expect(picked.filter((a) => a === undefined || isBuggyIPv4(a))).toEqual([]);
  });

  it("a service pinned to one is refused while avoidBuggyIPs is on", () => {
    const input = defaultHomelabInput();
    bigPool(input);
    set(input, "workloads.wireguard.loadBalancerIPs", { ipv4: "10.0.68.255" });
    expect(issuesOf(input).filter((i) => i.severity === "error").map((i) => [i.code, i.path])).toEqual([["lb-ip-avoided", "workloads.wireguard.loadBalancerIPs.ipv4"]]);
    set(input, "cluster.pools", { avoidBuggyIPs: false });
    expect(issuesOf(input).filter((i) => i.severity === "error")).toEqual([]);
  });
});
