import CSystemd
import Glibc

/// Sockets passed by systemd (`LISTEN_FDS`), matched by `FileDescriptorName=`.
enum SocketActivation {
    /// The descriptor named `name`, or the only unnamed one; nil when not socket-activated.
    ///
    /// - Throws: when descriptors were passed but none fits, so a misconfigured unit fails
    ///   loudly instead of binding a second socket.
    static func listeningSocket(named name: String) throws(ActivationError) -> CInt? {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else {
            if count < 0 { throw ActivationError(message: "sd_listen_fds failed: \(String(cString: strerror(-count)))") }
            return nil
        }
        defer {
            if let names {
                for i in 0..<Int(count) { free(names[i]) }
                free(names)
            }
        }
        var found: [String] = []
        for i in 0..<Int(count) {
            let fdName = names?[i].map { String(cString: $0) } ?? "unknown"
            found.append(fdName)
            if fdName == name || (count == 1 && fdName == "unknown") {
                return SD_LISTEN_FDS_START + CInt(i)
            }
        }
        throw ActivationError(message: "systemd passed \(count) sockets named \(found.joined(separator: ", ")); none is named '\(name)'")
    }

    struct ActivationError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
