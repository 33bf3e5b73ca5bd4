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
