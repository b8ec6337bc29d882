# firewalld read-state
# Prints what several `firewall-cmd [--permanent] --info-zone=NAME` / `--info-ipset=NAME` calls
# would, in one process and one D-Bus connection, with firewall-cmd's own formatting.
# Arguments: queries such as "runtime --info-zone=cloudflare" or "permanent --info-ipset=NAME".
# Each answer starts with a line "@@ QUERY" (found) or "@@ QUERY missing" (no such object).
import sys

from firewall.client import FirewallClient
from firewall.command import FirewallCommand

try:
    fw = FirewallClient()
except Exception as e:  # no system bus: firewall.errors.FirewallError
    print("Error: DBUS_ERROR: " + str(e), file=sys.stderr)
    sys.exit(252)
if not fw.connected:
    # firewall-cmd's wording and exit status.
    print("FirewallD is not running", file=sys.stderr)
    sys.exit(252)
cmd = FirewallCommand()
out = sys.stdout
for query in sys.argv[1:]:
    where, option = query.split(" ", 1)
    kind, name = option[len("--info-"):].split("=", 1)
    try:
        if where == "permanent":
            config = fw.config()
            if kind == "zone":
                settings = config.getZoneByName(name).getSettings()
            else:
                settings = config.getIPSetByName(name).getSettings()
        elif kind == "zone":
            settings = fw.getZoneSettings(name)
        else:
            settings = fw.getIPSetSettings(name)
    except Exception as e:  # dbus.exceptions.DBusException or firewall.errors.FirewallError
        text = str(getattr(e, "get_dbus_message", lambda: None)() or e)
        if "INVALID_ZONE" in text or "INVALID_IPSET" in text:
            out.write("@@ " + query + " missing\n")
            continue
        name = getattr(e, "get_dbus_name", lambda: None)() or ""
        if name.startswith("org.freedesktop.DBus.Error."):
            # The bus or firewalld went away: firewall-cmd's wording and exit status.
            print("Error: DBUS_ERROR: " + text, file=sys.stderr)
            sys.exit(252)
        print("Error: " + text, file=sys.stderr)
        sys.exit(1)
    out.write("@@ " + query + "\n")
    if kind == "zone":
        cmd.print_zone_info(name, settings)
    else:
        cmd.print_ipset_info(name, settings)
out.flush()
