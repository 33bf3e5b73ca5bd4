import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { externalDnsCharts } from "../../src/emit/cluster/external-dns.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { pisOnK3os as onK3os } from "../_harness/k3os.js";
import { ipv4Only, issuesOf, set } from "../spec/_helpers.js";

function planOf(edit: (s: HomelabInput) => void = () => {}): Plan {
  const input = defaultHomelabInput();
  edit(input);
  return buildPlan(parseHomelab(input).spec);
}

/** Each HelmChart's name and the values external-dns's behaviour depends on. */
const instances = (plan: Plan) =>
  externalDnsCharts(plan).map((c) => {
    const { metadata, spec } = c as { metadata: { name: string }; spec: { valuesContent: string } };
    const v = parse(spec.valuesContent) as Record<string, unknown>;
    return { name: metadata.name, image: v.image, owner: v.txtOwnerId, types: v.managedRecordTypes, annotations: v.annotationPrefix, args: v.extraArgs };
  });

describe("external-dns, one instance per address family", () => {
  it("on a dual-stack LAN runs an IPv4 and an IPv6 instance, each seeing only its own keys, with the 0.22 image", () => {
    // One instance would read a name's A and AAAA keys back as one endpoint and rewrite the AAAA at each sync.
    const both = { image: { tag: "v0.22.0" }, annotations: "external-dns.kubernetes.io/", args: ["--coredns-prefix=/skydns/", "--coredns-strictly-owned"] };
    expect(instances(planOf())).toEqual([
      { name: "external-dns", owner: "home", types: ["A", "CNAME"], ...both },
      { name: "external-dns-ipv6", owner: "home-ipv6", types: ["AAAA"], ...both },
    ]);
    expect(instances(planOf(ipv4Only)).map((i) => i.name)).toEqual(["external-dns"]);
  });

  it("annotates the services with the prefix external-dns 0.22 reads", () => {
    expect(planOf().cluster.externalDns.annotationPrefix).toBe("external-dns.kubernetes.io/");
  });

  it("runs a chart's own external-dns from chart 1.22 on", () => {
    const plan = planOf((s) => set(s, "cluster.versions", { externalDns: "1.22.0" }));
    expect(instances(plan).map((i) => [i.name, i.image])).toEqual([
      ["external-dns", undefined],
      ["external-dns-ipv6", undefined],
    ]);
  });

  it("on k3OS (chart 1.14, external-dns 0.14: no strict ownership) runs one instance for IPv4 names alone, and says so", () => {
    expect(instances(planOf(onK3os))).toEqual([
      {
        name: "external-dns",
        image: undefined,
        owner: "home",
        types: undefined,
        annotations: undefined,
        args: ["--coredns-prefix=/skydns/", "--managed-record-types=A", "--managed-record-types=CNAME"],
      },
    ]);
    expect(planOf(onK3os).cluster.externalDns.annotationPrefix).toBe("external-dns.alpha.kubernetes.io/");
    const spec = defaultHomelabInput();
    onK3os(spec);
    expect(issuesOf(spec).filter((i) => i.code === "external-dns-ipv4-only").map((i) => [i.severity, i.path])).toEqual([["warning", "hosts.pi-cp.os"]]);
    ipv4Only(spec);
    expect(issuesOf(spec).map((i) => i.code)).not.toContain("external-dns-ipv4-only");
  });
});
