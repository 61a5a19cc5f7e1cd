import Glibc
import PluginAPI

/// Turns the bytes of an import file into text, whatever a spreadsheet saved: UTF-8 (with or
/// without BOM), UTF-16 with a BOM (Excel's "Unicode text"), GB18030/GBK (Chinese Excel's and
/// WPS's default "CSV"); workbooks (`.xlsx`, `.xls`, `.et`) and anything else are refused with
/// what to do instead.
enum ImportBody {
    /// The text of a body and the encoding it was converted from (nil: it was UTF-8).
    struct Decoded: Sendable {
        var text: String
        var convertedFrom: String?
    }

    /// What every refusal ends with: the one remedy that always works.
    static let remedy = "in Excel or WPS choose 文件 → 另存为 (Save As), file type \"CSV UTF-8 (逗号分隔)(*.csv)\", "
        + "and import that file"

    /// Detects the encoding of `bytes` and decodes them.
    ///
    /// Order: workbook magic bytes (zip/xlsx `PK\u{3}\u{4}`, OLE2 xls `D0 CF 11 E0`; no CSV
    /// starts with them, and a zip's first bytes can be valid UTF-8) → byte-order mark (UTF-8,
    /// UTF-16LE, UTF-16BE) → valid UTF-8 → strict GB18030 → refusal.
    ///
    /// - Throws: `415 invalid_utf8` naming what the body is (or where it stops being text) and
    ///   how to save it instead.
    static func decode(_ bytes: [UInt8]) throws(ControlError) -> Decoded {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw .invalidUTF8("the body is an Excel workbook (.xlsx) or another zip file, not CSV text: \(remedy)")
        }
        if bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw .invalidUTF8("the body is an old-style Excel or WPS workbook (.xls/.et), not CSV text: \(remedy)")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            let rest = Array(bytes.dropFirst(3))
            if let text = String(validating: rest, as: UTF8.self) { return Decoded(text: text, convertedFrom: nil) }
            throw notText(rest, offset: 3, "it starts with a UTF-8 byte-order mark but is not UTF-8 after it")
        }
        if bytes.starts(with: [0xFF, 0xFE]) { return try utf16(bytes, bigEndian: false) }
        if bytes.starts(with: [0xFE, 0xFF]) { return try utf16(bytes, bigEndian: true) }
        if let text = String(validating: bytes, as: UTF8.self) {
            if looksLikeUTF16(bytes) {
                throw .invalidUTF8("the body looks like UTF-16 text without a byte-order mark (every other byte is 0), "
                    + "which cannot be told from other encodings: \(remedy)")
            }
            return Decoded(text: text, convertedFrom: nil)
        }
        switch GB18030.decode(bytes) {
        case .success(let text): return Decoded(text: text, convertedFrom: "GB18030")
        case .failure:
            throw notText(bytes, offset: 0, "it is neither UTF-8 nor GB18030 (GBK)")
        }
    }

    /// A UTF-16 body after its BOM. A client ends a body with a line feed byte when the file did
    /// not (`doorstepctl --data`): an odd last byte 0x0A is that one, not half a character.
    private static func utf16(_ bytes: [UInt8], bigEndian: Bool) throws(ControlError) -> Decoded {
        var rest = bytes.dropFirst(2)
        if rest.count % 2 == 1, rest.last == 0x0A { rest = rest.dropLast() }
        let name = bigEndian ? "UTF-16BE" : "UTF-16LE"
        guard rest.count % 2 == 0 else {
            throw .invalidUTF8("the body starts with a \(name) byte-order mark but has an odd number of bytes (cut short?): \(remedy)")
        }
        var units: [UInt16] = []
        units.reserveCapacity(rest.count / 2)
        var i = rest.startIndex
        while i < rest.endIndex {
            let a = UInt16(rest[i]), b = UInt16(rest[i + 1])
            units.append(bigEndian ? a << 8 | b : b << 8 | a)
            i += 2
        }
        guard let text = String(validating: units, as: UTF16.self) else {
            var bad = 0
            while bad < units.count {
                let u = units[bad]
                if (0xD800...0xDBFF).contains(u), bad + 1 < units.count, (0xDC00...0xDFFF).contains(units[bad + 1]) { bad += 2; continue }
                if (0xD800...0xDFFF).contains(u) { break }
                bad += 1
            }
            let line = units.prefix(bad).reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            throw .invalidUTF8("the body starts with a \(name) byte-order mark but has a broken character on line \(line): \(remedy)")
        }
        return Decoded(text: text, convertedFrom: name)
    }

    /// Valid UTF-8 in which at least a quarter of the first bytes are NUL: UTF-16 without a BOM.
    private static func looksLikeUTF16(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(512)
        return head.count >= 4 && head.filter { $0 == 0 }.count * 4 >= head.count
    }

    /// Where the body stops being UTF-8: most files that are neither encoding are UTF-8 with
    /// a stray piece of something else.
    private static func notText(_ bytes: some Collection<UInt8>, offset: Int, _ what: String) -> ControlError {
        let bad = UTF8Position.firstInvalid(Array(bytes)) ?? 0
        let line = bytes.prefix(bad).reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        return .invalidUTF8("the body is not text this import reads: \(what) (line \(line), byte \(bad + offset + 1) of the body): \(remedy)")
    }
}

/// Where UTF-8 validation fails.
enum UTF8Position {
    static func firstInvalid(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var at = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): at += UTF8.width(s)
            case .emptyInput: return nil
            case .error: return at
            }
        }
    }
}

/// GB18030 (a superset of GBK and GB2312) through glibc's iconv, strictly: a byte sequence
/// GB18030 does not define is an error, never a replacement character.
enum GB18030 {
    /// The text, or the offset of the first byte that is not GB18030.
    static func decode(_ bytes: [UInt8]) -> Result<String, GB18030Failure> {
        guard let cd = iconv_open("UTF-8", "GB18030"), cd != iconv_t(bitPattern: -1) else {
            return .failure(GB18030Failure(offset: 0))
        }
        defer { iconv_close(cd) }
        var input = bytes
        // A GB18030 character of n bytes is at most n + 1 bytes of UTF-8 (2 → 3, 4 → 4).
        var output = [UInt8](repeating: 0, count: bytes.count * 3 / 2 + 16)
        let (left, produced) = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf -> (Int, Int) in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuf.count
                _ = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                return (inLeft, outBuf.count - outLeft)
            }
        }
        guard left == 0, let text = String(validating: output.prefix(produced), as: UTF8.self) else {
            return .failure(GB18030Failure(offset: bytes.count - left))
        }
        return .success(text)
    }
}

struct GB18030Failure: Error {
    var offset: Int
}
