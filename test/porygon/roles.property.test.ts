import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { etcdRoles } from "../../src/emit/porygon/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { ETCD_USERS } from "../../src/secrets/dns.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);
const zone = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));

/** Whether any key a permission reaches is also reached by the other. */
const overlap = (a: { key: string; prefix: boolean }, b: { key: string; prefix: boolean }) =>
  a.key === b.key || (a.prefix && b.key.startsWith(a.key)) || (b.prefix && a.key.startsWith(b.key));

describe("etcd roles, for any pair of zones the spec accepts", () => {
  it("give external-dns and h5b ddns write access to disjoint keys", () => {
    fc.assert(
      fc.property(zone, zone, (services, dhcp) => {
        const input = defaultHomelabInput();
        input.site = { ...input.site, zones: { services, dhcp } };
        let spec;
        try {
          spec = parseHomelab(input).spec;
        } catch {
          fc.pre(false);
          return;
        }
        const roles = etcdRoles(buildPlan(spec));
        const writes = (u: string) => roles.find((r) => r.user === u)?.permissions.filter((p) => p.access === "readwrite") ?? [];
        for (const a of writes(ETCD_USERS.externalDns)) for (const b of writes(ETCD_USERS.ddns)) expect(overlap(a, b), `${a.key} / ${b.key}`).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
