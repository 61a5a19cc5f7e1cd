import Foundation

/// Real system users and groups for one test (`groupadd`/`useradd`, root only), named with a
/// prefix unique to the run and removed by ``remove()``.
final class TestAccounts {
    /// `dst` and five random hex digits: short enough for any useradd, unlikely to exist.
    let prefix = "dst" + String(UInt32.random(in: 0x10000...0xFFFFF), radix: 16)
    private var users: [String] = []
    private var groups: [String] = []

    static var available: Bool {
        getuid() == 0 && ["/usr/sbin/useradd", "/usr/sbin/groupadd", "/usr/sbin/userdel", "/usr/sbin/groupdel", "/usr/bin/setpriv"]
            .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Creates the group `PREFIX` + `suffix`.
    func group(_ suffix: String) throws -> String {
        let name = prefix + suffix
        try run("/usr/sbin/groupadd", [name])
        groups.append(name)
        return name
    }

    /// Creates the user `PREFIX` + `suffix` (no home, no login shell) in `primary` and `groups`.
    func user(_ suffix: String, primary: String, groups extra: [String] = []) throws -> String {
        let name = prefix + suffix
        var args = ["-M", "-N", "-s", "/usr/sbin/nologin", "-g", primary]
        if !extra.isEmpty { args += ["-G", extra.joined(separator: ",")] }
        try run("/usr/sbin/useradd", args + [name])
        users.append(name)
        return name
    }

    /// Runs `command` as `user` with its groups (`setpriv --init-groups`), stdin from `input`.
    func run(as user: String, _ command: [String], stdin input: String) throws -> (status: Int32, out: String, err: String) {
        try DaemonProcess.run("/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(prefix)sock", "--init-groups"] + command, stdin: input,
                               environment: DaemonProcess.englishEnvironment)
    }

    /// Removes every user, then every group, made here (also after a failed test).
    func remove() {
        for user in users { _ = try? DaemonProcess.run("/usr/sbin/userdel", [user]) }
        for group in groups { _ = try? DaemonProcess.run("/usr/sbin/groupdel", [group]) }
        users = []
        groups = []
    }

    private func run(_ tool: String, _ args: [String]) throws {
        let result = try DaemonProcess.run(tool, args)
        guard result.status == 0 else {
            throw LineClient.Failure(description: "\(tool) \(args.joined(separator: " ")) failed (\(result.status)): \(result.err)")
        }
    }
}
