# Shared by scripts/package.sh and nginx-module/debian/build-deb.sh: the
# pieces of a binary .deb that dpkg-deb alone does not write. Source it.

# deb_copyright FILE [COMMENT]: a machine-readable debian/copyright
# (DEP-5) for gw502 with the full BSD-2-Clause text from the repository's
# LICENSE; COMMENT (one line) says what else the binary holds.
deb_copyright() {
  local dest=$1 comment=${2:-} root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  mkdir -p "$(dirname "$dest")"
  {
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: gw502"
    if [ -n "$comment" ]; then echo "Comment: $comment"; fi
    echo
    echo "Files: *"
    echo "Copyright: 2026 the gw502 authors"
    echo "License: BSD-2-Clause"
    echo
    echo "License: BSD-2-Clause"
    # the licence text from "Redistribution" on; blank lines become " ."
    sed -n '/^Redistribution/,$p' "$root/LICENSE" | sed -e 's/^$/./' -e 's/^/ /'
  } > "$dest"
  chmod 0644 "$dest"
}

# deb_shlibs FILE...: the Depends of these ELF files' shared libraries,
# versioned, as dpkg-shlibdeps computes them for Debian's own packages.
deb_shlibs() {
  local tmp files=() f
  tmp=$(mktemp -d)
  mkdir -p "$tmp/debian"
  printf 'Source: gw502\n\nPackage: gw502\nArchitecture: any\n' > "$tmp/debian/control"
  for f in "$@"; do files+=("$(readlink -f "$f")"); done
  (cd "$tmp" && dpkg-shlibdeps -O "${files[@]}" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
  rm -rf "$tmp"
}

# deb_build ROOT OUT_DIR: ROOT/DEBIAN/control must exist; adds
# Installed-Size and md5sums, fixes modes, builds OUT_DIR/PKG_VER_ARCH.deb
# with root-owned files and prints its path.
deb_build() {
  local root=$1 out=$2 pkg ver arch size
  pkg=$(sed -n 's/^Package: //p' "$root/DEBIAN/control")
  ver=$(sed -n 's/^Version: //p' "$root/DEBIAN/control")
  arch=$(sed -n 's/^Architecture: //p' "$root/DEBIAN/control")
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  sed -i "/^Installed-Size:/d; /^Architecture:/a Installed-Size: $size" "$root/DEBIAN/control"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
     xargs -0r md5sum) > "$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"
  find "$root" -type d -exec chmod 0755 {} +
  mkdir -p "$out"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${pkg}_${ver}_${arch}.deb" >/dev/null
  echo "$out/${pkg}_${ver}_${arch}.deb"
}

# deb_systemd_scripts ROOT UNIT: maintainer scripts for a unit that is
# installed but not enabled (the admin enables it): reload systemd after
# install and removal, stop the service on removal, and on purge delete the
# links `systemctl enable` made. Appends to existing scripts.
deb_systemd_scripts() {
  local root=$1 unit=$2 s
  for s in postinst prerm postrm; do
    [ -f "$root/DEBIAN/$s" ] || printf '#!/bin/sh\nset -e\n' > "$root/DEBIAN/$s"
    chmod 0755 "$root/DEBIAN/$s"
  done
  cat >> "$root/DEBIAN/postinst" <<EOS
if [ "\$1" = "configure" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
	# an upgrade restarts a running service on the new binary
	if [ -n "\$2" ] && systemctl is-active -q $unit; then systemctl restart $unit || true; fi
fi
EOS
  cat >> "$root/DEBIAN/prerm" <<EOS
if [ "\$1" = "remove" ] && [ -d /run/systemd/system ]; then
	systemctl stop $unit >/dev/null 2>&1 || true
fi
EOS
  cat >> "$root/DEBIAN/postrm" <<EOS
if [ "\$1" = "purge" ]; then
	rm -f /etc/systemd/system/*.wants/$unit
	rm -rf /etc/systemd/system/$unit.d
fi
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
EOS
}
