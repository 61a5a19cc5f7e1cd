import Foundation
import Testing

/// `doorstepctl` with no command on a terminal (a tmux pane, so a real pseudo-terminal with
/// line discipline and key sequences) against the real daemon: prompt, editing, history,
/// completion, surviving the daemon's idle timeout.
@Suite("doorstepctl session", .serialized,
        .enabled(if: SystemdUnit.template == nil, "the client in a terminal and shells: nothing of the daemon's sandbox (tmux, zsh, fish are not in the container)"))
final class CtlSessionTests {
    let daemon: DaemonProcess
    let home: TempDirectory

    init() throws {
        // A short idle timeout: the session must outlive it without the user seeing it.
        daemon = try DaemonProcess(config: "[daemon]\nidle_timeout = 1\n" + DaemonProcess.probeConfig)
        home = TempDirectory()
    }

    deinit {
        daemon.stop()
        home.remove()
    }

    static let prompt = "doorstep> "
    /// The prompt line with nothing typed, as the screen shows it (trailing spaces cut).
    static let emptyPrompt = "doorstep>"

    /// The client in a terminal, with a private HOME and history directory.
    func session(_ extra: [String] = [], environment: [String: String] = [:]) throws -> TmuxTerminal {
        var env = ["HOME": home.path, "XDG_STATE_HOME": home.file("state"), "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"]
        for (k, v) in environment { env[k] = v }
        let term = try TmuxTerminal([Binaries.doorstepctl, "--socket", daemon.socket] + extra, environment: env)
        #expect(term.wait { $0.hasSuffix(Self.emptyPrompt) } != nil,
                "the prompt appears: \(term.screen())")
        return term
    }

    /// Lines of the screen equal to `text`.
    func count(_ text: String, in term: TmuxTerminal) -> Int { term.lines.filter { $0 == text }.count }

    @Test func promptRunsACommandAndUpRecallsIt() throws {
        let term = try session()
        defer { term.close() }
        #expect(term.screen().contains("your role: admin"), "the banner says who you are: \(term.screen())")
        try term.type("probe.echo 你好 世界")
        try term.press("Enter")
        #expect(term.wait { $0.contains("\n你好 世界\n") } != nil, "the reply is printed: \(term.screen())")
        // The reply is set off from the next prompt by a blank line.
        #expect(term.wait { $0.hasSuffix("你好 世界\n\n" + "doorstep>") } != nil, "a blank line after the reply: \(term.screen())")

        // Up recalls the line (it is not sent as ESC [ A): the same request runs again.
        try term.press("Up")
        #expect(term.wait { _ in term.lastLine.hasPrefix(Self.prompt + "probe.echo 你好 世界") } != nil,
                "Up shows the last line at the prompt: \(term.screen())")
        try term.press("Enter")
        #expect(term.wait { _ in self.count("你好 世界", in: term) == 2 } != nil, "the recalled line ran: \(term.screen())")
        let screen = term.screen()
        #expect(!screen.contains("unknown_command"), "nothing strange was sent: \(screen)")
        #expect(!screen.contains("[A"), "no escape sequence reached the daemon or the screen: \(screen)")

        // Editing: Ctrl-A goes to the start of the line, Ctrl-E to its end.
        try term.type("echo 改")
        try term.press("C-a")
        try term.type("probe.")
        try term.press("C-e")
        try term.type("过")
        try term.press("Enter")
        #expect(term.wait { $0.contains("\n改过\n") } != nil, "the line was edited in place: \(term.screen())")

        // History persists: a new session recalls the lines of the last one.
        try term.press("C-d")
        #expect(term.wait { $0.contains("[exited 0]") } != nil, "Ctrl-D leaves with status 0: \(term.screen())")
        let file = try String(contentsOfFile: home.file("state/doorstep/history"), encoding: .utf8)
        #expect(file == "probe.echo 你好 世界\nprobe.echo 改过\n", "one line per request, repeats kept once: \(file)")
        let again = try session()
        defer { again.close() }
        try again.press("Up")
        #expect(again.wait { _ in again.lastLine.hasPrefix(Self.prompt + "probe.echo 改过") } != nil,
                "the history file was loaded: \(again.screen())")
        try again.press("Up")
        #expect(again.wait { _ in again.lastLine.hasPrefix(Self.prompt + "probe.echo 你好 世界") } != nil, "\(again.screen())")
    }

    @Test func tabCompletesCommandsArgumentNamesAndValues() throws {
        #expect(try daemon.ctl(["roster.household.add", "3-2-501"]).status == 0)
        #expect(try daemon.ctl(["roster.household.add", "3-2-502"]).status == 0)
        #expect(try daemon.ctl(["roster.household.add", "3-1-101"]).status == 0)
        #expect(try daemon.ctl(["roster.household.add", "12-1-101"]).status == 0)
        let term = try session()
        defer { term.close() }

        // A command name: the only match is completed, with a space after it.
        try term.type("probe.ec")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == Self.prompt + "probe.echo" } != nil, "command completed: \(term.screen())")
        // An argument name: upper= (no space: the value follows), then a bool value.
        try term.type("up")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == Self.prompt + "probe.echo upper=" } != nil, "argument completed: \(term.screen())")
        try term.type("y")
        try term.press("Tab")
        try term.type("abc")
        try term.press("Enter")
        #expect(term.wait { $0.contains("\nABC\n") } != nil, "probe.echo upper=yes abc ran: \(term.screen())")

        // An enum value: several candidates are listed, a unique prefix completes.
        try term.type("roster.export headers=")
        try term.press("Tab")
        #expect(term.wait { $0.contains("\nzh  en\n") } != nil, "the values are listed: \(term.screen())")
        try term.type("e")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == Self.prompt + "roster.export headers=en" } != nil, "value completed: \(term.screen())")
        try term.press("C-u")

        // Several commands share a prefix: listed with their summaries.
        try term.type("roster.leader")
        try term.press("Tab")
        #expect(term.wait { $0.contains("roster.leader.assign") && $0.contains("make a person building leader") } != nil,
                "commands listed with summaries: \(term.screen())")
        try term.press("C-u")

        // Household ids from the daemon, a segment at a time.
        try term.type("roster.household 3")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == Self.prompt + "roster.household 3-" } != nil, "building: \(term.screen())")
        try term.type("2")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == Self.prompt + "roster.household 3-2-" } != nil, "unit: \(term.screen())")
        try term.press("Tab")
        #expect(term.wait { _ in term.lastLine == Self.prompt + "roster.household 3-2-50" } != nil, "rooms: \(term.screen())")
        try term.type("2")
        try term.press("Tab")
        try term.press("Enter")
        #expect(term.wait { $0.contains("household: 3-2-502") } != nil, "the completed id was used: \(term.screen())")
        #expect(!term.screen().contains("12-1-"), "ids are matched from their start")
    }

    @Test func survivesTheIdleTimeout() throws {
        let term = try session()
        defer { term.close() }
        try term.type("ping")
        try term.press("Enter")
        #expect(term.wait { $0.contains("\npong\n") } != nil, "\(term.screen())")
        // Past idle_timeout (1 s): the daemon has closed the connection.
        sleep(3)
        try term.type("probe.echo still here")
        try term.press("Enter")
        let screen = term.wait { $0.contains("\nstill here\n") }
        #expect(screen != nil, "the next command works: \(term.screen())")
        let text = term.screen()
        #expect(!text.contains("408"), "no idle_timeout shown: \(text)")
        #expect(!text.contains("closed the connection"), "no reconnect message: \(text)")
        #expect(!text.contains("[exited"), "the session is still open: \(text)")
        // And again, with a subscription's events printed above the prompt meanwhile.
        try term.type("subscribe probe.*")
        try term.press("Enter")
        #expect(term.wait { $0.contains("subscribed to probe.*") } != nil, "\(term.screen())")
        sleep(2)
        #expect(try daemon.ctl(["probe.publish", "door", "text=开门"]).status == 0)
        #expect(term.wait { $0.contains("event probe.door #") && $0.contains("text=开门") } != nil,
                "the event shows while the prompt waits: \(term.screen())")
    }

    @Test func ctrlCClearsTheLineAndHeredocBodiesAreTyped() throws {
        let term = try session()
        defer { term.close() }
        try term.type("probe.echo never sent")
        try term.press("C-c")
        #expect(term.wait { _ in term.lastLine == Self.emptyPrompt } != nil, "a fresh prompt: \(term.screen())")
        try term.type("probe.body <<END")
        try term.press("Enter")
        try term.type("a\tb")
        try term.press("Enter")
        try term.type("END")
        try term.press("Enter")
        #expect(term.wait { $0.contains("bytes: 4") && $0.contains("lines: 1") } != nil, "the body went with it: \(term.screen())")
        #expect(!term.screen().contains("never sent\n"), "Ctrl-C discarded the line")
        try term.type("exit")
        try term.press("Enter")
        #expect(term.wait { $0.contains("[exited 0]") } != nil, "\(term.screen())")
    }
}
