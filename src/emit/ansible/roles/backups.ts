import type { Plan, PlanHost } from "../../../plan/types.js";
import { BACKUP_SECRETS } from "../../../secrets/backups.js";
import { PATHS, TIMER_UNIT } from "../../backups/index.js";
import type { OutputFile } from "../../file.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles } from "../_role.js";
import { guardHostSecrets, RELOAD_SYSTEMD, reloadSystemdHandler, requireSecretsDir } from "./_shared.js";

/**
 * The storage host's backups: restic from Debian, the rendered settings, scripts and units, the secrets copied
 * from the store (restic's password, and the B2 application key the user put there), and the timer enabled.
 */
export function backupsRole(): OutputFile[] {
  const role: Role = {
    name: "backups",
    description: "restic backups of the ZFS datasets to B2: settings, script, secrets, service and timer",
    tasks: [
      requireSecretsDir,
      {
        // Checked on the machine `h5b deploy` runs on, where the store is, before anything changes on the host.
        name: "Check that the B2 application key is in the secrets folder",
        "ansible.builtin.assert": {
          that: ["(h5b_secrets_dir ~ '/' ~ item.name) is file"],
          fail_msg: "{{ h5b_secrets_dir }}/{{ item.name }} is missing: put the {{ item.what }} of a B2 application key in it (one line, chmod 600)",
          quiet: true,
        },
        loop: "{{ h5b_backups.secrets | selectattr('supplied') | list }}",
        loop_control: { label: "{{ item.name }}" },
      },
      {
        name: "Install restic",
        "ansible.builtin.apt": { name: "restic", state: "present", update_cache: true, cache_valid_time: 3600 },
      },
      {
        name: "Create the backup's settings folder (root only: it holds the secrets)",
        "ansible.builtin.file": { path: PATHS.dir, state: "directory", owner: "root", group: "root", mode: "0700" },
      },
      // The service and the timer share their name up to the dot.
      ...overlayTasks("the backup's settings, scripts and units", [`${PATHS.dir}/`, PATHS.script, PATHS.restic, PATHS.service.replace(/service$/, "")], {
        notify: [RELOAD_SYSTEMD],
      }),
      ...guardHostSecrets("h5b_backups.secrets | selectattr('guards', 'defined') | list", "h5b_backup_secrets_on_host"),
      {
        name: "Install the backup's secrets",
        "ansible.builtin.copy": { src: "{{ h5b_secrets_dir }}/{{ item.name }}", dest: "{{ item.dest }}", owner: "root", group: "root", mode: "0600" },
        diff: false,
        loop: "{{ h5b_backups.secrets }}",
        loop_control: { label: "{{ item.dest }}" },
      },
      checkModeTolerant({
        name: "Enable the backup's timer",
        "ansible.builtin.systemd": { name: TIMER_UNIT, enabled: true, state: "started" },
      }),
    ],
    handlers: [reloadSystemdHandler()],
  };
  return roleFiles(role);
}

/** The secrets the role copies from the store, and which of them the user supplies (B2's key). */
export function backupsVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  if (plan.backups?.host !== host.name) return undefined;
  return {
    secrets: [
      { name: BACKUP_SECRETS.resticPassword, dest: PATHS.resticPassword, supplied: false, what: "restic repository password", guards: "the restic repository" },
      { name: BACKUP_SECRETS.b2KeyId, dest: PATHS.b2KeyId, supplied: true, what: "keyID" },
      { name: BACKUP_SECRETS.b2ApplicationKey, dest: PATHS.b2ApplicationKey, supplied: true, what: "applicationKey" },
    ],
  };
}
