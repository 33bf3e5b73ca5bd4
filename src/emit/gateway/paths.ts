/**
 * Where the gateway's files live on the host. `/etc/nftables.conf` is what Debian's nftables.service loads at boot
 * (before the network comes up); `/etc/radvd.conf` is what Debian's radvd.service reads and tests before it starts.
 */
export const PATHS = {
  nftables: "/etc/nftables.conf",
  radvd: "/etc/radvd.conf",
  sysctl: "/etc/sysctl.d/90-h5b-gateway.conf",
} as const;

/** The one nftables table h5b owns on the gateway. */
export const TABLE = "h5b";
