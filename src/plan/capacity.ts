import { parseBytes, parseMillicores } from "../_quantity.js";
import type { HostSpec } from "../spec/homelab.js";

/**
 * What the kubelet can hand to pods on a host: capacity less what k3s, the OS and the Cilium agent keep, and less
 * the kubelet's hard eviction threshold for memory. The reserve follows the usual kube-reserved guidance (a quarter
 * core, and 1 GiB or a tenth of memory, whichever is smaller, plus 256 MiB for system daemons); each node's kubelet
 * is given both (see k3sFlags), so validation and the simulator count with what the scheduler sees, but for the
 * kernel's own share of the memory, which the spec's memory size does not show.
 */
export interface Allocatable {
  readonly millicores: number;
  readonly memoryBytes: number;
}

export function allocatable(host: Pick<HostSpec, "hardware">): Allocatable {
  const r = systemReserved(host);
  const cores = host.hardware.cpu.cores * 1000;
  const mem = parseBytes(host.hardware.memory.size);
  return { millicores: Math.max(0, cores - r.millicores), memoryBytes: Math.max(0, mem - r.memoryBytes - EVICTION_HARD_BYTES) };
}

/** The kubelet's hard eviction threshold for memory (see k3sFlags), which it takes off allocatable too. */
export const EVICTION_HARD_BYTES = 100 * 2 ** 20;

/** What the kubelet keeps back for k3s, the OS and the Cilium agent, in whole MiB (its `system-reserved`). */
export function systemReserved(host: Pick<HostSpec, "hardware">): Allocatable {
  const mem = parseBytes(host.hardware.memory.size);
  return { millicores: 250, memoryBytes: Math.ceil((Math.min(2 ** 30, mem / 10) + 256 * 2 ** 20) / 2 ** 20) * 2 ** 20 };
}

export function requestOf(resources: { cpu: string; memory: string }): Allocatable {
  return { millicores: parseMillicores(resources.cpu), memoryBytes: parseBytes(resources.memory) };
}
