#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cf-allowlist contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cf_allowlist
short_description: Keep a host's firewall and web servers in step with Cloudflare's IP ranges
version_added: "0.1.0"
description:
  - Runs the installed C(cf-allowlist) command with C(--format json) and reports what it did.
  - Without check mode it runs C(cf-allowlist apply); in check mode it runs C(cf-allowlist plan),
    which only reads, so the host is never changed.
  - C(changed) follows the command's outcome for each target; a target already in sync is not
    changed, and in check mode a target with a change pending is reported changed.
  - In diff mode the command's unified diff of every target that changed (in check mode, that
    would change) is returned as the task's diff, so C(--diff) shows the ranges added and removed;
    a target that was refused or failed changed nothing and has no part in it.
  - A target that was refused or failed fails the task with the command's own sentence, which says
    what was left in place (nothing changed, or the previous state put back). The targets are
    applied one after the other, so others may have applied in the same run: the message names
    them, and the task is then failed and changed.
  - Every option but I(config), I(config_content), I(settings) and I(executable) is the key of the
    same name in the configuration file (with C(_) for C(-)), and the command-line option of
    that name; an option given here overrides the key in the configuration file (a switch such as
    I(allow_shrink) only when true; false leaves the key of the file).
author:
  - cf-allowlist contributors
requirements:
  - the cf-allowlist package (C(/usr/bin/cf-allowlist)) on the managed host
options:
  target:
    description:
      - The targets to keep in step, such as C(nftables), C(iptables), C(firewalld), C(nginx),
        C(apache), C(caddy), C(haproxy), C(fail2ban) or C(crowdsec).
      - When omitted, the targets of the configuration file.
    type: list
    elements: str
  source:
    description:
      - Where the ranges come from, C(cloudflare), C(cloudflare-text), C(embedded), C(last-good)
        or C(file:PATH).
    type: str
  api_url:
    description: Base of Cloudflare's JSON API.
    type: str
  text_urls:
    description: The IPv4 and the IPv6 list for I(source=cloudflare-text).
    type: list
    elements: str
  jdcloud:
    description: Also use the JD Cloud China network's ranges.
    type: bool
  proxy:
    description:
      - An HTTP proxy for the fetch, C(http://[USER:PASSWORD@]HOST[:PORT]).
      - It reaches the command through its environment (C(https_proxy) and C(http_proxy)), never
        its command line, and is never shown in the task's result or log.
      - Because it is not C(--proxy), a C(proxy) key of the configuration file takes precedence
        over it; an empty string is C(--proxy ""), which turns every proxy off.
    type: str
  family:
    description: Which address families to manage.
    type: str
    choices: [ipv4, ipv6, both]
  min_ranges:
    description: The fewest ranges a list may have per family in use.
    type: int
  shortest_prefix_v4:
    description: The widest IPv4 range accepted, as a prefix length.
    type: int
  shortest_prefix_v6:
    description: The widest IPv6 range accepted, as a prefix length.
    type: int
  max_shrink:
    description: The largest share (percent) of a family's ranges one run may remove.
    type: int
  allow_shrink:
    description: Go past I(max_shrink).
    type: bool
  fallback:
    description: What to install when the source fails and a target holds no list.
    type: str
    choices: [last-good, embedded, none]
  state_dir:
    description: Where the last good list and the change records live.
    type: path
  lock_timeout:
    description:
      - How long (seconds) to wait for another run on the host to finish.
      - Only C(apply) takes the lock; check mode (C(plan)) waits for nothing and ignores it.
    type: int
  ports:
    description: The TCP ports the firewall targets manage.
    type: list
    elements: int
  mode:
    description:
      - C(restrict) lets only Cloudflare reach I(ports); C(allow) accepts Cloudflare ahead of your
        own rules and refuses no one.
    type: str
    choices: [restrict, allow]
  metrics_file:
    description:
      - Write node_exporter textfile metrics here after the run.
      - Check mode writes no metrics; it refuses, with the command's sentence, a path the real
        run would refuse (a symbolic link, a directory, a FIFO or device, a file it cannot read
        or one that is not a metrics file cf-allowlist wrote).
    type: path
  verify_origin_as:
    description: Refuse a list unless every range is inside a route object of this AS.
    type: str
  whois_server:
    description: The whois server asked for I(verify_origin_as).
    type: str
  verify_origin_as_optional:
    description: A whois server that cannot be asked is a warning, not a refusal.
    type: bool
  settings:
    description:
      - Target settings, the keys of the configuration file's C([targets.NAME]) tables, such as
        C(nginx-file) or C(nft-table); each is passed as C(--set KEY=VALUE).
      - Each value must be a string, true or false, or an integer; any other (null, a list, a
        dict, a float) fails the task naming the setting.
    type: dict
  config:
    description:
      - The configuration file whose keys stand in for the options not given here.
      - When neither I(config) nor I(config_content) is given, the command reads
        C(/etc/cf-allowlist/cf-allowlist.toml) if it exists.
    type: path
  config_content:
    description:
      - The text of a configuration file, read from a private temporary file that is removed
        after the run; lets check mode judge a configuration that is not written yet.
      - It may hold a proxy's password, so it is never shown in the task's result or log; the
        command's messages name it C(config_content).
    type: str
  executable:
    description: The cf-allowlist command on the managed host.
    type: path
    default: /usr/bin/cf-allowlist
attributes:
  check_mode:
    support: full
    description: Runs C(cf-allowlist plan), which only reads.
  diff_mode:
    support: full
    description: Returns the unified diff of every target that changes.
notes:
  - The command takes a lock per host, so the timer's run and this module's never overlap.
seealso:
  - name: cf-allowlist's JSON output
    description: The fields of C(targets) and C(source).
    link: https://github.com/cfallowlist/cf-allowlist/blob/main/docs/json.md
"""

EXAMPLES = r"""
- name: Keep nftables and nginx in step with Cloudflare's ranges
  cfallowlist.cloudflare.cf_allowlist:
    target: [nftables, nginx]
    ports: [80, 443]

- name: Do the job set in the configuration file
  cfallowlist.cloudflare.cf_allowlist:
    config: /etc/cf-allowlist/cf-allowlist.toml

- name: Apply a snapshot pushed to the host
  cfallowlist.cloudflare.cf_allowlist:
    source: file:/var/lib/cf-allowlist/fleet-snapshot.txt
    target: [nftables]
    settings:
      nft-table: inet filter
"""

RETURN = r"""
command:
  description: The cf-allowlist command that ran, C(apply) or C(plan) (check mode).
  returned: when the command printed its result
  type: str
  sample: apply
exit_code:
  description: The command's exit status, 0, 1 or 2.
  returned: always
  type: int
source:
  description:
    - The list the run used, its C(name), C(etag) and C(fetched_at).
    - For a C(file:) source C(fetched_at) is the file's modification time on the host.
  returned: when the command printed its result
  type: dict
  sample:
    name: embedded snapshot recorded 2026-10-02T00:00:00Z
    etag: 38f79d050aa027e3be3865e495dcc9bc
    fetched_at: "2026-10-02T00:00:00Z"
targets:
  description:
    - One result per target, as in the command's JSON output, with C(target), C(outcome),
      C(status), C(summary), C(reason), C(added), C(removed), C(ipv4), C(ipv6) and C(diff).
  returned: when the command printed its result
  type: list
  elements: dict
warnings:
  description: What did not fail the run but needs saying, also shown as Ansible warnings.
  returned: when the command printed its result
  type: list
  elements: str
"""

import atexit
import json
import os
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

# Module option, the command-line option it stands for, and whether only `apply` takes it.
OPTIONS = (
    ("source", "--source", False),
    ("api_url", "--api-url", False),
    ("text_urls", "--text-urls", False),
    ("jdcloud", "--jdcloud", False),
    ("family", "--family", False),
    ("min_ranges", "--min-ranges", False),
    ("shortest_prefix_v4", "--shortest-prefix-v4", False),
    ("shortest_prefix_v6", "--shortest-prefix-v6", False),
    ("max_shrink", "--max-shrink", False),
    ("allow_shrink", "--allow-shrink", False),
    ("fallback", "--fallback", False),
    ("state_dir", "--state-dir", False),
    ("lock_timeout", "--lock-timeout", True),
    ("ports", "--ports", False),
    ("mode", "--mode", False),
    ("metrics_file", "--metrics-file", True),
    ("verify_origin_as", "--verify-origin-as", False),
    ("whois_server", "--whois-server", False),
    ("verify_origin_as_optional", "--verify-origin-as-optional", False),
)

FAILED = ("refused", "failed_unchanged", "failed_restored", "state_unknown")

PREFIX = "cf-allowlist: "


def argument_spec():
    return dict(
        target=dict(type="list", elements="str"),
        source=dict(type="str"),
        api_url=dict(type="str"),
        text_urls=dict(type="list", elements="str"),
        jdcloud=dict(type="bool"),
        proxy=dict(type="str", no_log=True),
        family=dict(type="str", choices=["ipv4", "ipv6", "both"]),
        min_ranges=dict(type="int"),
        shortest_prefix_v4=dict(type="int"),
        shortest_prefix_v6=dict(type="int"),
        max_shrink=dict(type="int"),
        allow_shrink=dict(type="bool"),
        fallback=dict(type="str", choices=["last-good", "embedded", "none"]),
        state_dir=dict(type="path"),
        lock_timeout=dict(type="int"),
        ports=dict(type="list", elements="int"),
        mode=dict(type="str", choices=["restrict", "allow"]),
        metrics_file=dict(type="path"),
        verify_origin_as=dict(type="str"),
        whois_server=dict(type="str"),
        verify_origin_as_optional=dict(type="bool"),
        settings=dict(type="dict"),
        config=dict(type="path"),
        config_content=dict(type="str", no_log=True),
        executable=dict(type="path", default="/usr/bin/cf-allowlist"),
    )


def text(value):
    """A setting's value as the configuration file and --set write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def kind(value):
    """What a setting's value is, for the sentence that refuses it."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a dict"
    return "a %s" % type(value).__name__


def bad_setting(settings):
    """The sentence for the first setting the command cannot take, or None."""
    for key, value in sorted((settings or {}).items()):
        if not isinstance(value, (str, bool, int)):
            return "setting %s must be a string, true or false, or an integer, not %s" % (
                key,
                kind(value),
            )
    return None


METRICS_PREFIX = "cf_allowlist_"
METRICS_FIRST = "# HELP cf_allowlist_last_run_timestamp_seconds "
METRICS_MAX_BYTES = 1024 * 1024


def is_metrics(data):
    """Whether data is a metrics file cf-allowlist wrote, as the command judges it."""
    if len(data) > METRICS_MAX_BYTES:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text:
        return True
    if not text.startswith(METRICS_FIRST):
        return False
    return all(
        line.startswith(("# HELP " + METRICS_PREFIX, "# TYPE " + METRICS_PREFIX, METRICS_PREFIX))
        for line in text.splitlines()
    )


def metrics_refusal(path):
    """The sentence with which apply would refuse metrics_file, or None; reads, never writes."""
    if not path:
        return "--metrics-file is empty; give the path of the file to write the metrics to"
    if os.path.islink(path):
        return (
            "--metrics-file %s is a symbolic link, which apply will not write through; give the"
            " path of the file itself" % path
        )
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return "--metrics-file %s is a directory; give the path of a file" % path
    if not stat.S_ISREG(st.st_mode):
        return (
            "--metrics-file %s is not a regular file (a FIFO or a device), which apply will not"
            " replace" % path
        )
    try:
        with open(path, "rb") as f:
            data = f.read(METRICS_MAX_BYTES + 1)
    except PermissionError:
        return (
            "--metrics-file %s cannot be read (permission denied), so apply cannot tell whether"
            " cf-allowlist wrote it" % path
        )
    except OSError:
        data = b"\xff"
    if not is_metrics(data):
        return (
            "apply will not overwrite --metrics-file %s: it is not a metrics file cf-allowlist"
            " wrote (move it away or choose another path)" % path
        )
    return None


def command_line(params, command, config_file):
    argv = [params["executable"], command, "--format", "json"]
    if config_file:
        argv += ["--config", config_file]
    for target in params["target"] or []:
        argv += ["--target", target]
    for name, flag, apply_only in OPTIONS:
        value = params[name]
        if value is None or (apply_only and command != "apply"):
            continue
        if isinstance(value, bool):
            # The command's switches take no value: false leaves the switch off.
            if value:
                argv.append(flag)
        elif isinstance(value, list):
            argv += [flag, ",".join(text(v) for v in value)]
        else:
            argv += [flag, text(value)]
    for key, value in sorted((params["settings"] or {}).items()):
        argv += ["--set", "%s=%s" % (key, text(value))]
    return argv


def sentence(stderr, rc):
    """The command's own sentence from stderr, without its prefix."""
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    if not lines:
        return "cf-allowlist exited with status %d and said nothing" % rc
    line = lines[0]
    return line[len(PREFIX):] if line.startswith(PREFIX) else line


def shown_as(message, path, name):
    """message with path, whole or cut short with "..." as the command shortens it, as name."""
    if path in message:
        return message.replace(path, name)
    start = message.find(path[:16])
    if start < 0:
        return message
    end = start
    while end < len(message) and end - start < len(path) and message[end] == path[end - start]:
        end += 1
    for ellipsis in ("...", "\u2026"):
        if message.startswith(ellipsis, end):
            return message[:start] + name + message[end + len(ellipsis):]
    return message


def proxy_environment(proxy):
    """The proxy for the command's environment, as --proxy would set it for both schemes."""
    if not proxy:
        return {}
    return dict(https_proxy=proxy, HTTPS_PROXY=proxy, http_proxy=proxy)


def parse(stdout):
    """The one JSON object the command prints, or None when it printed none."""
    for line in reversed((stdout or "").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("config", "config_content")],
        supports_check_mode=True,
    )
    params = module.params
    executable = params["executable"]
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        module.fail_json(
            msg="%s is not installed (no such executable file); install the cf-allowlist package"
            " first, or give its path as executable" % executable
        )

    refused = bad_setting(params["settings"])
    if refused:
        module.fail_json(msg=refused)
    if module.check_mode and params["metrics_file"] is not None:
        # plan takes no --metrics-file (and apply --dry-run would write it): judged here instead.
        refused = metrics_refusal(params["metrics_file"])
        if refused:
            module.fail_json(msg=refused)

    config_file = params["config"]
    temporary = None
    if params["config_content"] is not None:
        # A directory of the user the module runs as (root under become), not Ansible's temporary
        # directory, which belongs to the login user: the command trusts a configuration file only
        # when no one but root or itself could have changed it.
        private = tempfile.mkdtemp(prefix="cf-allowlist-")
        atexit.register(shutil.rmtree, private, True)
        config_file = temporary = os.path.join(private, "cf-allowlist.toml")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(params["config_content"])

    def named(message):
        # The temporary file is the module's own: its messages name what the task was given.
        return shown_as(message, temporary, "config_content") if temporary else message

    command = "plan" if module.check_mode else "apply"
    argv = command_line(params, command, config_file)
    if params["proxy"] == "":
        argv += ["--proxy", ""]
    # The proxy may hold a password: in the environment, never on the command line.
    rc, stdout, stderr = module.run_command(
        argv, environ_update=proxy_environment(params["proxy"])
    )
    result = parse(stdout)
    if result is None:
        module.fail_json(
            msg=named(sentence(stderr, rc)), rc=rc, exit_code=rc, stderr=named(stderr), cmd=argv
        )
    if result.get("error"):
        module.fail_json(msg=named(result["error"]), rc=rc, exit_code=rc, command=command)

    targets = result.get("targets") or []
    for warning in result.get("warnings") or []:
        module.warn(warning)
    done = "would_change" if module.check_mode else "applied"
    changed = any(t.get("outcome") == done for t in targets)
    # No "rc": Ansible takes a non-zero rc for a failure, and plan's 2 means a change is pending.
    out = dict(
        changed=changed,
        exit_code=result.get("exit_code", rc),
        command=command,
        source=result.get("source"),
        targets=targets,
        warnings=result.get("warnings") or [],
    )
    if module._diff:
        # Only what changed (or would): a refused or failed target changed nothing.
        diffs = [t["diff"] for t in targets if t.get("diff") and t.get("outcome") == done]
        if diffs:
            out["diff"] = dict(prepared="".join(diffs).rstrip("\n"))

    failed = [t for t in targets if t.get("outcome") in FAILED]
    if failed or result.get("exit_code", rc) == 1:
        said = [
            "%s: %s" % (t.get("target"), t.get("summary") or t.get("reason")) for t in failed
        ] or [sentence(stderr, rc)]
        msg = "; ".join(said)
        applied = [t.get("target") for t in targets if t.get("outcome") == "applied"]
        if applied:
            msg += " (applied in the same run: %s)" % ", ".join(applied)
        out.pop("warnings")
        module.fail_json(msg=msg, **out)
    out.pop("warnings")
    module.exit_json(**out)


if __name__ == "__main__":
    main()
