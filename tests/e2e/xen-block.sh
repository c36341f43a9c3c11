#!/bin/sh
# /etc/xen/scripts/block of the e2e dom0: what libxl's hotplug step needs
# for a "phy:" disk (the dom0 image has no udev and not Xen's own
# scripts). libxl runs it with the backend's xenstore path in
# XENBUS_PATH: "add" tells blkback which device to serve and that the
# backend may connect; "remove" has nothing to undo.
case ${1:-} in
add)
	params=$(xenstore-read "$XENBUS_PATH/params") || exit 1
	dev=$(readlink -f "$params")
	[ -b "$dev" ] || { echo "block: $params is not a block device" >&2; exit 1; }
	xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c '%t:%T' "$dev")" \
		"$XENBUS_PATH/physical-device-path" "$dev" \
		"$XENBUS_PATH/hotplug-status" connected
	;;
remove) ;;
*)
	echo "usage: block add|remove" >&2
	exit 1
	;;
esac
