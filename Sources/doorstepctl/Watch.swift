import DoorstepProtocol
import Glibc

/// `doorstepctl watch PATTERN…`: one line per event, for a person at a terminal (coloured) or a
/// script (plain when piped; `--json` for the daemon's JSON lines). It subscribes in JSON mode,
/// and when the connection ends (idle timeout, restart, a subscriber cut off for falling behind)
/// it connects again and resumes after the last event it printed (`subscribe … from=`), so
/// nothing is shown twice and nothing is skipped while the journal still has it.
enum Watch {
    static func run(options base: Options, patterns words: [String]) -> Int32 {
        var options = base
        // `watch --json PATTERN` reads as well as `--json watch PATTERN`.
        if words.contains("--json") { options.json = true }
        let given = words.filter { $0 != "--json" }
        let patterns = given.isEmpty ? ["*"] : given
        let path = options.socketPath()
        let paint = Paint(on: Terminal.colour(1))
        var last: Int64?
        var connectedOnce = false
        var away = false
        while true {
            let connection: ControlConnection
            do {
                connection = try ControlConnection.connect(path: path)
            } catch {
                if !connectedOnce { return DoorstepCtl.report(error, path: path, printer: nil) }
                if !away { Output.err("doorstepctl: doorstepd is not answering at \(path); waiting for it…") }
                away = true
                sleep(1)
                continue
            }
            defer { close(connection.fd) }
            let reader = LineReader(connection)
            let words = patterns.map(Quoting.quote).joined(separator: " ")
            var subscribe = "subscribe " + words + (last.map { " from=\($0 + 1)" } ?? "")
            do throws(ControlConnection.Failure) {
                try connection.sendAll(Array("hello format=json client=doorstepctl-watch\n\(subscribe)\n".utf8), timeout: options.timeoutSeconds)
                guard let hello = try reader.next(timeout: options.timeoutSeconds) else { throw ControlConnection.Failure.closed(pending: 2) }
                if !hello.hasPrefix("{") {
                    // 403 or 429 at connect: the daemon's explanation, then the close.
                    Output.err("doorstepctl: " + hello)
                    return 1
                }
                var reply = try Self.reply(reader, timeout: options.timeoutSeconds, paint: paint, json: options.json)
                if reply?["ok"] != .bool(true), last != nil, reply?["code"] == .int(404) {
                    // The journal no longer has the events after the last one shown.
                    Output.err("doorstepctl: " + (reply?["message"]?.text ?? "events were compacted")
                        + "; some events were missed, watching from now")
                    subscribe = "subscribe " + words
                    try connection.sendAll(Array((subscribe + "\n").utf8), timeout: options.timeoutSeconds)
                    reply = try Self.reply(reader, timeout: options.timeoutSeconds, paint: paint, json: options.json)
                }
                guard let reply else { throw ControlConnection.Failure.closed(pending: 1) }
                guard reply["ok"] == .bool(true) else {
                    let code = reply["code"]?.integer.map(String.init) ?? "?"
                    Output.err("doorstepctl: \(code) \(reply["error"]?.text ?? "error"): \(reply["message"]?.text ?? "")")
                    return 1
                }
                if last == nil { last = reply["data"]?["seq"]?.integer }
                if away { Output.err("doorstepctl: watching again") }
                away = false
                connectedOnce = true
                var idle = false
                while let line = try reader.next(timeout: 0) {
                    if line.hasPrefix("{\"event\"") {
                        if let seq = Self.show(line, paint: paint, json: options.json) { last = seq }
                    } else if line.contains("\"error\":\"idle_timeout\"") || line.hasPrefix("408 idle_timeout") {
                        idle = true
                    } else if !line.isEmpty {
                        Output.err("doorstepctl: " + line)
                    }
                }
                if !idle {
                    Output.err("doorstepctl: doorstepd closed the connection; reconnecting…")
                    away = true
                }
            } catch {
                if case .timeout = error {
                    Output.err("doorstepctl: no answer from doorstepd at \(path) within \(options.timeoutSeconds) s; reconnecting…")
                    away = true
                }
            }
            usleep(200_000)
        }
    }

    /// The next reply, printing any event that comes first.
    private static func reply(_ reader: LineReader, timeout: Double, paint: Paint, json: Bool) throws(ControlConnection.Failure) -> JSON? {
        while let line = try reader.next(timeout: timeout) {
            if line.hasPrefix("{\"event\"") {
                _ = show(line, paint: paint, json: json)
                continue
            }
            return try? JSON.parse(Array(line.utf8))
        }
        return nil
    }

    /// Prints one event line; returns its sequence number.
    private static func show(_ line: String, paint: Paint, json: Bool) -> Int64? {
        let event = try? JSON.parse(Array(line.utf8))
        Output.out(json ? line : EventLine.watch(event ?? .null, raw: line, paint: paint))
        return event?["seq"]?.integer
    }
}

/// How events read as one line each.
enum EventLine {
    static func isEvent(_ line: String) -> Bool { line.hasPrefix("600 ") || line.hasPrefix("{\"event\"") }

    /// `watch`: `2026-11-29 19:02:11 +08:00 visits.recorded #1234 household=3-2-501 outcome=done`
    /// (time dim, name bold, sequence dim on a terminal).
    static func watch(_ event: JSON, raw: String, paint: Paint) -> String {
        guard let name = event["event"]?.text else { return raw }
        var parts: [String] = []
        if let time = event["time"]?.text { parts.append(paint.dim(Self.time(time))) }
        parts.append(alarming(name) ? paint.boldRed(name) : paint.boldCyan(name))
        if let seq = event["seq"]?.integer { parts.append(paint.dim("#\(seq)")) }
        let data = fields(event["data"] ?? .null, paint: paint)
        if !data.isEmpty { parts.append(data) }
        return parts.joined(separator: " ")
    }

    /// An event arriving in the interactive session: `event NAME #SEQ fields` (text), or the JSON
    /// line as the daemon sent it (`--json`).
    static func session(_ line: String, json: Bool, paint: Paint) -> String {
        if json || line.hasPrefix("{") { return line }
        // 600 NAME SEQ DATA
        let rest = line.hasPrefix("600 ") ? line.dropFirst(4) : Substring(line)
        let pieces = rest.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count >= 2 else { return String(rest) }
        let name = String(pieces[0])
        var out = paint.yellow("event") + " " + (alarming(name) ? paint.boldRed(name) : paint.boldCyan(name)) + " " + paint.dim("#" + pieces[1])
        if pieces.count == 3 {
            let data = (try? JSON.parse(Array(pieces[2].utf8))).map { fields($0, paint: paint) } ?? String(pieces[2])
            if !data.isEmpty { out += " " + data }
        }
        return out
    }

    /// Failures and the daemon's own warnings stand out.
    static func alarming(_ name: String) -> Bool {
        name.hasPrefix("daemon.") || name.hasSuffix(".failed") || name.hasSuffix(".gave_up") || name.contains("error")
    }

    /// `key=value` for an object's fields (strings quoted only when they must be, as in a
    /// request), the JSON of anything else.
    static func fields(_ data: JSON, paint: Paint) -> String {
        switch data {
        case .null: return ""
        case .object(let pairs):
            return pairs.map { key, value in paint.dim(key + "=") + Self.value(value) }.joined(separator: " ")
        default: return data.serialized
        }
    }

    static func value(_ value: JSON) -> String {
        switch value {
        case .string(let s): return Quoting.quote(s)
        default: return value.serialized
        }
    }

    /// `2026-11-29T19:02:11+08:00` as `2026-11-29 19:02:11 +08:00` (the protocol's text form).
    static func time(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count >= 19, chars[10] == "T" else { return text }
        var rest = chars[19...]
        if rest.first == "." { rest = rest.drop { $0 == "." || $0.isNumber } }
        let zone = rest.isEmpty ? "" : (rest == ["Z"] ? " +00:00" : " " + String(rest))
        return String(chars[0..<10]) + " " + String(chars[11..<19]) + zone
    }
}
