import { emitGateway, PATHS } from "../../src/emit/gateway/index.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan, PlanGateway, PlanHost } from "../../src/plan/types.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { ipv4Only } from "../spec/_helpers.js";

export interface RenderedGateway {
  readonly plan: Plan;
  readonly gateway: PlanGateway;
  /** The gateway's files by their path in the output folder, as `h5b check` reads them. */
  readonly output: ReadonlyMap<string, string>;
  /** The file at an absolute path on the gateway; undefined when it was not rendered. */
  file(path: string): string | undefined;
  host(name: string): PlanHost;
}

/** A public web service on TCP (the default spec's public workload, the VPN, is UDP only). */
export const withPublicWeb = (s: HomelabInput): void => {
  s.workloads = {
    ...s.workloads,
    web: {
      image: "nginx:1.27",
      architectures: ["amd64", "arm64"],
      ports: [{ name: "https", port: 8443 }],
      exposure: "public",
    },
  };
};

/** Variants of the default spec the gateway tests run against. */
export const variants: Record<string, (s: HomelabInput) => void> = {
  "ipv4-only": ipv4Only,
  /** The gateway is Porygon as well: one box for routing, DNS and DHCP. */
  "gateway-is-porygon": (s) => {
    const gw = s.hosts.gateway as NonNullable<HomelabInput["hosts"][string]>;
    gw.roles = ["gateway", "dns", "dhcp"];
    delete s.hosts.porygon;
  },
  /** Interface names a real mini PC has, one with a dot (a VLAN on the WAN port). */
  "renamed-ports": (s) => {
    const gw = s.hosts.gateway as NonNullable<HomelabInput["hosts"][string]>;
    gw.hardware.nics = [
      { name: "enp2s0.7", mac: "00:00:5e:00:53:01", network: "wan" },
      { name: "enp3s0", mac: "00:00:5e:00:53:02" },
    ];
  },
};

export function renderGateway(mutate: (s: HomelabInput) => void = () => {}): RenderedGateway {
  const input = defaultHomelabInput();
  mutate(input);
  const plan = buildPlan(parseHomelab(input).spec);
  if (plan.gateway === undefined) throw new Error("the spec has no gateway");
  const gateway = plan.gateway;
  const output = new Map(emitGateway(plan).map((f) => [f.path, f.content]));
  return {
    plan,
    gateway,
    output,
    file: (p) => output.get(`hosts/${gateway.host}${p}`),
    host: (name) => {
      const h = plan.hosts.find((x) => x.name === name);
      if (h === undefined) throw new Error(`no host ${name}`);
      return h;
    },
  };
}

export { PATHS };
