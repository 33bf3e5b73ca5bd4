import { bool, closed, int, type JsonSchema, labelSelector, resource, strList } from "./_common.js";

const selectors = { type: "array", items: labelSelector } as const;

/** metallb.io/v1beta1 IPAddressPool (MetalLB v0.16.1). */
export const ipAddressPoolSchema: JsonSchema = resource(
  "metallb.io/v1beta1",
  "IPAddressPool",
  closed(
    {
      addresses: { type: "array", items: { type: "string", pattern: "^[0-9a-fA-F:.]+(/[0-9]{1,3}|\\s*-\\s*[0-9a-fA-F:.]+)$" }, minItems: 1 },
      autoAssign: bool,
      avoidBuggyIPs: bool,
      serviceAllocation: closed({ priority: int, namespaces: strList, namespaceSelectors: selectors, serviceSelectors: selectors }),
    },
    ["addresses"],
  ),
);

/** metallb.io/v1beta1 L2Advertisement (MetalLB v0.16.1; `preferredNodeSelectors` is unreleased). */
export const l2AdvertisementSchema: JsonSchema = resource(
  "metallb.io/v1beta1",
  "L2Advertisement",
  closed({ ipAddressPools: strList, ipAddressPoolSelectors: selectors, nodeSelectors: selectors, interfaces: strList, serviceSelectors: selectors }),
  false,
);
