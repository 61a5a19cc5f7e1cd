import DoorstepProtocol
import Glibc

/// Shell completion: `doorstepctl completion bash|zsh|fish` prints a script that asks
/// `doorstepctl __complete` at each Tab. The candidates come from the running daemon's
/// `commands` (and its households), so plugins' commands, argument names and enum values are
/// always current; the scripts themselves are static, which is why `make install` can install
/// them without a daemon. With no daemon to ask, only the client's own options and commands
/// complete.
///
/// `__complete` prints one candidate a line (`WORD`, or `WORD<TAB>DESCRIPTION` for zsh and
/// fish). A candidate ending in `=` or `-` is a word not finished (`household=`, `3-2-`): no
/// space follows it. A lone `:files` line asks the shell for file names (after `--data`,
/// `--socket`).
enum ShellCompletion {
    static let shells = ["bash", "zsh", "fish"]

    /// Options of the client and whether each takes a value.
    static let clientOptions: [(name: String, value: Bool, help: String)] = [
        ("--socket", true, "control socket"), ("--json", false, "print the daemon's JSON lines unchanged"),
        ("--timeout", true, "give up waiting after SECONDS"), ("--data", true, "send FILE as the request's body"),
        ("--output", true, "write the replies into FILE, created 0600"), ("--force", false, "with --output: replace FILE"),
        ("--follow", false, "keep printing events after the replies"),
        ("--separators", false, "separate replies even when output is not a terminal"),
        ("--no-separators", false, "never print separators between replies"),
        ("--help", false, "usage"), ("--version", false, "the client's version"),
    ]

    static let localCommands: [(name: String, help: String)] = [
        ("watch", "print events matching PATTERN…, one line each"),
        ("completion", "print the shell completion script: bash, zsh or fish"),
    ]

    static func script(_ shell: String) -> String? {
        switch shell {
        case "bash": return bash
        case "zsh": return zsh
        case "fish": return fish
        default: return nil
        }
    }

    /// `__complete [--shell S] [--breaks CHARS] (--line TEXT | -- WORD…)`.
    static func complete(_ arguments: [String], options base: Options = Options()) -> Int32 {
        var shell = "bash"
        var breaks = ""
        var line: String?
        var words: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" {
                words = Array(arguments[(i + 1)...])
                break
            }
            guard i + 1 < arguments.count else { break }
            switch a {
            case "--shell": shell = arguments[i + 1]
            case "--breaks": breaks = arguments[i + 1]
            case "--line": line = arguments[i + 1]
            default: break
            }
            i += 2
        }
        var current = ""
        var raw = ""
        if let line {
            let split = WordSplitter.split(line)
            words = Array(split.words.dropFirst())
            current = split.current
            raw = String(decoding: Array(line.utf8)[split.currentStart...], as: UTF8.self)
        } else if let last = words.popLast() {
            current = last
            raw = last
        }
        let candidates = candidates(words: words, current: current, options: base)
        if candidates == [Candidate(word: ":files", display: ":files", final: false)] {
            Output.out(":files")
            return 0
        }
        // bash replaces only the part of the word after its last COMP_WORDBREAKS character.
        var strip = ""
        if shell == "bash", let cut = raw.lastIndex(where: { breaks.contains($0) && $0 != "\"" && $0 != "'" }) {
            strip = String(raw[...cut])
        }
        var out = ""
        for c in candidates {
            var word = c.word
            if !strip.isEmpty {
                guard word.hasPrefix(strip) else { continue }
                word = String(word.dropFirst(strip.count))
            }
            if shell == "bash" || c.help.isEmpty {
                out += word + "\n"
            } else {
                out += word + "\t" + c.help.replacingTabsAndNewlines + "\n"
            }
        }
        Output.writeAll(1, out)
        return 0
    }

    /// What can replace `current` after the shell words `words` (without the program name).
    static func candidates(words: [String], current: String, options base: Options = Options()) -> [Candidate] {
        var options = base
        var i = 0
        while i < words.count {
            let w = words[i]
            if w == "--" {
                i += 1
                break
            }
            guard w.hasPrefix("-"), w != "-" else { break }
            if let o = clientOptions.first(where: { $0.name == w || Self.short(w) == $0.name }), o.value {
                if i + 1 < words.count {
                    if o.name == "--socket" { options.socket = words[i + 1] }
                    i += 2
                    continue
                }
                // The value of this option is being typed.
                return ["--socket", "--data", "--output"].contains(o.name) ? [Candidate(word: ":files", display: ":files", final: false)] : []
            }
            if w.hasPrefix("--socket=") { options.socket = String(w.dropFirst("--socket=".count)) }
            i += 1
        }
        let rest = Array(words[i...])
        if rest.isEmpty, current.hasPrefix("-") {
            return clientOptions.filter { $0.name.hasPrefix(current) }.map { Candidate(word: $0.name, display: $0.name, help: $0.help) }
        }
        if rest.first == "completion" {
            return rest.count == 1 ? shells.filter { $0.hasPrefix(current) }.map { Candidate(word: $0, display: $0) } : []
        }
        let path = options.socketPath()
        let answer = try? DaemonQuery.run(path: path, ["commands"], client: "doorstepctl-complete", timeout: 3)
        var catalog = answer.flatMap { $0.replies.first?["data"] }.map { Catalog(json: $0) } ?? Catalog(commands: [])
        catalog.callerRole = answer?.hello["data"]?["role"]?.text
        var completer = Completer(catalog: catalog, households: DaemonHouseholds(path: path, catalog: catalog))
        if rest.first == "watch" {
            let pattern = Catalog.Argument(name: "pattern", positional: true, type: "pattern", values: [], required: false,
                                           variadic: true, summary: "")
            return completer.values(of: pattern, prefix: current)
        }
        completer.localCommands = localCommands
        return completer.complete(words: rest, current: current)
    }

    private static func short(_ option: String) -> String? {
        ["-s": "--socket", "-t": "--timeout", "-d": "--data", "-o": "--output", "-f": "--follow", "-h": "--help"][option]
    }

    // MARK: the scripts

    static let bash = #"""
        # bash completion for doorstepctl (doorstepctl completion bash). Candidates come from the
        # running daemon at each Tab (doorstepctl __complete), so plugins' commands complete too.
        _doorstepctl() {
            local prog=${COMP_WORDS[0]} out
            local -a cands
            if [[ -n ${COMP_LINE-} ]]; then
                mapfile -t cands < <("$prog" __complete --shell bash --breaks "${COMP_WORDBREAKS-}" \
                    --line "${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}" 2>/dev/null)
            else
                mapfile -t cands < <("$prog" __complete --shell bash -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
            fi
            if [[ ${#cands[@]} -eq 1 && ${cands[0]} == ":files" ]]; then
                compopt -o default 2>/dev/null
                COMPREPLY=()
                return 0
            fi
            COMPREPLY=("${cands[@]}")
            # household= or 3-2- is not a whole word yet: no space after it.
            if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[=-] ]]; then
                compopt -o nospace 2>/dev/null
            fi
            return 0
        }
        complete -F _doorstepctl doorstepctl

        """#

    static let zsh = #"""
        #compdef doorstepctl
        # zsh completion for doorstepctl (doorstepctl completion zsh). Candidates come from the
        # running daemon at each Tab (doorstepctl __complete), so plugins' commands complete too.
        _doorstepctl() {
            local -a lines whole partial
            local line word desc
            lines=("${(@f)$("${words[1]}" __complete --shell zsh -- "${(@Q)words[2,CURRENT]}" 2>/dev/null)}")
            if [[ ${#lines} -eq 1 && ${lines[1]} == ":files" ]]; then
                _files
                return
            fi
            for line in "${lines[@]}"; do
                [[ -z $line ]] && continue
                word=${line%%$'\t'*}
                desc=""
                [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
                word=${word//:/\\:}
                # household= or 3-2- is not a whole word yet: no space after it.
                if [[ $word == *[=-] ]]; then
                    partial+=("$word${desc:+:$desc}")
                else
                    whole+=("$word${desc:+:$desc}")
                fi
            done
            local ret=1
            (( ${#whole} )) && _describe -t values 'doorstepctl' whole && ret=0
            (( ${#partial} )) && _describe -t partial 'doorstepctl' partial -S '' && ret=0
            return ret
        }
        if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
            _doorstepctl "$@"
        else
            compdef _doorstepctl doorstepctl
        fi

        """#

    static let fish = #"""
        # fish completion for doorstepctl (doorstepctl completion fish). Candidates come from the
        # running daemon at each Tab (doorstepctl __complete), so plugins' commands complete too.
        function __doorstepctl_complete
            set -l tokens (commandline -opc)
            set -l prog $tokens[1]
            set -e tokens[1]
            set -l current (commandline -ct)
            set -l out (command $prog __complete --shell fish -- $tokens "$current" 2>/dev/null)
            if test (count $out) -eq 1; and test "$out[1]" = ":files"
                __fish_complete_path "$current"
                return
            end
            printf '%s\n' $out
        end
        complete -c doorstepctl -f -a '(__doorstepctl_complete)'

        """#
}

extension String {
    var replacingTabsAndNewlines: String {
        String(map { $0 == "\t" || $0 == "\n" ? " " : $0 })
    }
}
