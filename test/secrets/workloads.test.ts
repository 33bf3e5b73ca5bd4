import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { emitAll } from "../../src/emit/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { prepareSecrets, missingSecrets } from "../../src/secrets/prepare.js";
import { SecretStore } from "../../src/secrets/store.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { H5bError } from "../../src/issue.js";

/** Parsed manifests, walked freely in assertions. */
type Any = any;

const work = mkdtempSync(join(tmpdir(), "h5b-workload-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const WG0 = "[Interface]\nAddress = 10.8.0.1/24\nListenPort = 51820\nPrivateKey = cGxhY2Vob2xkZXIta2V5LW5vdC1hLXJlYWwtb25lLTEyMzQ=\n";
const APP = "hosts/pi-cp/var/lib/rancher/k3s/server/manifests/h5b-60-app-wireguard.yaml";

async function render(dir: string) {
  const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);
  const secrets = await prepareSecrets(plan, new SecretStore(dir));
  const files = emitAll(plan, secrets);
  const app = files.find((f) => f.path === APP);
  return { secrets, app, docs: parseAllDocuments(app?.content ?? "").map((d) => d.toJS() as Any) };
}

describe("files a workload mounts from the secret store (the VPN's config)", () => {
  it("until the file exists: a warning naming it, no Secret, and pods that mount it (they wait for it)", async () => {
    const dir = join(work, "missing");
    const r = await render(dir);
    expect(missingSecrets(r.secrets).map((i) => i.path)).toContain(join(dir, "workload-wireguard-wg0.conf"));
    expect(r.docs.some((d) => d.kind === "Secret")).toBe(false);
    const pod = r.docs.find((d) => d.kind === "Deployment").spec.template.spec;
    expect(pod.volumes).toEqual([{ name: "secret-files", secret: { secretName: "wireguard-files", defaultMode: 0o444 } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: "secret-files", mountPath: "/config/wg_confs/wg0.conf", subPath: "wg0.conf", readOnly: true }]);
    expect(r.app?.mode).toBeUndefined();
  });

  it("once it exists: a Secret with its bytes, the manifest root's alone, and a digest that rolls the pods on a change", async () => {
    const dir = join(work, "given");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, "workload-wireguard-wg0.conf"), WG0, { mode: 0o600 });
    const r = await render(dir);
    expect(missingSecrets(r.secrets).map((i) => i.path)).not.toContain(join(dir, "workload-wireguard-wg0.conf"));
    const secret = r.docs.find((d) => d.kind === "Secret");
    expect(secret.metadata).toMatchObject({ name: "wireguard-files", namespace: "apps" });
    expect(Buffer.from(secret.data["wg0.conf"], "base64").toString()).toBe(WG0);
    // Byte for byte: no newline added to a file that has none.
    writeFileSync(join(dir, "workload-wireguard-wg0.conf"), "abc", { mode: 0o600 });
    expect((await render(dir)).docs.find((d) => d.kind === "Secret").data["wg0.conf"]).toBe(Buffer.from("abc").toString("base64"));
    writeFileSync(join(dir, "workload-wireguard-wg0.conf"), WG0, { mode: 0o600 });
    expect(r.app?.mode).toBe(0o600);
    const digest = r.docs.find((d) => d.kind === "Deployment").spec.template.metadata.annotations["h5b/files-sha256"];
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(dir, "workload-wireguard-wg0.conf"), WG0.replace("51820", "51821"), { mode: 0o600 });
    expect((await render(dir)).docs.find((d) => d.kind === "Deployment").spec.template.metadata.annotations["h5b/files-sha256"]).not.toBe(digest);
  });

  it("refuses a supplied file others may read, without showing it", async () => {
    const dir = join(work, "open");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, "workload-wireguard-wg0.conf"), WG0, { mode: 0o644 });
    const e = await render(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(H5bError);
    expect((e as H5bError).issues[0]?.message).toMatch(/readable by group or others/);
    expect(JSON.stringify((e as H5bError).issues)).not.toContain("PrivateKey");
  });
});
