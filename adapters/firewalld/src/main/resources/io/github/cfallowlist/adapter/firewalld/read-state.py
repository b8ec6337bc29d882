# firewalld read-state
# Prints what several `firewall-cmd [--permanent] --info-zone=NAME` / `--info-ipset=NAME` calls
# would, in one process and one D-Bus connection, in firewall-cmd's format.
# Arguments: queries such as "runtime --info-zone=cloudflare" or "permanent --info-ipset=NAME".
# Each answer starts with a line "@@ QUERY" (found) or "@@ QUERY missing" (no such object).
# The calls go straight to firewalld's D-Bus methods, the ones firewall-cmd's client library
# calls, without introspecting each object first. Only python3-dbus is imported: firewalld's own
# modules take longer to import than the calls take, so the text firewall-cmd prints for a zone
# and an ipset (firewall/command.py, print_zone_info and print_ipset_info) is written out here.
# A zone setting this script does not know (one a later firewalld adds) is left out, as the
# target reads only the settings it knows; FirewalldSystemTest compares the whole output with the
# installed firewall-cmd's.
import sys

import dbus

DBUS_INTERFACE = "org.fedoraproject.FirewallD1"
DBUS_PATH = "/org/fedoraproject/FirewallD1"
DBUS_PATH_CONFIG = DBUS_PATH + "/config"
# firewalld's zone target "default", as it stores it.
DEFAULT_ZONE_TARGET = "{chain}_{zone}"

try:
    bus = dbus.SystemBus()
    if not bus.name_has_owner(DBUS_INTERFACE):
        # firewall-cmd's wording and exit status.
        print("FirewallD is not running", file=sys.stderr)
        sys.exit(252)
except dbus.exceptions.DBusException as e:  # no system bus
    print("Error: DBUS_ERROR: " + str(e.get_dbus_message() or e), file=sys.stderr)
    sys.exit(252)


def method(path, interface, name):
    obj = bus.get_object(DBUS_INTERFACE, path, introspect=False)
    return obj.get_dbus_method(name, interface)


def ports(values):
    # (port, protocol) pairs, as "80/tcp 443/tcp".
    return " ".join("%s/%s" % tuple(v) for v in values)


def continued(items):
    # One item per continuation line, as firewall-cmd lists forward ports and rich rules.
    return ("\n\t" if items else "") + "\n\t".join(items)


def rich_rule_priority(rule):
    # firewall-cmd lists rich rules by their priority, lowest first, keeping their order otherwise.
    at = rule.find("priority=")
    if at < 0:
        return 0
    at += len("priority=")
    return int(rule[at:at + rule[at:].index(" ")].replace('"', ""))


def zone_info(name, settings):
    get = settings.get
    target = get("target", DEFAULT_ZONE_TARGET)
    interfaces = sorted(set(get("interfaces", [])))
    sources = get("sources", [])
    lines = [
        name + (" (active)" if interfaces or sources else ""),
        "  target: " + ("default" if target == DEFAULT_ZONE_TARGET else target),
        "  icmp-block-inversion: " + ("yes" if get("icmp_block_inversion", False) else "no"),
        "  interfaces: " + " ".join(interfaces),
        "  sources: " + " ".join(sources),
        "  services: " + " ".join(sorted(get("services", []))),
        "  ports: " + ports(get("ports", [])),
        "  protocols: " + " ".join(sorted(get("protocols", []))),
        "  forward: " + ("yes" if get("forward", False) else "no"),
        "  masquerade: " + ("yes" if get("masquerade", False) else "no"),
        "  forward-ports: "
        + continued(
            ["port=%s:proto=%s:toport=%s:toaddr=%s" % tuple(fp) for fp in get("forward_ports", [])]
        ),
        "  source-ports: " + ports(get("source_ports", [])),
        "  icmp-blocks: " + " ".join(get("icmp_blocks", [])),
        "  rich rules: " + continued(sorted(get("rules_str", []), key=rich_rule_priority)),
    ]
    return "\n".join(lines) + "\n"


def ipset_info(name, settings):
    # (version, short, description, type, options, entries)
    options = settings[4]
    lines = [
        name,
        "  type: " + settings[3],
        "  options: " + " ".join("%s=%s" % (k, v) if v else k for k, v in options.items()),
        "  entries: " + " ".join(settings[5]),
    ]
    return "\n".join(lines) + "\n"


out = sys.stdout
for query in sys.argv[1:]:
    where, option = query.split(" ", 1)
    kind, name = option[len("--info-"):].split("=", 1)
    try:
        if where == "permanent":
            if kind == "zone":
                path = method(DBUS_PATH_CONFIG, DBUS_INTERFACE + ".config", "getZoneByName")(name)
                raw = method(path, DBUS_INTERFACE + ".config.zone", "getSettings2")()
            else:
                path = method(DBUS_PATH_CONFIG, DBUS_INTERFACE + ".config", "getIPSetByName")(name)
                raw = method(path, DBUS_INTERFACE + ".config.ipset", "getSettings")()
        elif kind == "zone":
            raw = method(DBUS_PATH, DBUS_INTERFACE + ".zone", "getZoneSettings2")(name)
        else:
            raw = method(DBUS_PATH, DBUS_INTERFACE + ".ipset", "getIPSetSettings")(name)
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
    out.write(zone_info(name, raw) if kind == "zone" else ipset_info(name, raw))
out.flush()
