@testable import DoorstepCore
@testable import PluginAPI

#if canImport(Glibc)
import Glibc
#endif

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}

func same(_ a: RecordedEvent, _ b: RecordedEvent) -> Bool {
    a.seq == b.seq && a.time == b.time && a.plugin == b.plugin && a.type == b.type && a.version == b.version
        && a.payload == b.payload && a.announced == b.announced && a.reaction == b.reaction
}

/// Journal segment bytes through the record decoder and the segment scanner, as start-up,
/// `--repair` and `subscribe from=` read them.
///
/// Input: byte 0 is a mode; the rest is a segment. With an odd mode every record's checksum is
/// recomputed before decoding (walking the announced lengths), so the fuzzer gets past the
/// CRC to the field decoding; with an even mode the bytes are decoded as they are.
///
/// Invariants: no trap or out-of-bounds read (ASan); a decoded record's size fits the buffer;
/// a decoded record re-encoded with `JournalRecord.encode` decodes to the same event; any one
/// byte changed in a decoded record's checksum or body makes it invalid (never another record);
/// the scanner either throws `JournalCorruption` or accounts for every byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let mode = data[0]
    var bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if mode & 1 == 1 { fixChecksums(&bytes) }
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            guard case .record(let event, let size) = JournalRecord.parse(raw, at: offset) else { break }
            check(size >= JournalRecord.headerSize + JournalRecord.fixedBody && offset + size <= raw.count,
                  "record size \(size) at \(offset) of \(raw.count)")
            roundTrip(event)
            corrupt(raw, offset: offset, size: size, pick: Int(mode >> 1))
            offset += size
        }
        _ = JournalScanner.recordsByPlugin(raw)
        for isLast in [true, false] {
            do {
                var visited = 0
                let result = try JournalScanner.scan(raw, file: "fuzz.seg", isLast: isLast, after: 0) { _ in visited += 1 }
                check(result.records == visited, "scan counted \(result.records), visited \(visited)")
                check(result.validEnd + result.tornBytes == raw.count, "scan: \(result.validEnd) + \(result.tornBytes) != \(raw.count)")
                check(isLast || result.tornBytes == 0, "torn tail in a segment that is not the last")
            } catch is JournalCorruption {
            } catch {
                fatalError("fuzz invariant: scan threw \(error)")
            }
        }
    }
    return 0
}

/// Decoding what the encoder writes for a decoded event gives that event back (when the
/// strings fit the encoder's 255-byte fields: invalid UTF-8 decodes to longer text).
func roundTrip(_ event: RecordedEvent) {
    guard event.plugin.utf8.count <= 255, event.type.utf8.count <= 255 else { return }
    var out: [UInt8] = []
    JournalRecord.encode(event, into: &out)
    out.withUnsafeBytes { raw in
        guard case .record(let back, let size) = JournalRecord.parse(raw, at: 0) else {
            fatalError("fuzz invariant: re-encoded record does not decode: \(event)")
        }
        check(size == raw.count, "re-encoded record size \(size) of \(raw.count)")
        check(same(back, event), "re-encoded record decodes to \(back), not \(event)")
    }
}

/// One byte changed after the length field must make the record invalid.
func corrupt(_ raw: UnsafeRawBufferPointer, offset: Int, size: Int, pick: Int) {
    var copy = Array(raw[offset..<(offset + size)])
    let at = 4 + pick % (size - 4)
    copy[at] ^= UInt8(truncatingIfNeeded: 1 + pick % 255)
    copy.withUnsafeBytes { c in
        if case .record = JournalRecord.parse(c, at: 0) {
            fatalError("fuzz invariant: record with byte \(at) changed still decodes")
        }
    }
}

/// Rewrites each record's checksum, following the length fields while they fit.
func fixChecksums(_ bytes: inout [UInt8]) {
    var o = 0
    while o + JournalRecord.headerSize <= bytes.count {
        let length = bytes.withUnsafeBytes { Int(JournalRecord.readU32($0, o)) }
        guard length <= bytes.count - o - JournalRecord.headerSize else { return }
        let crc = bytes.withUnsafeBytes { b in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[(o + JournalRecord.headerSize)..<(o + JournalRecord.headerSize + length)]))
        }
        for i in 0..<4 { bytes[o + 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        o += JournalRecord.headerSize + length
    }
}

/// `FUZZ_JOURNAL_SEEDS=DIR`: writes seed segments made by the real encoder into DIR and exits
/// (scripts/fuzz.sh --seeds regenerates fuzz/corpus/journal with it).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzJournalInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    guard let dir = getenv("FUZZ_JOURNAL_SEEDS").map({ String(cString: $0) }) else { return 0 }
    var visit = RecordedEvent(seq: 1, time: 1_764_720_000, plugin: "visits", type: "visit.recorded", version: 1,
                              payload: Array(#"{"household":"3-1-101","result":"visited","needs":["medicine:降压药"]}"#.utf8))
    var put = RecordedEvent(seq: 2, time: 1_764_720_060, plugin: "roster", type: "residents.put", version: 1,
                            payload: Array(#"{"residents":[{"household":"3-2-501","name":"王芳","phone":"13800138000","tags":["独居"]}]}"#.utf8))
    var reaction = RecordedEvent(seq: 3, time: 1_764_720_061, plugin: "supplies", type: "need.opened", version: 2,
                                 payload: Array(#"{"household":"3-1-101","category":"medicine"}"#.utf8))
    reaction.reaction = 1
    reaction.announced = Array(#"[{"name":"supplies.need.opened","data":{"household":"3-1-101"}}]"#.utf8)
    let empty = RecordedEvent(seq: 4, time: 0, plugin: "", type: "", version: 0, payload: [])
    visit.seq = 1; put.seq = 2
    let seeds: [(String, [RecordedEvent], Bool)] = [
        ("one-visit", [visit], false), ("put-and-reaction", [visit, put, reaction], false), ("empty-record", [empty], false),
        ("torn-tail", [visit, put], true),
    ]
    for (name, events, torn) in seeds {
        var out: [UInt8] = []
        for e in events { JournalRecord.encode(e, into: &out) }
        if torn { out.removeLast(7) }
        for mode: UInt8 in [0, 1] {
            let path = "\(dir)/\(name)-\(mode == 0 ? "raw" : "fixcrc")"
            guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            var all = [mode] + out
            _ = fwrite(&all, 1, all.count, f)
            fclose(f)
        }
    }
    exit(0)
}
