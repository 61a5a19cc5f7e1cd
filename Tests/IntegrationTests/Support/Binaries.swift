import Foundation

/// Where the built executables are: beside the test bundle, or `DOORSTEP_BIN_DIR`.
enum Binaries {
    static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment["DOORSTEP_BIN_DIR"] { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test runner may live inside an .xctest bundle directory.
        while url.path.contains(".xctest") { url = url.deletingLastPathComponent() }
        return url.path
    }()

    static var doorstepd: String { directory + "/doorstepd" }
    static var doorstepctl: String { directory + "/doorstepctl" }
    static var doorstepShip: String { directory + "/doorstep-ship" }

    /// The repository root (for config/ and scripts/).
    static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()
}

/// A fresh temporary directory, removed by `remove()`.
struct TempDirectory {
    let path: String

    /// Where they are made: `DOORSTEP_TEST_TMPDIR` (under a real systemd, the transient
    /// units' state directory: see SystemdUnit), else /tmp.
    static let base = ProcessInfo.processInfo.environment["DOORSTEP_TEST_TMPDIR"] ?? "/tmp"

    init() {
        var template = Array("\(Self.base)/doorstep-it-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
        // Other users must reach sockets inside (the access tests connect as nobody).
        chmod(path, 0o755)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) {
        FileManager.default.createFile(atPath: file(name), contents: Data(text.utf8))
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Campaign deadlines for a real daemon on the real clock: a month from now, so "the deadline
/// has passed" never fires because a test was written in another year.
enum Deadline {
    /// `YYYY-MM-DDT00:00+08:00`, 30 days from now.
    static var ahead: String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd'T'00:00+08:00"
        return f.string(from: Date().addingTimeInterval(30 * 86_400))
    }
}
