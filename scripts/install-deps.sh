#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what smtpguard needs to build, test and run its lab, from Debian's
# archive only. Idempotent: a second run installs nothing and takes a second.
set -euo pipefail

pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libpcap-dev pkg-config
      make gcc iproute2 postfix swaks libio-socket-inet6-perl tcpdump python3
      python3-jsonschema procps groff-base openssl
      util-linux)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
# Postfix must not configure or start a system instance: the lab runs private ones.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
