#!/usr/bin/env bash
#
# lab-no_pci: with the lab config (vdevs only) the appliance tells EAL
# --no-pci and never opens or maps a PCI device, VFIO group or UIO device.
. "$(dirname "$0")/lib.sh"
need_lab_prereqs

lab_up lnopci
start_appliance
pid=${APP_PID[$LAB]}
expect_ping "$CLIENT_NS" "$INSIDE_IP" 1

# The appliance prints the EAL arguments it uses to stderr at start.
grep -q -- '--no-pci' "${APP_LOG[$LAB]}" ||
	fail "the appliance log shows no --no-pci in its EAL arguments (${APP_LOG[$LAB]})"
log "ok: EAL arguments include --no-pci"

# PCI BARs (sysfs resource files), VFIO groups and UIO devices: none mapped
# or open.  /dev/vfio/vfio (the container, no device) is tolerated.
pat='/sys/bus/pci|/sys/devices/pci[0-9a-f:.]*/|/dev/vfio/[0-9]|/dev/uio|/dev/igb_uio'
if grep -E "$pat" "/proc/$pid/maps"; then
	fail "the appliance maps a PCI device (above)"
fi
open=$(for fd in "/proc/$pid/fd"/*; do readlink "$fd" 2>/dev/null; done | grep -E "$pat" || true)
[[ -z $open ]] || {
	printf '%s\n' "$open" >&2
	fail "the appliance holds PCI / VFIO / UIO files open (above)"
}
log "ok: no PCI, VFIO group or UIO device in /proc/$pid/maps or /proc/$pid/fd"
pass
