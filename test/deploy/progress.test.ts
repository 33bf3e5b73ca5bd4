import { describe, expect, it } from "vitest";
import { ProgressReader, type TaskResult } from "../../src/deploy/progress.js";

function read(text: string) {
  const results: TaskResult[] = [];
  const other: string[] = [];
  const r = new ProgressReader((x) => results.push(x), (l) => other.push(l));
  for (const line of text.split("\n")) r.line(line);
  r.end();
  return { results, failures: r.failures, recap: r.recap, other };
}

describe("reading ansible-playbook's output", () => {
  it("reports one result per host and task, loop items folded into the worst", () => {
    const { results } = read(
      [
        "PLAY [Base of every Debian host] ***********************************************",
        "",
        "TASK [Gathering Facts] *********************************************************",
        "ok: [porygon]",
        "ok: [pi-cp]",
        "",
        "TASK [common : Install the hostname files] *************************************",
        "ok: [pi-cp] => (item=/etc/hostname)",
        "changed: [pi-cp] => (item=/etc/hosts)",
        "ok: [porygon] => (item=/etc/hostname)",
        "",
        "TASK [common : Create the missing folders of the hostname files] ***************",
        "skipping: [porygon]",
        "",
        "RUNNING HANDLER [common : Apply the hostname] **********************************",
        "changed: [pi-cp]",
        "",
        "PLAY RECAP *********************************************************************",
        "pi-cp                      : ok=3    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0",
      ].join("\n"),
    );
    expect(results).toEqual([
      { host: "porygon", task: "Gathering Facts", status: "ok" },
      { host: "pi-cp", task: "Gathering Facts", status: "ok" },
      { host: "pi-cp", task: "common : Install the hostname files", status: "changed" },
      { host: "porygon", task: "common : Install the hostname files", status: "ok" },
      { host: "porygon", task: "common : Create the missing folders of the hostname files", status: "skipped" },
      { host: "pi-cp", task: "handler common : Apply the hostname", status: "changed" },
    ]);
  });

  it("keeps failures whole, with the message and output out of Ansible's JSON", () => {
    const { results, failures } = read(
      [
        "TASK [k3s : Check that the release's checksum is known] ************************",
        'fatal: [x86-1]: FAILED! => {"assertion": "x", "changed": false, "evaluated_to": false, "msg": "no sha256 for https://example/k3s"}',
        'fatal: [pi-cp]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: timed out", "unreachable": true}',
        "",
        "TASK [zfs : Create the pool] ***************************************************",
        'failed: [x86-1] (item=tank) => {"ansible_loop_var": "item", "changed": false, "cmd": ["zpool"], "msg": "non-zero return code", "rc": 1, "stderr": "cannot create \'tank\': no such device"}',
      ].join("\n"),
    );
    expect(results.map((r) => r.status)).toEqual(["failed", "unreachable", "failed"]);
    expect(failures).toEqual([
      { host: "x86-1", task: "k3s : Check that the release's checksum is known", unreachable: false, detail: "no sha256 for https://example/k3s" },
      { host: "pi-cp", task: "k3s : Check that the release's checksum is known", unreachable: true, detail: "Failed to connect to the host via ssh: timed out" },
      { host: "x86-1", task: "zfs : Create the pool", unreachable: false, detail: "non-zero return code\nstderr:\ncannot create 'tank': no such device" },
    ]);
  });

  it("does not count an ignored failure, nor any of its failed loop items", () => {
    const { results, failures } = read(
      [
        "TASK [zfs : Look for the pool] *************************************************",
        'fatal: [x86-1]: FAILED! => {"msg": "no pool"}',
        "...ignoring",
        "TASK [common : Enable SSH] *****************************************************",
        'failed: [porygon] (item=ssh.service) => {"msg": "Could not find the requested service ssh.service: host"}',
        'failed: [pi-cp] (item=ssh.service) => {"msg": "Could not find the requested service ssh.service: host"}',
        'failed: [porygon] (item=systemd-timesyncd.service) => {"msg": "Could not find the requested service"}',
        'fatal: [porygon]: FAILED! => {"msg": "One or more items failed"}',
        "...ignoring",
      ].join("\n"),
    );
    expect(failures.map((f) => f.host)).toEqual(["pi-cp"]);
    expect(results).toEqual([
      { host: "x86-1", task: "zfs : Look for the pool", status: "ok" },
      { host: "porygon", task: "common : Enable SSH", status: "ok" },
      { host: "pi-cp", task: "common : Enable SSH", status: "failed" },
    ]);
  });

  it("does not count ignored failures of hosts whose loop items came in between", () => {
    // Three hosts fail every item of a task that ignores errors; their items interleave, and each host's
    // `...ignoring` follows its last result, after another host's items.
    const { results, failures } = read(
      [
        "TASK [common : Enable SSH, time synchronisation and unattended upgrades] ******",
        'failed: [pi-cp] (item=ssh) => {"msg": "System has not been booted with systemd"}',
        'failed: [porygon] (item=ssh) => {"msg": "System has not been booted with systemd"}',
        'failed: [pi-cp] (item=unattended-upgrades) => {"msg": "System has not been booted with systemd"}',
        'failed: [porygon] (item=unattended-upgrades) => {"msg": "System has not been booted with systemd"}',
        "...ignoring",
        'failed: [x86-1] (item=ssh) => {"msg": "System has not been booted with systemd"}',
        "...ignoring",
        'failed: [x86-1] (item=unattended-upgrades) => {"msg": "System has not been booted with systemd"}',
        "...ignoring",
        "TASK [common : Create the administrator] ***************************************",
      ].join("\n"),
    );
    expect(failures).toEqual([]);
    expect(results.map((r) => `${r.host} ${r.status}`).sort()).toEqual(["pi-cp ok", "porygon ok", "x86-1 ok"]);
  });

  it("reports a delegated task's result as its host's, not as a host named after the delegation", () => {
    // As ansible-playbook 2.14 prints a task delegated to another host (the k3s agent reads the server's token).
    const { results, failures } = read(
      [
        "TASK [k3s : Read the k3s server's token (secure format, with the hash of the cluster's CA)] ***",
        "ok: [x86-1 -> pi-cp(10.0.0.10)]",
        "changed: [pi-worker -> pi-cp(10.0.0.10)] => (item=token)",
        "TASK [k3s : Read the k3s server's token again] *********************************",
        'failed: [x86-1 -> pi-cp(10.0.0.10)] (item=a) => {"changed": true, "msg": "non-zero return code", "rc": 1}',
        'fatal: [pi-worker -> pi-cp]: UNREACHABLE! => {"changed": false, "msg": "timed out", "unreachable": true}',
      ].join("\n"),
    );
    expect(results.map((r) => `${r.host} ${r.status}`)).toEqual(["x86-1 ok", "pi-worker changed", "x86-1 failed", "pi-worker unreachable"]);
    expect(failures.map((f) => [f.host, f.unreachable])).toEqual([
      ["x86-1", false],
      ["pi-worker", true],
    ]);
  });

  it("parses the recap, and hands diffs, warnings and errors on as other lines", () => {
    const { recap, other } = read(
      [
        "[WARNING]: Target is a chroot or systemd is offline.",
        "TASK [common : Install the time settings] **************************************",
        "--- before: /etc/timezone",
        "+++ after: /tmp/x/hosts/porygon/etc/timezone",
        "changed: [porygon] => (item=/etc/timezone)",
        "PLAY RECAP *********************************************************************",
        "porygon                    : ok=21   changed=1    unreachable=0    failed=0    skipped=19   rescued=0    ignored=0",
        "x86-1                      : ok=2    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0",
      ].join("\n"),
    );
    expect(Object.fromEntries(recap)).toEqual({
      porygon: { ok: 21, changed: 1, unreachable: 0, failed: 0, skipped: 19 },
      "x86-1": { ok: 2, changed: 0, unreachable: 1, failed: 0, skipped: 0 },
    });
    expect(other).toEqual(["[WARNING]: Target is a chroot or systemd is offline.", "--- before: /etc/timezone", "+++ after: /tmp/x/hosts/porygon/etc/timezone"]);
  });
});
