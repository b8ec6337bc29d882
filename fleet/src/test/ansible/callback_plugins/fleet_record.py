# -*- coding: utf-8 -*-
# The fleet system test's record of a playbook run: every task's result on every host, and the
# play recap, written as one JSON object to the file $FLEET_RECORD when the run ends. The stdout
# callback stays the default one, so the run's log reads as usual.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fleet_record
type: aggregate
short_description: Records each task's result per host as JSON (fleet system test)
description:
  - Writes {"results":[{"task","host","status","result"}],"stats":{HOST:{COUNTER:N}}} to
    the file named by the environment variable FLEET_RECORD.
"""

import json
import os

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fleet_record"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.records = []

    def _record(self, status, result):
        outcome = dict(result._result)
        outcome["failed"] = status == "failed"
        self.records.append(
            dict(
                task=result._task.get_name(),
                host=result._host.get_name(),
                status=status,
                result=outcome,
            )
        )

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("failed", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_playbook_on_stats(self, stats):
        counters = ("ok", "changed", "failures", "unreachable", "skipped")
        hosts = sorted(stats.processed.keys())
        out = dict(
            results=self.records,
            stats=dict(
                (h, dict((c, stats.summarize(h).get(c, 0)) for c in counters)) for h in hosts
            ),
        )
        with open(os.environ["FLEET_RECORD"], "w") as f:
            json.dump(out, f, cls=AnsibleJSONEncoder)
