import PluginAPI

/// One entry of the audit trail: who ran which command, with which (redacted) arguments, and
/// what the daemon answered (docs/protocol.md §6, docs/state.md "The audit trail").
struct AuditRecord: Sendable, Equatable {
    /// Why the request was audited.
    enum Kind: String, Sendable {
        /// A command that changes state (or needs a role above viewer and declares a change).
        case change
        /// A read that shows personal data in clear, or any other command above viewer.
        case read
    }

    /// 1, 2, 3…, assigned by ``AuditLog/append(_:)``; 0 until then.
    var id: UInt64 = 0
    /// Unix milliseconds.
    var timeMillis: Int64
    var uid: UInt32
    /// The user name at the time of the request ("?" when the uid has none).
    var user: String
    var pid: Int32
    var role: String
    var command: String
    /// The plugin answering the command, or `core`.
    var plugin: String
    var kind: Kind
    /// The arguments as ``AuditRedaction`` left them: personal values are `***`.
    var args: [(String, JSON)]
    /// The size of the heredoc body (never its text), or nil without one.
    var bodyBytes: Int?
    var code: Int
    /// The error's stable name (`forbidden`, …) for a refusal; never its message, which may
    /// repeat a name or a phone the request carried.
    var error: String?

    static func == (a: AuditRecord, b: AuditRecord) -> Bool { a.payload == b.payload && a.id == b.id && a.timeMillis == b.timeMillis }

    /// The JSON stored after the header.
    var payload: JSON {
        [
            "uid": .number(uid), "user": .string(user), "pid": .number(pid), "role": .string(role),
            "command": .string(command), "plugin": .string(plugin), "kind": .string(kind.rawValue),
            "args": .object(args), "body_bytes": bodyBytes.map { .number($0) } ?? .null, "code": .number(code),
            "error": .optional(error),
        ]
    }

    /// Reads a payload back; nil when a field is missing or of the wrong type.
    init?(id: UInt64, timeMillis: Int64, payload: JSON) {
        guard case .int(let uid)? = payload["uid"], case .string(let user)? = payload["user"],
            case .int(let pid)? = payload["pid"], case .string(let role)? = payload["role"],
            case .string(let command)? = payload["command"], case .string(let plugin)? = payload["plugin"],
            case .string(let kindText)? = payload["kind"], let kind = Kind(rawValue: kindText),
            case .object(let args)? = payload["args"], case .int(let code)? = payload["code"]
        else { return nil }
        var body: Int?
        if case .int(let n)? = payload["body_bytes"] { body = Int(n) }
        var error: String?
        if case .string(let e)? = payload["error"] { error = e }
        self.init(id: id, timeMillis: timeMillis, uid: UInt32(truncatingIfNeeded: uid), user: user, pid: Int32(truncatingIfNeeded: pid),
                  role: role, command: command, plugin: plugin, kind: kind, args: args, bodyBytes: body, code: Int(code), error: error)
    }

    init(id: UInt64 = 0, timeMillis: Int64, uid: UInt32, user: String, pid: Int32, role: String, command: String,
         plugin: String, kind: Kind, args: [(String, JSON)], bodyBytes: Int?, code: Int, error: String?) {
        self.id = id
        self.timeMillis = timeMillis
        self.uid = uid
        self.user = user
        self.pid = pid
        self.role = role
        self.command = command
        self.plugin = plugin
        self.kind = kind
        self.args = args
        self.bodyBytes = bodyBytes
        self.code = code
        self.error = error
    }
}

/// The on-disk framing of one audit record (docs/state.md), little-endian:
///
/// ```
/// u32 length   bytes after the checksum
/// u32 crc32c   of those bytes
/// u64 id       i64 time (Unix ms)   u16 version (1)   payload (JSON)
/// ```
/// As for the journal, a record is valid only if its length fits and its checksum matches:
/// that is how a torn tail is told from damage.
enum AuditFraming {
    static let headerSize = 8
    static let fixedBody = 8 + 8 + 2
    static let version: UInt16 = 1
    /// Largest record accepted: arguments are bounded by `max_line_bytes` (16 MiB at most).
    static let maxBodySize = 32 * 1024 * 1024

    /// Appends the framed record to `out`.
    static func encode(_ record: AuditRecord, into out: inout [UInt8]) {
        let payload = Array(record.payload.serialized.utf8)
        let start = out.count
        JournalRecord.append(UInt32(fixedBody + payload.count), to: &out)
        JournalRecord.append(UInt32(0), to: &out)
        JournalRecord.append(record.id, to: &out)
        JournalRecord.append(UInt64(bitPattern: record.timeMillis), to: &out)
        JournalRecord.append(version, to: &out)
        out += payload
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...])) }
        for i in 0..<4 { out[start + 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }

    /// What is at an offset of an audit buffer.
    enum Parsed {
        case record(AuditRecord, size: Int)
        /// Not enough bytes for the header or the announced length.
        case truncated
        /// Length impossible, checksum wrong, or a payload that does not read back.
        case invalid(String)
    }

    /// With `decode` false the payload is checked by its checksum only, not read: opening a
    /// log checks every record's framing, and decoding 300,000 JSON payloads there cost half a
    /// second of start-up (bench); the record handed back then has only its id and time.
    static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, decode: Bool = true) -> Parsed {
        let available = bytes.count - offset
        guard available >= headerSize else { return .truncated }
        let length = Int(JournalRecord.readU32(bytes, offset))
        guard length >= fixedBody, length <= maxBodySize else { return .invalid("impossible record length \(length)") }
        guard available - headerSize >= length else { return .truncated }
        let body = offset + headerSize
        let stored = JournalRecord.readU32(bytes, offset + 4)
        guard stored == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + length)])) else {
            return .invalid("checksum mismatch")
        }
        let id = JournalRecord.readU64(bytes, body)
        let time = Int64(bitPattern: JournalRecord.readU64(bytes, body + 8))
        let version = UInt16(bytes[body + 16]) | UInt16(bytes[body + 17]) << 8
        guard version == Self.version else { return .invalid("unknown audit record version \(version)") }
        guard decode else {
            var frame = AuditRecord(timeMillis: time, uid: 0, user: "", pid: 0, role: "", command: "", plugin: "", kind: .change,
                                    args: [], bodyBytes: nil, code: 0, error: nil)
            frame.id = id
            return .record(frame, size: headerSize + length)
        }
        let payloadBytes = UnsafeRawBufferPointer(rebasing: bytes[(body + fixedBody)..<(body + length)])
        guard let json = try? JSON.parse(payloadBytes), let record = AuditRecord(id: id, timeMillis: time, payload: json) else {
            return .invalid("payload of audit record \(id) does not read back")
        }
        return .record(record, size: headerSize + length)
    }
}
