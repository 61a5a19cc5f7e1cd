#!/usr/bin/env bash
# deb.sh BIN_DIR DEB_VERSION OUT_DIR: builds OUT_DIR/doorstep_DEB_VERSION_amd64.deb with
# dpkg-deb from release binaries already built in BIN_DIR (`make deb` builds them with
# --static-swift-stdlib first). No network: everything comes from this tree and BIN_DIR.
# docs/packaging.md describes the layout, the maintainer scripts and lintian's verdict.
#
# Debian 12 paths: units in /lib/systemd/system (bookworm ships them there, not in /usr/lib),
# sysusers.d and tmpfiles.d in /usr/lib, binaries in /usr/bin.
# Needs: dpkg-deb, dpkg-shlibdeps (dpkg-dev), pandoc (scripts/man.sh), gzip, strip (binutils).
# gzip, not xz: xz takes minutes for the 70 MB daemon on 2 shared cores, gzip seconds.
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -eq 3 ]] || { echo "usage: $0 BIN_DIR DEB_VERSION OUT_DIR" >&2; exit 2; }
bin=$1 version=$2 out=$3
for b in doorstepd doorstepctl; do
    [[ -x $bin/$b ]] || { echo "deb.sh: $bin/$b is missing (make release)" >&2; exit 1; }
done
for tool in dpkg-deb dpkg-shlibdeps pandoc strip; do
    command -v "$tool" >/dev/null || { echo "deb.sh: $tool not found (apt-get install dpkg-dev pandoc binutils)" >&2; exit 1; }
done
umask 022
# Every file's time is the last commit's, so the same tree gives the same package.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
root=$tmp/root
doc=$root/usr/share/doc/doorstep

# ---- files ---------------------------------------------------------------------------------
install -d "$root/usr/bin"
for b in doorstepd doorstepctl; do
    # As dh_strip does: symbols and notes out (the Swift runtime needs neither; its reflection
    # metadata lives in allocated sections that strip keeps).
    strip --remove-section=.comment --remove-section=.note -o "$root/usr/bin/$b" "$bin/$b"
    chmod 0755 "$root/usr/bin/$b"
done
# Shell completion (doorstepctl writes its own static scripts; they ask the daemon at each Tab).
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d"
"$bin/doorstepctl" completion bash >"$root/usr/share/bash-completion/completions/doorstepctl"
"$bin/doorstepctl" completion zsh >"$root/usr/share/zsh/vendor-completions/_doorstepctl"
"$bin/doorstepctl" completion fish >"$root/usr/share/fish/vendor_completions.d/doorstepctl.fish"
chmod 0644 "$root/usr/share/bash-completion/completions/doorstepctl" "$root/usr/share/zsh/vendor-completions/_doorstepctl" \
    "$root/usr/share/fish/vendor_completions.d/doorstepctl.fish"
# The units name /usr/local (make install's default prefix): the package's files are in /usr.
install -d "$root/lib/systemd/system"
for u in doorstep.service doorstep.socket; do
    sed 's|/usr/local/|/usr/|g' "$repo/systemd/$u" >"$root/lib/systemd/system/$u"
    chmod 0644 "$root/lib/systemd/system/$u"
done
install -D -m 0644 "$repo/systemd/doorstep.sysusers" "$root/usr/lib/sysusers.d/doorstep.conf"
install -D -m 0644 "$repo/systemd/doorstep.tmpfiles" "$root/usr/lib/tmpfiles.d/doorstep.conf"
# The conffile: readable by root only until postinst's systemd-tmpfiles gives it group doorstep.
install -D -m 0640 "$repo/config/doorstep.toml" "$root/etc/doorstep/doorstep.toml"

"$repo/scripts/man.sh" "$tmp/man"
for page in "$tmp"/man/*; do
    section=${page##*.}
    install -D -m 0644 "$page" "$root/usr/share/man/man$section/$(basename "$page")"
    gzip -9n "$root/usr/share/man/man$section/$(basename "$page")"
done

install -d "$doc" "$doc/plugins"
for f in README.md docs/protocol.md docs/state.md docs/field-guide.md docs/plugins.md docs/packaging.md; do
    install -m 0644 "$repo/$f" "$doc/$(basename "$f")"
done
for p in "$repo"/plugins/*/README.md; do
    name=$(basename "$(dirname "$p")")
    install -m 0644 "$p" "$doc/plugins/$name.md"
done
for sample in "$repo"/plugins/*/*.sample.toml; do install -m 0644 "$sample" "$doc/plugins/$(basename "$sample")"; done
install -m 0644 "$repo/packaging/deb/copyright" "$doc/copyright"
# changelog.Debian: the committed entries; a version not at their top (a rebuild, as the
# system test's upgrade makes) gets an entry of its own.
top=$(sed -n '1s/^doorstep (\([^)]*\)).*/\1/p' "$repo/packaging/deb/changelog")
{
    if [[ $version != "$top" ]]; then
        printf 'doorstep (%s) bookworm; urgency=medium\n\n  * Rebuild of %s.\n\n -- %s  %s\n\n' "$version" "$top" \
            "$(sed -n 's/^Maintainer: //p' "$repo/packaging/deb/control.in")" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
    fi
    cat "$repo/packaging/deb/changelog"
} | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

# ---- control -------------------------------------------------------------------------------
install -d "$root/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$repo/packaging/deb/$s" "$root/DEBIAN/$s"; done
echo /etc/doorstep/doorstep.toml >"$root/DEBIAN/conffiles"
# Shared-library dependencies as dpkg-shlibdeps finds them (it wants a debian/control).
mkdir -p "$tmp/shlibs/debian"
printf 'Source: doorstep\n\nPackage: doorstep\nArchitecture: amd64\n' >"$tmp/shlibs/debian/control"
shlibs=$(cd "$tmp/shlibs" && dpkg-shlibdeps -O "$root/usr/bin/doorstepd" "$root/usr/bin/doorstepctl" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
    "$repo/packaging/deb/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/doorstep_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
echo "$deb"
