import PluginAPI

/// The on-disk framing of one journal record (docs/state.md):
///
/// ```
/// u32 length   bytes after the checksum
/// u32 crc32c   of those bytes
/// u64 seq      u8 plugin length, plugin id   u8 type length, type
/// u16 version  i64 time                      payload
/// ```
/// All integers little-endian. A record is valid only if its length fits and its checksum
/// matches; the reader uses that to tell a torn tail from corruption.
///
/// A record that announces events or was made by a reaction sets bit 15 of `version`
/// (``extended``); its payload is then `u32 state length, state, u64 reaction seq, announced
/// JSON`. Records without either keep the original layout, so older journals read unchanged
/// and the common record costs nothing more.
enum JournalRecord {
    static let headerSize = 8
    /// Fixed bytes after the checksum besides the strings and payload.
    static let fixedBody = 8 + 1 + 1 + 2 + 8
    /// Largest record accepted (bodies are capped well below this).
    static let maxBodySize = 256 * 1024 * 1024
    /// Set in `version` when the payload carries the reaction and announced events.
    static let extended: UInt16 = 0x8000

    /// Appends the framed record to `out`.
    static func encode(_ event: RecordedEvent, into out: inout [UInt8]) {
        let plugin = Array(event.plugin.utf8.prefix(255)), type = Array(event.type.utf8.prefix(255))
        let isExtended = !event.announced.isEmpty || event.reaction != 0
        let extra = isExtended ? 4 + 8 + event.announced.count : 0
        let bodyLength = fixedBody + plugin.count + type.count + event.payload.count + extra
        let start = out.count
        // Not reserveCapacity(start + size): an exact reservation per record makes a batch quadratic.
        append(UInt32(bodyLength), to: &out)
        append(UInt32(0), to: &out)  // checksum, filled below
        append(event.seq, to: &out)
        out.append(UInt8(plugin.count))
        out += plugin
        out.append(UInt8(type.count))
        out += type
        let version = UInt16(clamping: event.version) & ~extended
        append(isExtended ? version | extended : version, to: &out)
        append(UInt64(bitPattern: event.time), to: &out)
        if isExtended { append(UInt32(event.payload.count), to: &out) }
        out += event.payload
        if isExtended {
            append(event.reaction, to: &out)
            out += event.announced
        }
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...])) }
        for i in 0..<4 { out[start + 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }

    /// What is at an offset of a journal buffer.
    enum Parsed {
        case record(RecordedEvent, size: Int)
        /// Not enough bytes for the header or the announced length.
        case truncated
        /// Length impossible or checksum wrong.
        case invalid(String)
    }

    /// Parses the record at `offset` of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Parsed {
        let available = bytes.count - offset
        guard available >= headerSize else { return .truncated }
        let length = Int(readU32(bytes, offset))
        guard length >= fixedBody, length <= maxBodySize else { return .invalid("impossible record length \(length)") }
        guard available - headerSize >= length else { return .truncated }
        let body = offset + headerSize
        let stored = readU32(bytes, offset + 4)
        let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[body..<(body + length)]))
        guard stored == actual else { return .invalid("checksum mismatch") }
        var p = body
        let seq = readU64(bytes, p)
        p += 8
        let pluginLength = Int(bytes[p])
        p += 1
        guard p + pluginLength + 1 <= body + length else { return .invalid("plugin id overruns the record") }
        let plugin = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + pluginLength)]), as: UTF8.self)
        p += pluginLength
        let typeLength = Int(bytes[p])
        p += 1
        guard p + typeLength + 10 <= body + length else { return .invalid("type overruns the record") }
        let type = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[p..<(p + typeLength)]), as: UTF8.self)
        p += typeLength
        let rawVersion = UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8
        p += 2
        let time = Int64(bitPattern: readU64(bytes, p))
        p += 8
        let end = body + length
        guard rawVersion & extended != 0 else {
            let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[p..<end]))
            return .record(RecordedEvent(seq: seq, time: time, plugin: plugin, type: type, version: Int(rawVersion), payload: payload),
                           size: headerSize + length)
        }
        guard p + 4 <= end else { return .invalid("state length overruns the record") }
        let stateLength = Int(readU32(bytes, p))
        p += 4
        guard stateLength <= end - p - 8 else { return .invalid("state overruns the record") }
        var event = RecordedEvent(seq: seq, time: time, plugin: plugin, type: type, version: Int(rawVersion & ~extended),
                                  payload: Array(UnsafeRawBufferPointer(rebasing: bytes[p..<(p + stateLength)])))
        p += stateLength
        event.reaction = readU64(bytes, p)
        p += 8
        event.announced = Array(UnsafeRawBufferPointer(rebasing: bytes[p..<end]))
        return .record(event, size: headerSize + length)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { out += $0 }
    }

    static func readU32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    static func readU64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(readU32(b, o)) | UInt64(readU32(b, o + 4)) << 32
    }
}
