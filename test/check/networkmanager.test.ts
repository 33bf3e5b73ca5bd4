import { describe, expect, it } from "vitest";
import { keyfileEntries, networkManagerChecker, withGatewayInAddress } from "../../src/check/networkmanager.js";
import type { CheckContext } from "../../src/check/types.js";
import { editedContext } from "./_context.js";
import { renderWithTestSecrets } from "../_harness/golden.js";

const PI = "hosts/pi-cp/etc/NetworkManager/system-connections/h5b-lan.nmconnection";
const rendered = await renderWithTestSecrets(undefined);

/** The default build's files, pi-cp's profile edited. */
const ctx = (edit?: (text: string) => string): CheckContext => editedContext(rendered, PI, edit);

describe("keyfileEntries", () => {
  it("reads sections, keys and values, and skips comments and blank lines", () => {
    expect([...keyfileEntries("# c\n[connection]\nid=a=b\n\n[ipv4]\n method = manual \n")]).toEqual([
      ["connection.id", "a=b"],
      ["ipv4.method", "manual"],
    ]);
  });
});

describe("withGatewayInAddress", () => {
  it("reads a newer NetworkManager's separate gateway key as 1.42 writes it, and leaves 1.42's own form alone", () => {
    const newer = keyfileEntries("[ipv4]\naddress1=10.0.0.10/16\ngateway=10.0.0.1\n[ipv6]\naddress1=2001:db8::10/64,2001:db8::1\n");
    expect([...withGatewayInAddress(newer)]).toEqual([
      ["ipv4.address1", "10.0.0.10/16,10.0.0.1"],
      ["ipv6.address1", "2001:db8::10/64,2001:db8::1"],
    ]);
  });
});

describe("h5b check: networkmanager", () => {
  it("reads the default build's profiles back unchanged (nmcli --offline)", async () => {
    const read = [...ctx().files.keys()].filter((p) => p.endsWith(".nmconnection")).sort();
    expect(read).toEqual([PI, "hosts/pi-worker/etc/NetworkManager/system-connections/h5b-lan.nmconnection"]);
    expect(await networkManagerChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  it.each([
    {
      name: "an address it cannot parse, the static method's only one",
      edit: (t: string) => t.replace("address1=10.0.0.10/16,10.0.0.1", "address1=10.0.0.300/16,10.0.0.1"),
      message: "nmcli --offline refuses it: Error: Error writing connection: ipv4.addresses: this property cannot be empty for 'method=manual'",
    },
    {
      name: "an unknown method",
      edit: (t: string) => t.replace("[ipv6]\nmethod=manual", "[ipv6]\nmethod=static"),
      message: "nmcli --offline refuses it: Error: Error writing connection: ipv6.method: property is invalid",
    },
    {
      // NetworkManager drops the key without a word: the profile would come up without it.
      name: "a misspelled property",
      edit: (t: string) => t.replace("dns-search=", "dns-searches="),
      message: "NetworkManager drops it: ipv4.dns-searches=svc.home.example.org;lan.home.example.org; (an unknown property or a value it cannot parse)",
    },
    {
      name: "a DNS server it cannot parse, beside one it can",
      edit: (t: string) => t.replace("dns=10.0.0.53;", "dns=10.0.0.53;10.0.0.530;"),
      message: "NetworkManager reads it as 10.0.0.53;: ipv4.dns=10.0.0.53;10.0.0.530; (an unknown property or a value it cannot parse)",
    },
  ])("reports $name at the rendered file", async ({ edit, message }) => {
    const res = await networkManagerChecker.run(ctx(edit));
    expect(res.skipped).toEqual([]);
    expect(res.findings).toEqual([{ check: "networkmanager", where: PI, message }]);
  });
});
