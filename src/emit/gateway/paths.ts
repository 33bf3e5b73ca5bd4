/**
 * Where the gateway's files live on the host. `/etc/nftables.conf` is what Debian's nftables.service loads at boot
 * (before the network comes up); `/etc/radvd.conf` is what Debian's radvd.service reads and tests before it starts.
 * Forwarding is switched by a drop-in of nftables.service, so that it is on exactly while the ruleset is loaded.
 */
export const PATHS = {
  nftables: "/etc/nftables.conf",
  radvd: "/etc/radvd.conf",
  sysctl: "/etc/sysctl.d/90-h5b-gateway.conf",
  forwarding: "/etc/systemd/system/nftables.service.d/h5b-forwarding.conf",
} as const;

/** The one nftables table h5b owns on the gateway. */
export const TABLE = "h5b";
