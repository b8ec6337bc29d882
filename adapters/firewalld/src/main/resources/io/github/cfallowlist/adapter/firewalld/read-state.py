# firewalld read-state
# Prints what several `firewall-cmd [--permanent] --info-zone=NAME` / `--info-ipset=NAME` calls
# would, in one process and one D-Bus connection, with firewall-cmd's own formatting.
# Arguments: queries such as "runtime --info-zone=cloudflare" or "permanent --info-ipset=NAME".
# Each answer starts with a line "@@ QUERY" (found) or "@@ QUERY missing" (no such object).
# The calls go straight to firewalld's D-Bus methods, the ones firewall-cmd's client library
# calls, without introspecting each object first.
import sys

import dbus
from firewall.client import FirewallClientIPSetSettings, FirewallClientZoneSettings
from firewall.command import FirewallCommand
from firewall.config import dbus as names
from firewall.dbus_utils import dbus_to_python

try:
    bus = dbus.SystemBus()
    if not bus.name_has_owner(names.DBUS_INTERFACE):
        # firewall-cmd's wording and exit status.
        print("FirewallD is not running", file=sys.stderr)
        sys.exit(252)
except dbus.exceptions.DBusException as e:  # no system bus
    print("Error: DBUS_ERROR: " + str(e.get_dbus_message() or e), file=sys.stderr)
    sys.exit(252)


def method(path, interface, name):
    obj = bus.get_object(names.DBUS_INTERFACE, path, introspect=False)
    return obj.get_dbus_method(name, interface)


cmd = FirewallCommand()
out = sys.stdout
for query in sys.argv[1:]:
    where, option = query.split(" ", 1)
    kind, name = option[len("--info-"):].split("=", 1)
    try:
        if where == "permanent":
            if kind == "zone":
                path = method(names.DBUS_PATH_CONFIG, names.DBUS_INTERFACE_CONFIG, "getZoneByName")(name)
                raw = method(path, names.DBUS_INTERFACE_CONFIG_ZONE, "getSettings2")()
            else:
                path = method(names.DBUS_PATH_CONFIG, names.DBUS_INTERFACE_CONFIG, "getIPSetByName")(name)
                raw = method(path, names.DBUS_INTERFACE_CONFIG_IPSET, "getSettings")()
        elif kind == "zone":
            raw = method(names.DBUS_PATH, names.DBUS_INTERFACE_ZONE, "getZoneSettings2")(name)
        else:
            raw = method(names.DBUS_PATH, names.DBUS_INTERFACE_IPSET, "getIPSetSettings")(name)
    except dbus.exceptions.DBusException as e:
        text = str(e.get_dbus_message() or e)
        if "INVALID_ZONE" in text or "INVALID_IPSET" in text:
            out.write("@@ " + query + " missing\n")
            continue
        if (e.get_dbus_name() or "").startswith("org.freedesktop.DBus.Error."):
            # The bus or firewalld went away: firewall-cmd's wording and exit status.
            print("Error: DBUS_ERROR: " + text, file=sys.stderr)
            sys.exit(252)
        print("Error: " + text, file=sys.stderr)
        sys.exit(1)
    out.write("@@ " + query + "\n")
    if kind == "zone":
        cmd.print_zone_info(name, FirewallClientZoneSettings(dbus_to_python(raw)))
    else:
        cmd.print_ipset_info(name, FirewallClientIPSetSettings(list(dbus_to_python(raw))))
out.flush()
