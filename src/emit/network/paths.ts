/**
 * Where a host's network settings live: ifupdown reads `/etc/network/interfaces` at boot (networking.service, before
 * network.target), glibc's resolver reads `/etc/resolv.conf`, NetworkManager reads its connection profiles from
 * `system-connections/` (only files owned by root and readable by nobody else), and connman its provisioning files.
 */
export const PATHS = {
  interfaces: "/etc/network/interfaces",
  resolvConf: "/etc/resolv.conf",
  networkManagerProfiles: "/etc/NetworkManager/system-connections/",
  /** connman (k3OS) reads `*.config` files here; their names may hold letters and digits only. */
  connmanService: "/var/lib/connman/h5b.config",
} as const;
