import { DDNS_NODE_OPTIONS } from "../../ddns/node-options.js";
import type { Plan } from "../../plan/types.js";
import { type OutputFile, hostPath, linesFile } from "../file.js";
import { COREDNS_CREDENTIALS, COREDNS_UNIT } from "./corefile.js";
import { type Credential, loadCredentialLines } from "./credentials.js";
import { DDNS_CREDENTIALS, DDNS_LISTEN, DDNS_UNIT } from "./ddns-config.js";
import { ETCD_UNIT } from "./etcd.js";
import { PATHS } from "./paths.js";

export const DNSCRYPT_UNIT = "dnscrypt-proxy.service";

/** The units h5b writes whole for Porygon (etcd's and Kea's are Debian's). */
export const PORYGON_UNITS = [COREDNS_UNIT, DNSCRYPT_UNIT, DDNS_UNIT] as const;

/** Binaries that Debian 12 does not package; Ansible installs them here. */
export const BINARIES = { coredns: "/usr/local/bin/coredns", dnscrypt: "/usr/local/bin/dnscrypt-proxy", h5b: "/usr/local/bin/h5b" } as const;

interface UnitSpec {
  readonly host: string;
  readonly name: string;
  readonly description: string;
  readonly after: readonly string[];
  readonly exec: string;
  readonly capabilities: readonly string[];
  readonly credentials: readonly Credential[];
  readonly extra?: readonly string[];
  /** Needs writable executable memory (Node's JIT). */
  readonly jit?: boolean;
}

/**
 * A daemon as an unprivileged dynamic user, with only the capabilities it needs (binding port 53 for CoreDNS,
 * none for the others) and a read-only view of the system.
 */
function unit(u: UnitSpec): string[] {
  const caps = u.capabilities.join(" ");
  return [
    "[Unit]",
    `Description=${u.description}`,
    "Wants=network-online.target",
    `After=${["network-online.target", ...u.after].join(" ")}`,
    "",
    "[Service]",
    `ExecStart=${u.exec}`,
    "DynamicUser=yes",
    `CapabilityBoundingSet=${caps}`,
    ...(caps !== "" ? [`AmbientCapabilities=${caps}`] : []),
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    ...(u.jit === true ? [] : ["MemoryDenyWriteExecute=yes"]),
    "SystemCallArchitectures=native",
    ...loadCredentialLines(u.credentials),
    ...(u.extra ?? []),
    "Restart=on-failure",
    "RestartSec=2s",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
  ];
}

export function emitUnits(plan: Plan): OutputFile[] {
  const units: UnitSpec[] = [
    {
      host: plan.dns.host,
      name: COREDNS_UNIT,
      description: "CoreDNS: the home zones from etcd, everything else through dnscrypt-proxy",
      after: [ETCD_UNIT, DNSCRYPT_UNIT],
      exec: `${BINARIES.coredns} -conf ${PATHS.corefile}`,
      capabilities: ["CAP_NET_BIND_SERVICE"],
      credentials: COREDNS_CREDENTIALS,
      extra: ["LimitNOFILE=65536"],
    },
    {
      host: plan.dns.host,
      name: DNSCRYPT_UNIT,
      description: "dnscrypt-proxy: Oblivious DoH through relays, for CoreDNS on loopback",
      after: [],
      exec: `${BINARIES.dnscrypt} -config ${PATHS.dnscrypt}`,
      capabilities: [],
      credentials: [],
      // The signed resolver lists are cached here between restarts.
      extra: ["CacheDirectory=dnscrypt-proxy"],
    },
    {
      host: plan.dns.dhcpHost,
      name: DDNS_UNIT,
      description: "h5b ddns: kea-dhcp-ddns's updates into CoreDNS's etcd",
      after: plan.dns.host === plan.dns.dhcpHost ? [ETCD_UNIT] : [],
      exec: `${BINARIES.h5b} ddns --config ${PATHS.ddnsConfig}`,
      capabilities: [],
      credentials: DDNS_CREDENTIALS,
      // V8's heap sizing for the daemon (see src/ddns/node-options.ts); bin/h5b.js is started by `env node`.
      // Quoted whole: systemd splits an unquoted Environment= line at spaces into separate assignments.
      // Group _kea: its reconcile reads Kea's lease files, which Kea releases after 2.2 keep from others.
      // Started (for the units ordered after it: kea-dhcp-ddns) once it answers on its TCP port, which it opens
      // after its UDP port: Node cannot tell systemd it is ready, and the start of the process is not.
      extra: [
        `Environment="NODE_OPTIONS=${DDNS_NODE_OPTIONS}"`,
        "SupplementaryGroups=_kea",
        `ExecStartPost=/bin/bash -c 'for _ in {1..300}; do (exec 3<>/dev/tcp/${DDNS_LISTEN.address}/${DDNS_LISTEN.port}) 2>/dev/null && exit 0; sleep 0.2; done; exit 1'`,
      ],
      jit: true,
    },
  ];
  return units.map((u) => linesFile(hostPath(u.host, `${PATHS.units}/${u.name}`), unit(u)));
}
