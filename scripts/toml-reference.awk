# toml-reference.awk: turns config/doorstep.toml (every key with its default, each preceded by
# its comment) into the Markdown KEYS section of doorstep.toml(5), so the manual page and the
# example file cannot disagree. Used by scripts/man.sh.
#
#   key = value          a key with its default; the comment lines above it describe it
#   # key = value        a key left unset (its comment says what happens then), or an example
#   [table], [[array]]   a heading; the comment lines above it introduce the table
#   # [[array]]          an example table (the [[hooks]] block): kept as an example
# The file's own header (the comments before the first table) is left out: the page's
# DESCRIPTION says the same.
function flush_text(   t) {
    t = text; text = ""
    return t
}
function escape(s) {                   # Markdown-escape what pandoc would read as markup
    gsub(/\\/, "\\\\", s); gsub(/\*/, "\\*", s); gsub(/_/, "\\_", s); gsub(/</, "\\<", s)
    gsub(/\[/, "\\[", s); gsub(/\]/, "\\]", s)
    return s
}
function md(s,   n, parts, i, out) {  # escapes outside `code` spans only
    n = split(s, parts, "`"); out = ""
    for (i = 1; i <= n; i++) out = out (i > 1 ? "`" : "") (i % 2 ? escape(parts[i]) : parts[i])
    return out
}
function keyline(key, value, note, unset,   t) {
    t = flush_text()
    if (note != "") t = t (t == "" ? "" : " ") note
    if (unset && t == "") {            # an example entry of a table of names
        print "Example:\n\n    " key " = " value "\n"
        return
    }
    print "**" md(key) "** = `" value "`" (unset ? " (not set by default)" : "")
    if (t == "" && prevkey != "") t = "See **" md(prevkey) "** above."
    else if (t != "") { t = md(t); prevkey = key }
    print ":   " t "\n"
}
BEGIN { started = 0; text = ""; example = 0 }
/^\[/ {                                # a table header
    started = 1; example = 0
    h = $0; sub(/[ \t]*#.*$/, "", h)
    t = flush_text()
    print "## " md(h) "\n"
    prevkey = ""
    if (t != "") print md(t) "\n"
    next
}
!started { next }
/^# *\[\[?[a-z.]+\]\]?[ \t]*$/ {       # an example table, commented out
    example = 1
    t = flush_text()
    if (t != "") print md(t) "\n"
    print "Example:\n"
    print "    " substr($0, 3)
    next
}
example && /^#/ { print "    " substr($0, 3); next }
example && /^[ \t]*$/ { print ""; example = 0; next }
/^# ?("[^"]*"|[a-z_][a-z0-9_.-]*) = / { # a key left unset, or an example entry
    line = $0; sub(/^# ?/, "", line)
    key = line; sub(/ = .*/, "", key)
    value = line; sub(/^[^=]*= /, "", value)
    note = ""
    if (match(value, /[ \t]+# /)) { note = substr(value, RSTART + 3); value = substr(value, 1, RSTART - 1) }
    keyline(key, value, note, 1)
    next
}
/^#/ {                                 # comment text
    line = $0; sub(/^# ?/, "", line)
    text = text (text == "" ? "" : " ") line
    next
}
/^[a-z_"][^=]* = / {                   # a key with its default
    key = $0; sub(/ = .*/, "", key)
    value = $0; sub(/^[^=]*= /, "", value)
    keyline(key, value, "", 0)
    next
}
/^[ \t]*$/ { t = flush_text(); if (t != "") print md(t) "\n"; next }
