import { describe, expect, it } from "vitest";
import { podRequest } from "../../src/simulate/_podspec.js";

const MI = 2 ** 20;
const c = (resources: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: "c", image: "busybox", resources, ...extra });

describe("a pod's request, as the scheduler adds it up", () => {
  it("takes a container's limit as its request when the request is absent, per resource", () => {
    expect(podRequest({ containers: [c({ limits: { cpu: "3700m", memory: "6800Mi" } })] })).toEqual({ millicores: 3700, memoryBytes: 6800 * MI });
    // CPU from the request, memory from the limit.
    expect(podRequest({ containers: [c({ requests: { cpu: "100m" }, limits: { cpu: "2", memory: "1Gi" } })] })).toEqual({ millicores: 100, memoryBytes: 1024 * MI });
    expect(podRequest({ containers: [c({ limits: { cpu: "1" } }), c({ requests: { memory: "64Mi" } })] })).toEqual({ millicores: 1000, memoryBytes: 64 * MI });
  });

  it("reserves the largest init container's request when it exceeds the containers' sum, limits included", () => {
    expect(podRequest({ initContainers: [c({ limits: { cpu: "2", memory: "64Mi" } })], containers: [c({ requests: { cpu: "500m", memory: "1Gi" } })] })).toEqual({ millicores: 2000, memoryBytes: 1024 * MI });
  });

  it("adds a sidecar (an init container that restarts Always) to the containers and to later init containers", () => {
    const sidecar = c({ requests: { cpu: "200m", memory: "100Mi" } }, { restartPolicy: "Always" });
    const later = c({ requests: { cpu: "1", memory: "10Mi" } });
    expect(podRequest({ initContainers: [sidecar, later], containers: [c({ requests: { cpu: "100m", memory: "50Mi" } })] })).toEqual({ millicores: 1200, memoryBytes: 150 * MI });
  });
});
