import { parseBytes, parseMillicores } from "../_quantity.js";
import type { HostSpec } from "../spec/homelab.js";

/**
 * What the kubelet can hand to pods on a host: capacity less what k3s, the OS and the Cilium agent keep.
 * The reserve follows the usual kube-reserved guidance (a quarter core, and 1 GiB or a tenth of memory,
 * whichever is smaller, plus 256 MiB for system daemons).
 */
export interface Allocatable {
  readonly millicores: number;
  readonly memoryBytes: number;
}

export function allocatable(host: Pick<HostSpec, "hardware">): Allocatable {
  const cores = host.hardware.cpu.cores * 1000;
  const mem = parseBytes(host.hardware.memory.size);
  const memReserve = Math.min(2 ** 30, mem / 10) + 256 * 2 ** 20;
  return { millicores: Math.max(0, cores - 250), memoryBytes: Math.max(0, Math.floor(mem - memReserve)) };
}

export function requestOf(resources: { cpu: string; memory: string }): Allocatable {
  return { millicores: parseMillicores(resources.cpu), memoryBytes: parseBytes(resources.memory) };
}
