import type { Plan } from "../../plan/types.js";
import { hostPath, type OutputFile, yamlFile } from "../file.js";
import { K3S_CONFIG_FILE, K3S_TOKEN_FILE, k3sFlags } from "./_flags.js";

export { K3S_CONFIG_FILE, K3S_MANIFESTS_DIR, K3S_TOKEN_FILE, k3sFlags } from "./_flags.js";

/** `/etc/rancher/k3s/config.yaml` of every Debian k3s node; the token is read from a file Ansible installs. */
export function emitK3s(plan: Plan): OutputFile[] {
  return plan.hosts
    .filter((h) => h.k3s !== undefined && h.os === "debian")
    .map((h) =>
      yamlFile(hostPath(h.name, K3S_CONFIG_FILE), { ...k3sFlags(plan, h), "token-file": K3S_TOKEN_FILE }, {
        header: `k3s ${h.k3s?.role} configuration of ${h.name} (k3s ${h.k3s?.version}), rendered by h5b.`,
      }),
    );
}
