#!/usr/bin/env bash
# man.sh OUTDIR: writes the four manual pages, doorstepd.8, doorstepctl.1, doorstep.toml.5 and
# doorstep-protocol.7, into OUTDIR, from one source each, through pandoc (Debian: pandoc):
#   docs/man/doorstepd.8.md, docs/man/doorstepctl.1.md     the pages themselves
#   docs/man/doorstep.toml.5.md + config/doorstep.toml     @KEYS@: every key, its default and
#                                                           comment (scripts/toml-reference.awk)
#   docs/man/doorstep-protocol.7.md + docs/protocol.md     @PROTOCOL@: the protocol's contract
# The date is the last commit's (SOURCE_DATE_EPOCH if set), so a rebuild gives the same pages.
set -euo pipefail
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -eq 1 ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
command -v pandoc >/dev/null || { echo "man.sh: pandoc not found (apt-get install pandoc)" >&2; exit 1; }
mkdir -p "$out"
version=$(sed -n 's/.*release = "\(.*\)".*/\1/p' "$repo/Sources/DoorstepProtocol/Version.swift")
if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
else
    date=$(git -C "$repo" log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d)
fi
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# docs/protocol.md without its title, headings one level up (outside code blocks), so its
# numbered sections become the page's sections.
awk 'NR == 1 && /^# / { next }
     /^```/ { fence = !fence }
     !fence && /^##+ / { sub(/^#/, "") }
     { print }' "$repo/docs/protocol.md" >"$tmp/protocol.md"
awk -f "$repo/scripts/toml-reference.awk" "$repo/config/doorstep.toml" >"$tmp/keys.md"

# Replaces a line that is exactly @NAME@ with the file's contents.
splice() { awk -v tag="$2" -v file="$3" '$0 == tag { while ((getline l < file) > 0) print l; next } { print }' "$1"; }

page() { # NAME SECTION SOURCE.md
    # Left-adjusted (`.ad l` after the title): justified text in the protocol's narrow table
    # cells makes groff warn "cannot adjust line" (lintian: groff-message). One long page on
    # terminals (`.pl`; man's continuous rendering trims it): where man paginates (lintian runs
    # it with MANWIDTH=120), a table cell reaching a page's end is "table text block will not
    # fit on one page". Table columns keep
    # pandoc's proportions (the dashes of a Markdown table's separator line) but are scaled to
    # fit an 80-column terminal with the gaps between them: pandoc gives them 70 characters in
    # all ("table wider than line width").
    pandoc --standalone --from markdown-smart --to man \
        -M title="$1" -M section="$2" -M date="$date" -M footer="doorstep $version" -M header="Doorstep Manual" "$3" |
        sed -e '/^\.TH /a .ad l' -e '/^\.TH /a .if n .pl 100000v' |
        awk '/^(lw\([0-9.]+n\) ?)+\.$/ {
                 n = 0; sum = 0; line = $0
                 while (match(line, /lw\([0-9.]+n\)/)) {
                     w[++n] = substr(line, RSTART + 3, RLENGTH - 5); sum += w[n]
                     line = substr(line, RSTART + RLENGTH)
                 }
                 out = ""
                 for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") sprintf("lw(%.1fn)", w[i] * (68 - 3 * (n - 1)) / sum)
                 print out "."; next
             }
             { print }' >"$out/$1.$2"
}
page doorstepd 8 "$repo/docs/man/doorstepd.8.md"
page doorstepctl 1 "$repo/docs/man/doorstepctl.1.md"
splice "$repo/docs/man/doorstep.toml.5.md" @KEYS@ "$tmp/keys.md" >"$tmp/doorstep.toml.5.md"
page doorstep.toml 5 "$tmp/doorstep.toml.5.md"
splice "$repo/docs/man/doorstep-protocol.7.md" @PROTOCOL@ "$tmp/protocol.md" >"$tmp/doorstep-protocol.7.md"
page doorstep-protocol 7 "$tmp/doorstep-protocol.7.md"
