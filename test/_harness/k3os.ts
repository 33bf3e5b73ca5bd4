import type { HomelabInput } from "../../src/spec/homelab.js";

/** An administrator key for specs whose nodes run k3OS, which takes SSH keys as its only login. */
export const SAMPLE_SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE admin@laptop";

/** The default spec's Raspberry Pis on k3OS (the seed as written), with the key k3OS needs. */
export function pisOnK3os(s: HomelabInput): void {
  for (const h of Object.values(s.hosts)) if (/raspberry pi/i.test(h.hardware.model ?? "")) h.os = "k3os";
  s.access = { ...s.access, administrator: { ...s.access?.administrator, sshKeys: [SAMPLE_SSH_KEY] } };
}
