import { createHash } from "node:crypto";
import { parseBytes } from "../../../_quantity.js";
import type { Plan, PlanHost } from "../../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../../file.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles } from "../_role.js";

/**
 * The GPT name of h5b's SLOG or L2ARC partition on one NVMe boot drive: unique across drives, so that
 * /dev/disk/by-partlabel/<name> finds it (parted numbers a new partition itself, so a number could not), and
 * within GPT's 36 characters whatever the drive's id.
 */
export function partitionName(kind: "slog" | "l2arc", diskId: string): string {
  return `h5b-${kind}-${createHash("sha256").update(diskId).digest("hex").slice(0, 8)}`;
}
const CONTRIB_SOURCES = "/etc/apt/sources.list.d/h5b-contrib.sources";
const NFS_MODULES_FILE = "/etc/modules-load.d/h5b-nfs-server.conf";
/** The host kernel's NFS server, which the NFS server pod drives; the image insists on the client module too. */
const NFS_MODULES = ["nfs", "nfsd"];

/**
 * The ZFS pool from the spec's vdev layout, SLOG and L2ARC on NVMe partitions, datasets and their properties, and
 * the kernel modules of the NFS server pod that serves them.
 * community.general 6.6.2 (Debian 12) has no zpool module: a pool `zpool list` does not know is imported if its
 * disks hold it, and made with `zpool create` only when none does, so a second run changes nothing and an existing
 * pool is never touched.
 */
export function zfsRole(): OutputFile[] {
  const role: Role = {
    name: "zfs",
    description: "ZFS: the pool from the spec's vdevs with SLOG and L2ARC on NVMe partitions, datasets and properties; nfsd for the NFS server pod",
    tasks: [
      ...overlayTasks("Debian's contrib archive (ZFS lives there)", [CONTRIB_SOURCES]),
      // DKMS builds the module only for kernels whose headers are installed. The metapackage brings the headers of
      // every kernel to come; the running kernel's own are needed too, for unattended-upgrades installs new kernels
      // without a reboot, and a host still running the older one could not load the module built for the newer.
      checkModeTolerant({
        name: "Install ZFS",
        "ansible.builtin.apt": {
          name: ["linux-headers-{{ h5b_host.arch }}", "linux-headers-{{ ansible_facts['kernel'] }}", "parted", "zfs-dkms", "zfsutils-linux"],
          state: "present",
          update_cache: true,
        },
      }),
      checkModeTolerant({ name: "Load the ZFS module", "community.general.modprobe": { name: "zfs", state: "present" } }),
      checkModeTolerant({
        name: "Read the NVMe drives' partition tables",
        "community.general.parted": { device: "{{ item }}", state: "info", unit: "MiB" },
        loop: "{{ h5b_zfs.partitions | map(attribute='device') | unique }}",
        register: "h5b_drives",
      }),
      {
        // Never a new label: on a drive the system boots from, that would erase its partitions.
        name: "Check that the NVMe drives have GPT partition tables",
        "ansible.builtin.assert": {
          that: ["h5b_not_gpt | length == 0"],
          fail_msg: "{{ h5b_not_gpt | join(', ') }}: no GPT partition table; the SLOG and L2ARC need one (reinstall with GPT, leaving the space free)",
          quiet: true,
        },
        vars: { h5b_not_gpt: "{{ h5b_drives.results | selectattr('disk', 'defined') | rejectattr('disk.table', 'eq', 'gpt') | map(attribute='item') | list }}" },
      },
      {
        // parted numbers the partition itself (the lowest free number); h5b finds it by its GPT name.
        name: "Make the SLOG and L2ARC partitions",
        "ansible.builtin.command": {
          argv: ["parted", "-s", "-a", "optimal", "{{ item.device }}", "--", "unit", "MiB", "mkpart", "{{ item.name }}", "{{ item.start }}", "{{ item.end }}"],
          creates: "/dev/disk/by-partlabel/{{ item.name }}",
        },
        loop: "{{ h5b_zfs.partitions }}",
        loop_control: { label: "{{ item.device }} {{ item.name }}" },
      },
      {
        name: "Wait for the new partitions' device links",
        "ansible.builtin.command": { argv: ["udevadm", "settle"] },
        changed_when: false,
      },
      {
        name: "Look for the pool",
        "ansible.builtin.command": { argv: ["zpool", "list", "-H", "-o", "name", "{{ h5b_zfs.pool }}"] },
        register: "h5b_zpool",
        changed_when: false,
        failed_when: false,
        check_mode: false,
      },
      {
        // A system reinstalled on its boot drives finds the pool on its disks, not imported: `zpool create` would
        // refuse those disks (no -f) and stop the deploy with a message about the disks.
        name: "Import the pool its disks hold",
        "ansible.builtin.command": { argv: ["zpool", "import", "{{ h5b_zfs.pool }}"] },
        register: "h5b_zpool_import",
        when: "h5b_zpool.rc != 0",
        changed_when: "h5b_zpool_import.rc == 0",
        failed_when: false,
      },
      {
        // The disks hold the pool but it cannot come in as it is (another system's hostid, the SLOG partitions lost
        // with the old system): that takes a person, not a new pool.
        name: "Stop where the disks hold the pool but it cannot be imported",
        "ansible.builtin.fail": {
          msg: [
            "{{ h5b_zfs.pool }} is on the disks but did not import: {{ h5b_zpool_import.stderr }}",
            "`zpool import` shows its state. A pool last used by the old system imports with `zpool import -f {{ h5b_zfs.pool }}`;",
            "one whose log devices went with it, with `zpool import -m {{ h5b_zfs.pool }}` (then `zpool remove` them).",
            "Then deploy again: it adds the new SLOG and L2ARC partitions to a pool that has none.",
          ].join("\n"),
        },
        when: "h5b_zpool.rc != 0 and h5b_zpool_import.rc is defined and h5b_zpool_import.rc != 0 and 'no such pool available' not in h5b_zpool_import.stderr",
      },
      {
        name: "Create the pool",
        "ansible.builtin.command": { argv: "{{ h5b_zfs.create }}" },
        when: "h5b_zpool.rc != 0 and h5b_zpool_import.rc is defined and h5b_zpool_import.rc != 0",
        changed_when: true,
      },
      {
        name: "Read the pool's devices",
        "ansible.builtin.command": { argv: ["zpool", "status", "-P", "{{ h5b_zfs.pool }}"] },
        register: "h5b_zpool_status",
        changed_when: false,
        failed_when: false,
        check_mode: false,
      },
      {
        // A pool imported after a reinstall keeps listing the SLOG or L2ARC devices it had, unavailable: their
        // partitions are new and empty. Adding beside them is refused, and ZFS never takes them back by itself.
        name: "Stop where the pool's SLOG or L2ARC devices are gone",
        "ansible.builtin.fail": {
          msg: [
            "{{ h5b_zfs.pool }} lists SLOG or L2ARC devices it cannot use: {{ h5b_gone | join(', ') }} (see `zpool status {{ h5b_zfs.pool }}`).",
            "Remove them (`zpool remove {{ h5b_zfs.pool }} <device, or mirror-N for a SLOG mirror>`) and deploy again: it adds the new partitions.",
          ].join("\n"),
        },
        vars: {
          // The lines under the `logs` and `cache` headings, then the devices on them that are not usable.
          h5b_classes: "{{ h5b_zpool_status.stdout | default('') | regex_findall('(?m)^\\t(?:logs|cache)[\\t ]*\\n((?:\\t {2,}.*(?:\\n|$))*)') | join(' ') }}",
          h5b_gone: "{{ h5b_classes | regex_findall('(\\S+)\\s+(?:UNAVAIL|FAULTED|REMOVED)\\b') }}",
        },
        when: ["h5b_zpool_status.rc == 0", "h5b_gone | length > 0"],
      },
      // A pool brought back after a reinstall that lost the NVMe partitions (`zpool import -m`, its logs removed)
      // would otherwise run without the SLOG for good, every NFS sync write on the hard disks, with deploys
      // reporting nothing. The partitions are new then, so they hold no label that `zpool add` (no -f) would refuse.
      ...(["log", "cache"] as const).map((kind) => ({
        name: `Add the ${kind === "log" ? "SLOG" : "L2ARC"} the pool lacks`,
        "ansible.builtin.command": { argv: `{{ h5b_zfs.add_${kind} }}` },
        when: [`h5b_zfs.add_${kind} | length > 0`, "h5b_zpool_status.rc == 0", `h5b_zpool_status.stdout is not regex('(?m)^\\s+${kind === "log" ? "logs" : "cache"}\\s*$')`],
        changed_when: true,
      })),
      checkModeTolerant({
        name: "Create the datasets",
        "community.general.zfs": { name: "{{ item.name }}", state: "present", extra_zfs_properties: "{{ item.properties }}" },
        loop: "{{ h5b_zfs.datasets }}",
        loop_control: { label: "{{ item.name }}" },
      }),
      // The NFS server pod is the host's only NFS server: a host nfs-server would take port 2049 and reload the
      // kernel's export table from its own /etc/exports under the pod's feet.
      {
        name: "Remove a host NFS server",
        "ansible.builtin.apt": { name: ["nfs-kernel-server"], state: "absent" },
      },
      ...overlayTasks("the NFS server's kernel modules list", [NFS_MODULES_FILE]),
      checkModeTolerant({ name: "Load the NFS server's kernel modules", "community.general.modprobe": { name: "{{ item }}", state: "present" }, loop: NFS_MODULES }),
    ],
  };
  return roleFiles(role);
}

/** `zpool create` argv, partitions and datasets of the storage host, from the plan. */
export function zfsVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  const st = plan.storage;
  if (st === undefined || st.host !== host.name) return undefined;
  const path = (id: string) => host.disks.find((d) => d.id === id)?.path ?? `/dev/disk/by-id/${id}`;
  const part = (kind: "slog" | "l2arc", id: string) => `/dev/disk/by-partlabel/${partitionName(kind, id)}`;
  const mib = (size: string) => Math.ceil(parseBytes(size) / 2 ** 20);
  const slog = mib(st.slog.size);
  const l2arc = mib(st.l2arc.size);
  const nvme = [...new Set([...st.slog.disks, ...st.l2arc.disks])].sort();
  const partitions = nvme.flatMap((id) => [
    // At the end of the drive, in the free space the installer left: the SLOG, then the L2ARC up to the last sector.
    ...(st.slog.disks.includes(id) ? [{ device: path(id), name: partitionName("slog", id), start: `-${slog + l2arc}MiB`, end: `-${l2arc}MiB` }] : []),
    ...(st.l2arc.disks.includes(id) ? [{ device: path(id), name: partitionName("l2arc", id), start: `-${l2arc}MiB`, end: "100%" }] : []),
  ]);
  const slogDevs = st.slog.disks.map((id) => part("slog", id));
  const l2arcDevs = st.l2arc.disks.map((id) => part("l2arc", id));
  // A lost SLOG loses the last seconds of sync writes, so two devices are mirrored; L2ARC is only a cache.
  const log = slogDevs.length > 1 ? ["log", "mirror", ...slogDevs] : slogDevs.length === 1 ? ["log", ...slogDevs] : [];
  const cache = l2arcDevs.length > 0 ? ["cache", ...l2arcDevs] : [];
  const create = [
    "zpool",
    "create",
    "-o",
    `ashift=${st.ashift}`,
    ...["atime=off", "xattr=sa", "acltype=posixacl", "mountpoint=none"].flatMap((p) => ["-O", p]),
    st.pool,
    st.layout,
    ...st.dataDisks.map(path),
    ...log,
    ...cache,
  ];
  const add = (devices: string[]) => (devices.length > 0 ? ["zpool", "add", st.pool, ...devices] : []);
  const datasets = st.datasets.map((d) => ({
    name: d.fullName,
    properties: {
      mountpoint: d.mountpoint,
      compression: d.compression,
      dedup: d.dedup ? "on" : "off",
      recordsize: d.recordsize,
      checksum: d.checksum,
      // The pod serves the datasets; ZFS's own sharing would hand them to a host NFS server that is not there.
      sharenfs: "off",
    },
  }));
  return { pool: st.pool, create, add_log: add(log), add_cache: add(cache), partitions, datasets };
}

export function zfsHostFiles(plan: Plan, host: PlanHost): OutputFile[] {
  if (plan.storage?.host !== host.name) return [];
  return [
    linesFile(hostPath(host.name, NFS_MODULES_FILE), ["# Rendered by h5b: the NFS server pod drives the kernel's nfsd.", ...NFS_MODULES]),
    linesFile(hostPath(host.name, CONTRIB_SOURCES), [
      "# Rendered by h5b: zfs-dkms and zfsutils-linux are in contrib.",
      "Types: deb",
      "URIs: http://deb.debian.org/debian",
      "Suites: bookworm bookworm-updates",
      "Components: contrib",
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
      "",
      "Types: deb",
      "URIs: http://deb.debian.org/debian-security",
      "Suites: bookworm-security",
      "Components: contrib",
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
    ]),
  ];
}
