import Foundation

/// One measured run of one system for one report row: a JSON line of the results file.
struct Measurement: Codable {
    var row: String
    var system: String
    var figures: [String: Double]
    var note: String?

    func append(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(self)
        line.append(0x0A)
        if let handle = FileHandle(forWritingAtPath: path) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else if !FileManager.default.createFile(atPath: path, contents: line) {
            throw BenchError("cannot write \(path)")
        }
    }

    static func load(_ path: String) throws -> [Measurement] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").enumerated().map { number, line in
            do {
                return try decoder.decode(Measurement.self, from: Data(line.utf8))
            } catch {
                throw BenchError("\(path):\(number + 1): not a measurement: \(error)")
            }
        }
    }
}
