import Foundation
import Testing

/// doorstepctl beside the shell: completion scripts for bash, zsh and fish, `watch`, the
/// separators between piped replies, and the language it asks for.
@Suite("doorstepctl and the shell", .serialized,
        .enabled(if: SystemdUnit.template == nil, "the client in a terminal and shells: nothing of the daemon's sandbox (tmux, zsh, fish are not in the container)"))
final class CtlShellTests {
    let daemon: DaemonProcess
    let dir: TempDirectory

    init() throws {
        // A short idle timeout: watch must outlive it.
        daemon = try DaemonProcess(config: "[daemon]\nidle_timeout = 1\n" + DaemonProcess.probeConfig)
        dir = TempDirectory()
        for id in ["3-2-501", "3-2-502", "3-1-101", "12-1-101"] {
            _ = try daemon.ctl(["roster.household.add", id])
        }
    }

    deinit {
        daemon.stop()
        dir.remove()
    }

    /// The script `doorstepctl completion SHELL` prints, in a file.
    func script(_ shell: String) throws -> String {
        let r = try DaemonProcess.run(Binaries.doorstepctl, ["completion", shell])
        #expect(r.status == 0, "completion \(shell): \(r.err)")
        let path = dir.file("completion." + shell)
        dir.write("completion." + shell, r.out)
        return path
    }

    // MARK: completion

    @Test func completionScriptsParse() throws {
        #expect(try DaemonProcess.run("/bin/bash", ["-n", try script("bash")]).status == 0)
        let zsh = try DaemonProcess.run(try Tools.require("zsh"), ["-n", try script("zsh")])
        #expect(zsh.status == 0, "zsh -n: \(zsh.err)")
        let fish = try DaemonProcess.run(try Tools.require("fish"), ["--no-execute", try script("fish")])
        #expect(fish.status == 0, "fish -n: \(fish.err)")
        let bad = try DaemonProcess.run(Binaries.doorstepctl, ["completion", "tcsh"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("bash|zsh|fish"))
    }

    /// Runs `body` in bash after sourcing the script; returns stdout.
    func bash(_ body: String) throws -> String {
        let program = "source \(TmuxTerminal.shellQuote(try script("bash")))\n" + body
        let r = try DaemonProcess.run("/bin/bash", ["--norc", "--noprofile", "-c", program])
        #expect(r.status == 0, "bash: \(r.err)")
        return r.out
    }

    @Test func bashCompletesCommandsArgumentsValuesAndHouseholds() throws {
        let ctl = TmuxTerminal.shellQuote(Binaries.doorstepctl)
        let sock = TmuxTerminal.shellQuote(daemon.socket)
        // As bash calls it: COMP_WORDS and COMP_CWORD (the fallback when COMP_LINE is unset).
        let commands = try bash("""
            COMP_WORDS=(\(ctl) --socket \(sock) roster.exp); COMP_CWORD=3
            _doorstepctl; printf '%s\\n' "${COMPREPLY[@]}"
            complete -p doorstepctl
            """)
        #expect(commands == "roster.export\ncomplete -F _doorstepctl doorstepctl\n")
        // As readline calls it: COMP_LINE up to COMP_POINT; bash splits words at '=', so the
        // candidates are what follows it.
        func line(_ text: String) throws -> [String] {
            let out = try bash("""
                COMP_WORDBREAKS=$' \\t\\n"\\'><=;|&(:'
                COMP_LINE=\(TmuxTerminal.shellQuote("doorstepctl --socket \(daemon.socket) " + text)); COMP_POINT=${#COMP_LINE}
                COMP_WORDS=(\(ctl)); COMP_CWORD=1
                _doorstepctl; printf '%s\\n' "${COMPREPLY[@]}"
                """)
            return out.split(separator: "\n").map(String.init)
        }
        #expect(try line("roster.export ") == ["format=", "headers="])
        #expect(try line("roster.export headers=") == ["zh", "en"])
        #expect(try line("probe.echo upper=y") == ["yes"])
        #expect(try line("roster.household 3-") == ["3-1-", "3-2-"])
        #expect(try line("roster.household 3-2-") == ["3-2-501", "3-2-502"])
        #expect(try line("help roster.leader") == ["roster.leader.assign", "roster.leader.for", "roster.leaders"])
        #expect(try line("--js") == ["--json"])
        #expect(try line("comp") == ["completion"])
        #expect(try line("completion z") == ["zsh"])
        #expect(try line("--data ") == [], "file names are bash's own (compopt -o default)")
        #expect(try line("watch ro") == ["roster.*"])
    }

    @Test func zshCompletesInATerminal() throws {
        let zsh = try Tools.require("zsh")
        let functions = dir.file("zfunc")
        try FileManager.default.createDirectory(atPath: functions, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try script("zsh"), toPath: functions + "/_doorstepctl")
        let bin = (Binaries.doorstepctl as NSString).deletingLastPathComponent
        let term = try TmuxTerminal([zsh, "-f"], environment: [
            "PATH": bin + ":/usr/bin:/bin", "DOORSTEP_SOCKET": daemon.socket, "HOME": dir.path, "ZDOTDIR": dir.path,
        ])
        defer { term.close() }
        try term.type("PS1='z> '; fpath=(\(functions) $fpath); autoload -U compinit; compinit -u -d \(dir.file("zcompdump"))")
        try term.press("Enter")
        try term.type("clear")
        try term.press("Enter")
        #expect(term.wait { _ in term.lastLine == "z>" } != nil, "\(term.screen())")
        try term.type("doorstepctl roster.exp")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == "z> doorstepctl roster.export" } != nil, "command: \(term.screen())")
        try term.type(" head")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == "z> doorstepctl roster.export headers=" } != nil, "argument: \(term.screen())")
        try term.type("z")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == "z> doorstepctl roster.export headers=zh" } != nil, "value: \(term.screen())")
    }

    @Test func fishCompletes() throws {
        let fish = try Tools.require("fish")
        let bin = (Binaries.doorstepctl as NSString).deletingLastPathComponent
        let program = "source \(try script("fish")); complete -C 'doorstepctl roster.exp'; complete -C 'doorstepctl roster.export headers='"
        let env = ["PATH": bin + ":/usr/bin:/bin", "DOORSTEP_SOCKET": daemon.socket, "HOME": dir.path]
        let r = try DaemonProcess.run(fish, ["--no-config", "-c", program], environment: env)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        // fish sorts what it shows.
        #expect(lines == ["roster.export", "headers=en", "headers=zh"], "\(r.out)")
    }

    // MARK: watch

    @Test func watchPrintsOneLinePerEventPlainWhenPiped() throws {
        let out = dir.file("watch.out")
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "NO_COLOR")
        let watch = try ChildProcess(Binaries.doorstepctl, ["--socket", daemon.socket, "watch", "probe.*"], environment: env,
                                     stdout: out, stderr: dir.file("watch.err"))
        defer {
            kill(watch.pid, SIGTERM)
            _ = watch.wait(timeout: 5)
        }
        func lines() -> [String] {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        // Subscribed once the first event shows (a publish before the subscription is not seen).
        let deadline = Date().addingTimeInterval(10)
        while lines().isEmpty, Date() < deadline {
            _ = try daemon.ctl(["probe.publish", "warmup"])
            usleep(100_000)
        }
        #expect(!lines().isEmpty, "watch printed the warm-up event")
        let before = lines().count
        #expect(try daemon.ctl(["probe.publish", "door", "text=王芳 开门"]).status == 0)
        // Past the idle timeout (1 s): a subscribed connection stays, and watch with it.
        sleep(3)
        #expect(try daemon.ctl(["probe.publish", "later"]).status == 0)
        let end = Date().addingTimeInterval(10)
        while lines().count < before + 2, Date() < end { usleep(50_000) }
        let new = Array(lines().dropFirst(before))
        #expect(new.count == 2, "one line per event: \(new)")
        let pattern = #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d probe\.door #\d+ text="王芳 开门"$"#
        #expect(new.first?.range(of: pattern, options: .regularExpression) != nil, "time, name, seq, fields: \(new)")
        #expect(new.last?.contains(" probe.later #") == true, "\(new)")
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(!text.contains("\u{1b}"), "no colour when piped")
        #expect(watch.isRunning, "watch is still running after the idle timeout")
        #expect(((try? String(contentsOfFile: dir.file("watch.err"), encoding: .utf8)) ?? "").isEmpty, "and said nothing about it")
    }

    @Test func watchIsColouredOnATerminalUnlessNoColor() throws {
        for noColor in [false, true] {
            var env = ["HOME": dir.path, "PATH": "/usr/bin:/bin"]
            if noColor { env["NO_COLOR"] = "1" }
            let term = try TmuxTerminal([Binaries.doorstepctl, "--socket", daemon.socket, "watch", "probe.*"], environment: env)
            defer { term.close() }
            var shown: String?
            let deadline = Date().addingTimeInterval(10)
            while shown == nil, Date() < deadline {
                _ = try daemon.ctl(["probe.publish", "tty"])
                shown = term.wait(timeout: 0.3) { $0.contains("probe.tty #") }
            }
            #expect(shown != nil, "\(term.screen())")
            let raw = term.screen(escapes: true)
            if noColor {
                #expect(!raw.contains("\u{1b}["), "NO_COLOR: plain: \(raw)")
            } else {
                #expect(raw.contains("\u{1b}[1;36mprobe.tty") || raw.contains("\u{1b}[1m\u{1b}[36mprobe.tty"), "bold cyan name: \(raw.debugDescription)")
            }
        }
    }

    @Test func watchResumesAfterTheDaemonClosesTheConnection() throws {
        // The daemon restarts (same state, a new socket behind the same path): watch connects
        // again and subscribes from after the last event it showed.
        let state = dir.file("resume-state")
        let config = "[daemon]\nstate_dir = \"\(state)\"\n" + DaemonProcess.probeConfig
        let link = dir.file("resume.sock")
        let first = try DaemonProcess(config: config)
        symlink(first.socket, link)
        let out = dir.file("resume.out")
        let watch = try ChildProcess(Binaries.doorstepctl, ["--socket", link, "watch", "probe.*"], stdout: out,
                                     stderr: dir.file("resume.err"))
        defer {
            kill(watch.pid, SIGTERM)
            _ = watch.wait(timeout: 5)
        }
        func text() -> String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(10)
        while !text().contains("probe.first"), Date() < deadline {
            _ = try first.ctl(["probe.publish", "first"])
            usleep(100_000)
        }
        #expect(text().contains("probe.first"))
        first.stop()
        let second = try DaemonProcess(config: config)
        defer { second.stop() }
        unlink(link)
        symlink(second.socket, link)
        #expect(try second.ctl(["probe.publish", "second"]).status == 0)
        let end = Date().addingTimeInterval(15)
        while !text().contains("probe.second"), Date() < end { usleep(100_000) }
        #expect(text().contains("probe.second"), "watch followed the restart: \(text())")
        #expect(text().components(separatedBy: "probe.second").count == 2, "shown once: \(text())")
        let err = (try? String(contentsOfFile: dir.file("resume.err"), encoding: .utf8)) ?? ""
        #expect(err.contains("reconnecting"), "\(err)")
    }

    // MARK: separators

    @Test func pipedRepliesAreSeparatedOnATerminalOnly() throws {
        let input = "ping\nprobe.echo 一 二\nnope\n"
        // Into a file (a script reading the output): exactly the replies, as before.
        let plain = try daemon.ctl([], stdin: input)
        #expect(plain.out == "pong\n一 二\n")
        #expect(plain.err.hasPrefix("doorstepctl: 405 unknown_command"))
        // --separators asks for them anyway: a header per request, a blank line between replies.
        let forced = try daemon.ctl(["--separators"], stdin: input)
        #expect(forced.out == "» ping\npong\n\n» probe.echo 一 二\n一 二\n\n» nope\n")
        // On a terminal they are the default.
        let shell = "printf 'ping\\nprobe.echo 一 二\\n' | \(TmuxTerminal.shellQuote(Binaries.doorstepctl)) --socket \(TmuxTerminal.shellQuote(daemon.socket))"
        let term = try TmuxTerminal(["/bin/sh", "-c", shell], environment: ["HOME": dir.path, "LANG": "C.UTF-8"])
        defer { term.close() }
        let screen = term.wait { $0.contains("[exited") }
        #expect(screen?.hasPrefix("» ping\npong\n\n» probe.echo 一 二\n一 二\n[exited 0]") == true, "\(screen ?? term.screen())")
        // And --no-separators leaves them out there too.
        let none = try TmuxTerminal(["/bin/sh", "-c", shell + " --no-separators"], environment: ["HOME": dir.path, "LANG": "C.UTF-8"])
        defer { none.close() }
        let bare = none.wait { $0.contains("[exited") }
        #expect(bare?.hasPrefix("pong\n一 二\n[exited 0]") == true, "\(bare ?? none.screen())")
    }

    // MARK: language

    /// A stand-in daemon (python3) that advertises `lang` or not, accepts or refuses
    /// `hello lang=`, and logs every request line.
    func fakeDaemon(advertiseLang: Bool, refuseLang: Bool) throws -> (socket: String, log: String, process: ChildProcess) {
        let socket = dir.file("fake-\(advertiseLang)-\(refuseLang).sock")
        let log = dir.file("fake-\(advertiseLang)-\(refuseLang).log")
        dir.write("fake.py", Self.fakeDaemon)
        let p = try ChildProcess(try Tools.require("python3"), [dir.file("fake.py"), socket, log, advertiseLang ? "lang" : "-",
                                                                   refuseLang ? "422" : "200"],
                                 stderr: dir.file("fake.err"))
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socket), Date() < deadline { usleep(20_000) }
        return (socket, log, p)
    }

    func run(_ socket: String, _ args: [String], locale: [String: String]) throws -> (status: Int32, out: String, err: String) {
        var env = ["PATH": "/usr/bin:/bin"]
        for (k, v) in locale { env[k] = v }
        return try DaemonProcess.run(Binaries.doorstepctl, ["--socket", socket] + args, environment: env)
    }

    @Test func langIsSentOnlyWhenTheDaemonOffersIt() throws {
        let zh = ["LANG": "zh_CN.UTF-8"]
        do {
            let fake = try fakeDaemon(advertiseLang: true, refuseLang: false)
            defer { kill(fake.process.pid, SIGKILL) }
            let r = try run(fake.socket, ["ping"], locale: zh)
            #expect(r.out == "pong\n" && r.status == 0, "\(r)")
            let json = try run(fake.socket, ["--json", "ping"], locale: ["LANG": "C", "LC_ALL": "zh_CN.GB18030"])
            #expect(json.out == #"{"tag":null,"ok":true,"code":200,"data":"pong"}"# + "\n", "\(json)")
            let english = try run(fake.socket, ["ping"], locale: ["LANG": "en_US.UTF-8"])
            #expect(english.out == "pong\n")
            let notZh = try run(fake.socket, ["ping"], locale: ["LC_ALL": "C", "LANG": "zh_CN.UTF-8"])
            #expect(notZh.out == "pong\n")
            let log = try String(contentsOfFile: fake.log, encoding: .utf8)
            #expect(log == """
                hello format=json client=doorstepctl
                hello format=text
                hello lang=zh-CN
                ping
                hello format=json client=doorstepctl
                hello lang=zh-CN
                ping
                ping
                ping

                """, "zh_CN asks for zh-CN (LC_ALL first); en_US and LC_ALL=C ask for nothing: \(log)")
        }
        do {
            // The capability is there but the daemon refuses the argument: nothing shows.
            let fake = try fakeDaemon(advertiseLang: true, refuseLang: true)
            defer { kill(fake.process.pid, SIGKILL) }
            let r = try run(fake.socket, ["ping"], locale: zh)
            #expect(r.out == "pong\n" && r.err.isEmpty && r.status == 0, "\(r)")
        }
        do {
            // No capability: no lang= at all.
            let fake = try fakeDaemon(advertiseLang: false, refuseLang: true)
            defer { kill(fake.process.pid, SIGKILL) }
            let r = try run(fake.socket, ["ping"], locale: zh)
            #expect(r.out == "pong\n" && r.status == 0, "\(r)")
            let log = try String(contentsOfFile: fake.log, encoding: .utf8)
            #expect(!log.contains("lang="), "\(log)")
        }
        // And the real daemon, whichever it is, answers a Chinese locale.
        let real = try run(daemon.socket, ["probe.echo", "好"], locale: zh)
        #expect(real.out == "好\n" && real.status == 0, "\(real)")
    }

    static let fakeDaemon = #"""
        import json, os, socket, sys
        path, log, caps, lang_reply = sys.argv[1:5]
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        server.listen(8)
        capabilities = ["tags", "pipelining", "json", "events", "heredoc"] + (["lang"] if caps == "lang" else [])
        while True:
            conn, _ = server.accept()
            f = conn.makefile("rwb")
            fmt = "text"
            for raw in f:
                line = raw.decode().rstrip("\r\n")
                with open(log, "a") as out:
                    out.write(line + "\n")
                words = line.split()
                args = dict(w.split("=", 1) for w in words[1:] if "=" in w)
                code, data, text = 200, None, "ok"
                if words and words[0] == "hello":
                    if "lang" in args and lang_reply == "422":
                        code, text = 422, "invalid_argument: hello has no argument 'lang'"
                    else:
                        fmt = args.get("format", fmt)
                        data, text = {"proto": 1, "capabilities": capabilities}, "hello"
                elif words == ["ping"]:
                    data, text = "pong", "pong"
                else:
                    code, text = 405, "unknown_command: " + line
                if fmt == "json":
                    reply = {"tag": None, "ok": code < 400, "code": code}
                    if code < 400:
                        reply["data"] = data
                    else:
                        name, message = text.split(": ", 1)
                        reply["error"], reply["message"] = name, message
                    f.write((json.dumps(reply, separators=(",", ":")) + "\n").encode())
                else:
                    f.write(("%d %s\n" % (code, text)).encode())
                f.flush()
            conn.close()
        """#
}
