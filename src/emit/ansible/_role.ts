import { type OutputFile, yamlFile } from "../file.js";

/** An Ansible task or handler, as the object the YAML serializer writes. */
export type Task = Record<string, unknown>;

export interface Role {
  /** Role name as Ansible wants it (`[a-z][a-z0-9_]*`). */
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly Task[];
  readonly handlers?: readonly Task[];
  /** Role defaults: the knobs a user may override from the inventory. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Role variables: facts of the role itself, which the inventory does not override. */
  readonly vars?: Readonly<Record<string, unknown>>;
}

/**
 * In check mode nothing is installed, so a task that needs what an earlier task would have installed (a package's
 * unit, a downloaded archive) fails on a fresh host; there it is reported but does not stop the run.
 */
export function checkModeTolerant(task: Task): Task {
  return { ...task, ignore_errors: "{{ ansible_check_mode }}" };
}

const HEADER = "Rendered by h5b from the spec; edit the spec, not this file.";

/** The files of one role under `ansible/roles/<name>/`. */
export function roleFiles(role: Role): OutputFile[] {
  const dir = `ansible/roles/${role.name}`;
  const meta = {
    galaxy_info: {
      role_name: role.name,
      namespace: "h5b",
      author: "h5b",
      description: role.description,
      license: "Apache-2.0",
      min_ansible_version: "2.14",
      platforms: [{ name: "Debian", versions: ["bookworm"] }],
    },
    dependencies: [],
  };
  return [
    yamlFile(`${dir}/meta/main.yml`, meta, { header: HEADER }),
    yamlFile(`${dir}/tasks/main.yml`, role.tasks, { header: HEADER }),
    ...(role.handlers !== undefined && role.handlers.length > 0 ? [yamlFile(`${dir}/handlers/main.yml`, role.handlers, { header: HEADER })] : []),
    ...(role.defaults !== undefined ? [yamlFile(`${dir}/defaults/main.yml`, role.defaults, { header: HEADER })] : []),
    ...(role.vars !== undefined ? [yamlFile(`${dir}/vars/main.yml`, role.vars, { header: HEADER })] : []),
  ];
}

/**
 * Tasks that copy files of the host's rendered root overlay (`hosts/<host>/…`, listed in `h5b_overlay_files`) under
 * the given path prefixes (absolute, or relative to `/`) to the same paths on the host, byte for byte, in name order, with their rendered modes,
 * owned by root and, unless `group` (a Jinja expression per `item`) says otherwise, group root. Files that others may
 * not read are copied by a second task that never shows a diff, whichever role copies them: `--check --diff` would
 * print a key or a Secret manifest otherwise. With `backup`, a file that is
 * replaced is kept beside it with a time stamp (for files the installer wrote, which h5b takes over). With
 * `register`, the two copies register their results as `<register>` and `<register>_secret` (whose items' `item.path`
 * say which files changed).
 */
export function overlayTasks(
  what: string,
  prefixes: readonly string[],
  opts: { notify?: readonly string[]; backup?: boolean; group?: string; register?: string } = {},
): Task[] {
  // A list, one path a line, and the pattern built from it by Ansible: a long alternation would be one long line.
  const vars = {
    h5b_prefixes: prefixes.map((p) => p.replace(/^\//, "")),
    h5b_pattern: "^({{ h5b_prefixes | map('regex_escape') | join('|') }})",
    h5b_files: "{{ h5b_overlay_files | selectattr('path', 'match', h5b_pattern) }}",
  };
  const task = (name: string, filter: string, secret: boolean): Task => ({
    name,
    "ansible.builtin.copy": {
      src: "{{ item.src }}",
      dest: "/{{ item.path }}",
      owner: "root",
      group: opts.group ?? "root",
      mode: "{{ item.mode }}",
      ...(opts.backup === true ? { backup: true } : {}),
    },
    ...(secret ? { diff: false } : {}),
    loop: `{{ h5b_files${filter} | sort(attribute='path') }}`,
    loop_control: { label: "/{{ item.path }}" },
    vars,
    ...(opts.register !== undefined ? { register: secret ? `${opts.register}_secret` : opts.register } : {}),
    ...(opts.notify !== undefined && opts.notify.length > 0 ? { notify: [...opts.notify] } : {}),
  });
  // The copy module makes no missing parent folders; existing ones (a package's) keep their owner and mode.
  const folders: Task[] = [
    {
      name: `Look for the folders of ${what}`,
      "ansible.builtin.stat": { path: "/{{ item }}" },
      loop: "{{ h5b_files | map(attribute='path') | map('dirname') | unique | sort }}",
      register: "h5b_folders",
      vars,
    },
    {
      name: `Create the missing folders of ${what}`,
      "ansible.builtin.file": { path: "/{{ item }}", state: "directory", owner: "root", group: "root", mode: "0755" },
      loop: "{{ h5b_folders.results | rejectattr('stat.exists') | map(attribute='item') | list }}",
    },
  ];
  const secretMode = "'mode', 'match', '^0[0-7][0-7]0$'";
  return [...folders, task(`Install ${what}`, ` | rejectattr(${secretMode})`, false), task(`Install ${what} (secret files)`, ` | selectattr(${secretMode})`, true)];
}
