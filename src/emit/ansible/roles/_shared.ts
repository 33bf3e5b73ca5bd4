import type { Task } from "../_role.js";

export const RELOAD_SYSTEMD = "Reload systemd units";

/** A condition for what only makes sense on a booted host, not in a chroot being prepared (h5b's own test). */
export const OUTSIDE_CHROOT = "not (ansible_facts['is_chroot'] | default(false))";

/** systemd's daemon-reload; a root without a running systemd (a chroot being prepared) has nothing to reload. */
export function reloadSystemdHandler(): Task {
  return {
    name: RELOAD_SYSTEMD,
    "ansible.builtin.systemd": { daemon_reload: true },
    when: OUTSIDE_CHROOT,
  };
}

export const requireSecretsDir: Task = {
  name: "Check that the secrets folder is known",
  "ansible.builtin.assert": {
    that: ["h5b_secrets_dir is defined"],
    fail_msg: "h5b_secrets_dir is not set: run `h5b deploy`, or pass -e h5b_secrets_dir=<the .h5b/secrets folder>",
    quiet: true,
  },
};

/**
 * Secrets whose copy on the host is what its data was made with (restic's repository key, a k3s cluster's join
 * token): a secrets folder that lost its copy makes a new one at the next build, and copying that over the host's
 * would lock the data away for good. When the host has a copy that differs from the folder's, the play stops and
 * says how to put the host's back. `items` is a list expression of `{ name, dest, guards }`: the file in the secrets
 * folder, its path on the host, and what was made with it.
 */
export function guardHostSecrets(items: string, register: string): Task[] {
  return [
    {
      name: "Read the host's copies of the secrets its data was made with",
      "ansible.builtin.stat": { path: "{{ item.dest }}", get_checksum: true, checksum_algorithm: "sha256" },
      loop: `{{ ${items} }}`,
      loop_control: { label: "{{ item.dest }}" },
      register,
    },
    {
      name: "Check that the secrets folder holds the same secrets as the host",
      "ansible.builtin.assert": {
        that: [
          "not item.stat.exists or item.stat.checksum == (lookup('ansible.builtin.file', h5b_secrets_dir ~ '/' ~ item.item.name, rstrip=false) | hash('sha256'))",
        ],
        // Over several lines: ansible-lint keeps lines under 160 characters.
        fail_msg: [
          "{{ item.item.dest }} on {{ inventory_hostname }} differs from {{ h5b_secrets_dir }}/{{ item.item.name }},",
          "and {{ item.item.guards }} was made with the host's, so h5b does not overwrite it. Copy the host's into the secrets",
          "folder (ssh {{ inventory_hostname }} sudo cat {{ item.item.dest }}) and deploy again. Keep the host's copy: without it",
          "{{ item.item.guards }} cannot be used.",
        ].join("\n"),
        quiet: true,
      },
      loop: `{{ ${register}.results }}`,
      loop_control: { label: "{{ item.item.dest }}" },
    },
  ];
}

/**
 * A download is only ever checked against a sha256 given from outside the rendered tree (`h5b deploy` reads the
 * release's published checksum file); with none, the play stops before downloading. `releases` is a list expression.
 */
export function requireChecksums(releases: string): Task {
  return {
    name: "Check that the releases' checksums are known",
    "ansible.builtin.assert": {
      that: ["h5b_skip_release_downloads or (item.url in h5b_checksums)"],
      fail_msg: "no sha256 for {{ item.url }}: `h5b deploy` reads it from the release's checksum file, or give it in h5b_checksums",
      quiet: true,
    },
    loop: `{{ ${releases} }}`,
    loop_control: { label: "{{ item.name }} {{ item.version }}" },
  };
}
