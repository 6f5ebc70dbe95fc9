// SPDX-License-Identifier: GPL-2.0
/*
 * csum_lax.c - which attached interfaces are the host's own virtual links.
 * There, a sender on the same host (a container, a VM's tap) hands packets
 * over with the TCP checksum never filled in (checksum offload), and the
 * receiving kernel trusts them; on a physical NIC such a checksum is just
 * wrong, and the kernel drops the segment. checksum-validation auto reads
 * unfilled checksums only on the interfaces listed in sg_config.csum_lax_if.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>

#include "smtpguard.h"
#include "loader.h"
#include "pin.h"

/* the drivers whose packets can come from this host's own stack */
static int virtual_link(const char *ifname)
{
	static const char *const drivers[] = { "veth", "tun", "netkit" };
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	ret = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	if (ret)
		return 0;
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(info.driver, drivers[i]))
			return 1;
	return 0;
}

int sg_csum_lax_update(const char *pin_dir, const char *ifname, int ifindex, int add)
{
	struct sg_config c;
	__u32 zero = 0;
	int fd, ret, free_slot = -1, found = -1;

	if (add && !virtual_link(ifname))
		return 0;
	fd = sg_pin_open(pin_dir, SG_MAP_CONFIG, 1);
	if (fd < 0)
		return fd;
	ret = bpf_map_lookup_elem(fd, &zero, &c) ? -errno : 0;
	for (int i = 0; !ret && i < SG_MAX_IFACES; i++) {
		if (c.csum_lax_if[i] == (__u32)ifindex)
			found = i;
		else if (!c.csum_lax_if[i] && free_slot < 0)
			free_slot = i;
	}
	if (!ret && add && found < 0 && free_slot >= 0)
		c.csum_lax_if[free_slot] = ifindex;
	else if (!ret && !add && found >= 0)
		c.csum_lax_if[found] = 0;
	/* more virtual links than slots: their unfilled checksums are not read
	 * (wrong, for the server's kernel), which loses no safety */
	if (!ret && add && found < 0 && free_slot < 0)
		fprintf(stderr, "smtpguard: %s: more than %d virtual links: segments with "
			"checksums left unfilled by offload are not read on it\n", ifname,
			SG_MAX_IFACES);
	if (!ret)
		ret = bpf_map_update_elem(fd, &zero, &c, BPF_EXIST) ? -errno : 0;
	close(fd);
	return ret;
}
