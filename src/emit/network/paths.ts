/**
 * Where a host's network settings live: ifupdown reads `/etc/network/interfaces` at boot (networking.service, before
 * network.target), glibc's resolver reads `/etc/resolv.conf`, and NetworkManager reads its connection profiles from
 * `system-connections/` (only files owned by root and readable by nobody else).
 */
export const PATHS = {
  interfaces: "/etc/network/interfaces",
  resolvConf: "/etc/resolv.conf",
  networkManagerProfiles: "/etc/NetworkManager/system-connections/",
} as const;
