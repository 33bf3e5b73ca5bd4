import { ansibleChecker } from "./ansible.js";
import { chartValuesChecker } from "./chart-values.js";
import { corefileChecker } from "./corefile.js";
import { designRulesChecker } from "./design-rules.js";
import { dnscryptChecker } from "./dnscrypt.js";
import { etcdChecker } from "./etcd.js";
import { ifupdownChecker } from "./ifupdown.js";
import { networkManagerChecker } from "./networkmanager.js";
import { k3sConfigChecker } from "./k3s-config.js";
import { keaChecker } from "./kea.js";
import { kubernetesSchemaChecker } from "./kubernetes-schema.js";
import { nfsExportsChecker } from "./nfs-exports.js";
import { nftablesChecker } from "./nftables.js";
import { radvdChecker } from "./radvd.js";
import { rbacAuditChecker } from "./rbac-audit.js";
import { shellChecker } from "./shell.js";
import { systemdChecker } from "./systemd.js";
import { promisesChecker } from "../simulate/checker.js";
import type { Checker } from "./types.js";

export type { CheckContext, Checker, CheckResult, Finding, Skipped } from "./types.js";
export { readOutput, runChecks } from "./run.js";
export { describe, parseManifests, readManifestDir, renderedManifests, type ManifestObject } from "./manifests.js";
export { validateObjects } from "./kubernetes-schema.js";
export { designFindings } from "./design-rules.js";
export { rbacFindings } from "./rbac-audit.js";
export { corefileProblems, parseCorefile } from "./corefile.js";
export { dnscryptProblems } from "./dnscrypt.js";

/** Every checker `h5b check` runs, in order. */
export const checkers: readonly Checker[] = [kubernetesSchemaChecker, chartValuesChecker, k3sConfigChecker, designRulesChecker, rbacAuditChecker, promisesChecker, keaChecker, etcdChecker, corefileChecker, dnscryptChecker, nftablesChecker, radvdChecker, ifupdownChecker, networkManagerChecker, nfsExportsChecker, systemdChecker, shellChecker, ansibleChecker];
