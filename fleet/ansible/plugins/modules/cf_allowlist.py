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
  - In diff mode the command's unified diff of every changed target is returned as the task's
    diff, so C(--diff) shows the ranges added and removed.
  - A target that was refused or failed fails the task with the command's own sentence, which says
    what was left in place (nothing changed, or the previous state put back).
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
        C(apache), C(caddy), C(haproxy) or C(fail2ban).
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
    description: An HTTP proxy for the fetch, C(http://[USER:PASSWORD@]HOST[:PORT]).
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
    description: How long (seconds) to wait for another run on the host to finish.
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
    description: Write node_exporter textfile metrics here after the run.
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
  description: The list the run used, its C(name), C(etag) and C(fetched_at).
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

import json
import os

from ansible.module_utils.basic import AnsibleModule

# Module option, the command-line option it stands for, and whether only `apply` takes it.
OPTIONS = (
    ("source", "--source", False),
    ("api_url", "--api-url", False),
    ("text_urls", "--text-urls", False),
    ("jdcloud", "--jdcloud", False),
    ("proxy", "--proxy", False),
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
        proxy=dict(type="str", no_log=False),
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
        config_content=dict(type="str"),
        executable=dict(type="path", default="/usr/bin/cf-allowlist"),
    )


def text(value):
    """A setting's value as the configuration file and --set write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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

    config_file = params["config"]
    if params["config_content"] is not None:
        config_file = os.path.join(module.tmpdir, "cf-allowlist.toml")
        with open(config_file, "w") as f:
            f.write(params["config_content"])

    command = "plan" if module.check_mode else "apply"
    argv = command_line(params, command, config_file)
    rc, stdout, stderr = module.run_command(argv)
    result = parse(stdout)
    if result is None:
        module.fail_json(msg=sentence(stderr, rc), rc=rc, exit_code=rc, stderr=stderr, cmd=argv)
    if result.get("error"):
        module.fail_json(msg=result["error"], rc=rc, exit_code=rc, command=command)

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
        diffs = [t["diff"] for t in targets if t.get("diff")]
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
