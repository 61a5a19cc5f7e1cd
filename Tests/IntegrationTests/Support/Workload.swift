import Foundation

/// Durable writes through the real protocol, remembering exactly which were acknowledged.
struct Workload {
    /// Keys whose `probe.set` got `200`, with the value sent.
    var acknowledged: [String: String] = [:]
    /// Every key sent (acknowledged or not), with its value.
    var sent: [String: String] = [:]

    /// `clients` connections each pipeline `perClient` sets; stops quietly when the daemon dies.
    mutating func run(socket: String, clients: Int, perClient: Int, prefix: String) {
        var connections: [(LineClient, [String])] = []
        for c in 0..<clients {
            guard let client = try? LineClient(socket: socket) else { continue }
            var keys: [String] = []
            var batch = ""
            for i in 0..<perClient {
                let key = "\(prefix)-\(c)-\(i)"
                let value = "值\(c * 1000 + i)"
                keys.append(key)
                sent[key] = value
                batch += "@\(key) probe.set \(key) \(value)\n"
            }
            try? client.send(batch)
            connections.append((client, keys))
        }
        for (client, keys) in connections {
            for key in keys {
                guard let reply = try? client.readReply(timeout: 10), let final = reply.last else { break }
                if final.hasPrefix("@\(key) 200 ") { acknowledged[key] = sent[key] }
            }
        }
    }

    /// The daemon's whole probe state, from `probe.dump` in JSON.
    static func dump(socket: String) throws -> [String: String] {
        let client = try LineClient(socket: socket)
        _ = try client.requestJSON("hello format=json")
        let reply = try client.requestJSON("probe.dump", timeout: 30)
        guard let data = reply["data"] as? [String: Any] else {
            throw LineClient.Failure(description: "probe.dump failed: \(reply)")
        }
        var out: [String: String] = [:]
        for row in (data["values"] as? [[String: Any]]) ?? [] {
            out[row["key"] as! String] = row["value"] as? String
        }
        return out
    }

    /// Checks that every acknowledged write is present and nothing present was never sent.
    func verify(_ state: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
        for (key, value) in acknowledged {
            #expect(state[key] == value, "acknowledged \(key) lost", sourceLocation: sourceLocation)
        }
        for (key, value) in state where key.hasPrefix("w") {
            #expect(sent[key] == value, "\(key)=\(value) was never sent", sourceLocation: sourceLocation)
        }
    }
}

import Testing
