import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nsupdate, SECRET, startFixture, type Fixture } from "./_fixture.js";

describe("listening on IPv6", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ listen: [{ address: "::1", port: 0 }] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("answers nsupdate over UDP and TCP on ::1 and logs the client's IPv6 address", async () => {
    const body = (n: string) => `server ::1 ${fx.port}\nzone lab.test.\nupdate add ${n}.lab.test. 60 AAAA fd99::7\nsend\n`;
    expect((await nsupdate(body("six-udp"))).code).toBe(0);
    const { spawn } = await import("node:child_process");
    const tcp = await new Promise<number>((resolve) => {
      const p = spawn("nsupdate", ["-v", "-y", `hmac-sha256:ddns-key:${SECRET}`], { stdio: ["pipe", "ignore", "ignore"] });
      p.on("close", (c) => resolve(c ?? -1));
      p.stdin.end(body("six-tcp"));
    });
    expect(tcp).toBe(0);
    const hosts = Object.entries(await fx.dump()).map(([k, v]) => [k.split("/")[4], (JSON.parse(v) as { host: string }).host]);
    expect(hosts.sort()).toEqual([["six-tcp", "fd99::7"], ["six-udp", "fd99::7"]]);
    expect(fx.logs[0]).toMatch(/^ddns client=\[::1\]:\d+ /);
  });
});
