# firewalld set-entries
# Replaces all entries of one firewalld ipset in a single D-Bus call (setEntries), in the runtime
# or (--permanent) the permanent configuration. firewall-cmd has no option for this: it adds or
# removes entries, and refuses to add one that overlaps an entry still held.
# Arguments: runtime|--permanent IPSET TIMEOUT_SECONDS; on stdin the entries, one per line, then
# a line "end". An input without that last line was cut short: it changes nothing (exit 2), as a
# part of the list would otherwise replace the whole.
import sys

import dbus

NAME = "org.fedoraproject.FirewallD1"
where, ipset, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
lines = sys.stdin.read().split("\n")
if lines[-2:] != ["end", ""]:
    print("Error: the entries for " + ipset + " ended before their end line; nothing was changed",
          file=sys.stderr)
    sys.exit(2)
entries = dbus.Array([line.strip() for line in lines[:-2] if line.strip()], signature="s")
try:
    bus = dbus.SystemBus()
    if where == "--permanent":
        config = bus.get_object(NAME, "/org/fedoraproject/FirewallD1/config")
        path = config.getIPSetByName(ipset, dbus_interface=NAME + ".config")
        bus.get_object(NAME, path).setEntries(
            entries, dbus_interface=NAME + ".config.ipset", timeout=timeout)
    else:
        bus.get_object(NAME, "/org/fedoraproject/FirewallD1").setEntries(
            ipset, entries, dbus_interface=NAME + ".ipset", timeout=timeout)
except dbus.exceptions.DBusException as e:
    name = e.get_dbus_name() or ""
    if name.rsplit(".", 1)[-1] in ("ServiceUnknown", "NameHasNoOwner", "FileNotFound",
                                   "NoServer", "Disconnected"):
        # No bus, or no firewalld on it: firewall-cmd's wording and exit status.
        print("Error: DBUS_ERROR: " + (e.get_dbus_message() or name), file=sys.stderr)
        sys.exit(252)
    print("Error: " + (e.get_dbus_message() or name), file=sys.stderr)
    sys.exit(1)
