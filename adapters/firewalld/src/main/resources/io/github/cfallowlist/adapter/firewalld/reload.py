# firewalld reload
# Reloads firewalld through its D-Bus method reload, the one `firewall-cmd --reload` calls, and
# waits for the reply up to TIMEOUT_SECONDS: firewall-cmd stops waiting after about 25 s, while
# firewalld checks every entry of every ipset as it loads them (about 50 s for 100,000).
# Arguments: TIMEOUT_SECONDS. Exit status and wording as firewall-cmd's: 252 when there is no bus
# or no firewalld on it, 1 when firewalld refuses.
import sys

import dbus

NAME = "org.fedoraproject.FirewallD1"
NO_FIREWALLD = ("ServiceUnknown", "NameHasNoOwner", "FileNotFound", "NoServer", "Disconnected")
try:
    firewalld = dbus.SystemBus().get_object(NAME, "/org/fedoraproject/FirewallD1")
    firewalld.reload(dbus_interface=NAME, timeout=float(sys.argv[1]))
except dbus.exceptions.DBusException as e:
    reason = e.get_dbus_name() or ""
    status = 252 if reason.rsplit(".", 1)[-1] in NO_FIREWALLD else 1
    prefix = "Error: DBUS_ERROR: " if status == 252 else "Error: "
    print(prefix + (e.get_dbus_message() or reason), file=sys.stderr)
    sys.exit(status)
