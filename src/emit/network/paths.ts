/**
 * Where a host's network settings live: ifupdown reads `/etc/network/interfaces` at boot (networking.service, before
 * network.target), glibc's resolver reads `/etc/resolv.conf`.
 */
export const PATHS = {
  interfaces: "/etc/network/interfaces",
  resolvConf: "/etc/resolv.conf",
} as const;
