import Glibc

/// What the client asks of the terminal: whether a stream is one, colours, width, environment.
enum Terminal {
    static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// An environment variable, nil when unset or empty.
    static func env(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// Colour on `fd`: a terminal, `NO_COLOR` unset or empty (no-color.org), `TERM` not `dumb`.
    static func colour(_ fd: Int32) -> Bool {
        isTTY(fd) && env("NO_COLOR") == nil && env("TERM") != "dumb"
    }

    /// Columns of the terminal on `fd` (80 when it is not one).
    static func width(_ fd: Int32 = 1) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = env("COLUMNS").flatMap({ Int($0) }), columns > 0 { return columns }
        return 80
    }
}

/// SGR colours, or nothing when colour is off.
struct Paint {
    let on: Bool

    func wrap(_ text: String, _ code: String) -> String { on ? "\u{1b}[\(code)m" + text + "\u{1b}[0m" : text }
    func bold(_ text: String) -> String { wrap(text, "1") }
    func dim(_ text: String) -> String { wrap(text, "2") }
    func red(_ text: String) -> String { wrap(text, "31") }
    func green(_ text: String) -> String { wrap(text, "32") }
    func yellow(_ text: String) -> String { wrap(text, "33") }
    func cyan(_ text: String) -> String { wrap(text, "36") }
    func boldCyan(_ text: String) -> String { wrap(text, "1;36") }
    func boldRed(_ text: String) -> String { wrap(text, "1;31") }
}

/// The language the client asks the daemon for (`hello lang=`), from the POSIX locale variables.
enum ClientLanguage {
    /// `LC_ALL`, then `LC_MESSAGES`, then `LANG` (the first set one decides, as for gettext);
    /// `zh_CN.UTF-8`, `zh_CN.GB18030`, `zh_CN` and `zh_Hans…` give `zh-CN`; anything else nil
    /// (the daemon's default, English).
    static func fromEnvironment(_ lookup: (String) -> String? = Terminal.env) -> String? {
        guard let value = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap(lookup).first else { return nil }
        let name = value.split(separator: ".").first.map { $0.split(separator: "@").first ?? $0 } ?? ""
        switch name {
        case "zh_CN", "zh-CN", "zh_Hans", "zh_Hans_CN", "zh-Hans", "zh-Hans-CN": return "zh-CN"
        default: return nil
        }
    }
}
