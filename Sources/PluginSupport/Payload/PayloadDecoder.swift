import Foundation
public import DoorstepValues

/// Decodes JSON written by Foundation's `JSONEncoder` (default strategies) straight from its bytes.
///
/// Replay decodes a million small payloads at start-up, and Foundation's `JSONDecoder` spent
/// most of that time building a map of each document and boxing its containers
/// (`docs/benchmarks.md`). This decoder reads in place: an object's members are indexed once and
/// each value is parsed when it is asked for. For what `JSONEncoder()` writes it gives the same
/// values as `JSONDecoder()`, including `Date` (its own Codable form), `Data` (base64), `URL`
/// and `Decimal`; bad input throws `DecodingError` with the coding path and the byte offset.
public enum PayloadDecoder {
    /// Containers nest at most this deep (a corrupt file must not exhaust the stack).
    static let maxDepth = 512

    /// Decodes `type` from the JSON document in `bytes` (nothing but whitespace may follow it).
    /// The decoders handed to `init(from:)` read `bytes` in place: they must not outlive it.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let input = JSONBytes(bytes)
        let start = input.skipSpace(0)
        guard start < input.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no JSON value: the input is empty (byte \(start))"))
        }
        let root = ValueDecoder(input, at: start, parent: nil, key: nil, depth: 0)
        let value: T = try root.decode(T.self)
        // An object read through a container was checked to its end already.
        var end = root.checkedEnd ?? start
        if root.checkedEnd == nil { end = try root.syntax { () throws(PayloadSyntaxError) in try input.skipValue(start) } }
        end = input.skipSpace(end)
        guard end == input.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription:
                "unexpected \(input.describe(end)) at byte \(end) after the JSON value"))
        }
        return value
    }

    /// Decodes `type` from a JSON document held in an array.
    ///
    /// The `Decoder` an `init(from:)` receives reads the array in place during this call only:
    /// a type must not keep it (no Codable type does). With duplicate member names, which one
    /// is read is unspecified (`JSONEncoder` never writes them).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }
}

/// A `Decoder` for the value at one offset; it is also that value's single-value container.
final class ValueDecoder: Decoder, SingleValueDecodingContainer {
    let input: JSONBytes
    let start: Int
    let parent: ValueDecoder?
    let key: (any CodingKey)?
    let depth: Int

    init(_ input: JSONBytes, at start: Int, parent: ValueDecoder?, key: (any CodingKey)?, depth: Int) {
        self.input = input
        self.start = start
        self.parent = parent
        self.key = key
        self.depth = depth
    }

    /// Built only when asked for (errors, custom `init(from:)`), by walking up the parents.
    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: ValueDecoder? = self
        while let n = node {
            if let k = n.key { path.append(k) }
            node = n.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Where the value ends, once a container has checked all of it.
    private(set) var checkedEnd: Int?

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard input[start] == UInt8(ascii: "{") else { throw mismatch([String: Int].self, at: start, key: nil) }
        let members = try syntax { () throws(PayloadSyntaxError) in try ObjectMembers(input, start) }
        checkedEnd = members.end
        return KeyedDecodingContainer(ObjectReader<Key>(decoder: self, members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard input[start] == UInt8(ascii: "[") else { throw mismatch([Int].self, at: start, key: nil) }
        return try ArrayReader(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: single value container

    func decodeNil() -> Bool { input.isNull(start) }
    func decode(_ type: Bool.Type) throws -> Bool { try bool(at: start, key: nil).0 }
    func decode(_ type: String.Type) throws -> String { try string(at: start, key: nil).0 }
    func decode(_ type: Double.Type) throws -> Double { try float(Double.self, at: start, key: nil).0 }
    func decode(_ type: Float.Type) throws -> Float { try float(Float.self, at: start, key: nil).0 }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self, at: start, key: nil).0 }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self, at: start, key: nil).0 }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self, at: start, key: nil).0 }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self, at: start, key: nil).0 }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self, at: start, key: nil).0 }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self, at: start, key: nil).0 }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self, at: start, key: nil).0 }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self, at: start, key: nil).0 }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self, at: start, key: nil).0 }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self, at: start, key: nil).0 }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let special = try specialValue(T.self, at: start, key: nil) { return special }
        // The same value again (a wrapper decoding what it wraps, or the top level): no new path element.
        return try T(from: self)
    }

    // MARK: values, for this decoder's containers

    /// Decodes a `T` at offset `i`, the value of `key` in a container of this decoder.
    func decodeValue<T: Decodable>(_ type: T.Type, at i: Int, key: (any CodingKey)?) throws -> T {
        try decodeValueAndEnd(type, at: i, key: key).0
    }

    /// Decodes a `T` at offset `i`, with where the value ends when decoding it already checked
    /// that (an object read through a container), so an array need not scan it again.
    func decodeValueAndEnd<T: Decodable>(_ type: T.Type, at i: Int, key: (any CodingKey)?) throws -> (T, Int?) {
        if let special = try specialValue(T.self, at: i, key: key) { return (special, nil) }
        let decoder = try child(at: i, key: key)
        return (try T(from: decoder), decoder.checkedEnd)
    }

    /// The types `JSONEncoder` writes in a form of its own rather than through their `Codable`.
    private func specialValue<T: Decodable>(_ type: T.Type, at i: Int, key: (any CodingKey)?) throws -> T? {
        if T.self == Data.self {
            let (text, _) = try string(at: i, key: key)
            guard let data = Data(base64Encoded: text) else { throw corrupted(at: i, key: key, "invalid base64 data") }
            return data as! T
        }
        if T.self == URL.self {
            let (text, _) = try string(at: i, key: key)
            guard let url = URL(string: text) else { throw corrupted(at: i, key: key, "invalid URL '\(text)'") }
            return url as! T
        }
        if T.self == Decimal.self {
            guard input.isNumberStart(i) else { throw mismatch(Decimal.self, at: i, key: key) }
            guard let d = Decimal(string: try numberText(at: i, key: key)) else { throw corrupted(at: i, key: key, "invalid number") }
            return d as! T
        }
        return nil
    }

    /// A decoder for the value of `key` at `i` (nested containers, super decoders).
    func child(at i: Int, key: (any CodingKey)?) throws -> ValueDecoder {
        guard depth < PayloadDecoder.maxDepth else { throw corrupted(at: i, key: key, "nested deeper than \(PayloadDecoder.maxDepth) levels") }
        return ValueDecoder(input, at: i, parent: self, key: key, depth: depth + 1)
    }

    func string(at i: Int, key: (any CodingKey)?) throws -> (String, Int) {
        guard input[i] == UInt8(ascii: "\"") else { throw mismatch(String.self, at: i, key: key) }
        return try syntax { () throws(PayloadSyntaxError) in try input.string(i) }
    }

    func bool(at i: Int, key: (any CodingKey)?) throws -> (Bool, Int) {
        switch input[i] {
        case UInt8(ascii: "t"): return (true, try syntax { () throws(PayloadSyntaxError) in try input.skipValue(i) })
        case UInt8(ascii: "f"): return (false, try syntax { () throws(PayloadSyntaxError) in try input.skipValue(i) })
        default: throw mismatch(Bool.self, at: i, key: key)
        }
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type, at i: Int, key: (any CodingKey)?) throws -> (T, Int) {
        guard input.isNumberStart(i) else { throw mismatch(T.self, at: i, key: key) }
        let end = try syntax { () throws(PayloadSyntaxError) in try input.numberEnd(i) }
        var j = i
        let negative = input[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        var value: T = 0
        while j < end, case let b = input[j], b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
            let d = T(truncatingIfNeeded: b &- UInt8(ascii: "0"))
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (r, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            guard !o1, !o2 else { throw corrupted(at: i, key: key, "number \(try numberText(at: i, key: key)) does not fit in \(T.self)") }
            value = r
            j += 1
        }
        guard j < end else { return (value, end) }
        // 3.0 or 1e3 written for an integer: accepted when exact, as Foundation does.
        let (d, _) = try float(Double.self, at: i, key: key)
        guard let exact = T(exactly: d) else { throw corrupted(at: i, key: key, "number \(try numberText(at: i, key: key)) does not fit in \(T.self)") }
        return (exact, end)
    }

    func float<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type, at i: Int, key: (any CodingKey)?) throws -> (T, Int) {
        guard input.isNumberStart(i) else { throw mismatch(T.self, at: i, key: key) }
        let text = try numberText(at: i, key: key)
        guard let value = T(text) else { throw corrupted(at: i, key: key, "invalid number \(text)") }
        guard value.isFinite else { throw corrupted(at: i, key: key, "number \(text) does not fit in \(T.self)") }
        return (value, i + text.utf8.count)
    }

    func numberText(at i: Int, key: (any CodingKey)?) throws -> String {
        let end = try syntax { () throws(PayloadSyntaxError) in try input.numberEnd(i) }
        return String(decoding: UnsafeBufferPointer(start: input.base.unsafelyUnwrapped + i, count: end - i), as: UTF8.self)
    }

    // MARK: errors

    /// Runs a scanning step, turning its syntax error into a `DecodingError` at this decoder's path.
    func syntax<R>(_ body: () throws(PayloadSyntaxError) -> R) throws -> R {
        do {
            return try body()
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "\(error.message) (byte \(error.offset))"))
        }
    }

    func path(_ key: (any CodingKey)?) -> [any CodingKey] { key.map { codingPath + [$0] } ?? codingPath }

    func mismatch(_ type: Any.Type, at i: Int, key: (any CodingKey)?) -> DecodingError {
        let context = DecodingError.Context(codingPath: path(key), debugDescription:
            "expected \(type) but found \(input.describe(i)) at byte \(i)")
        return input.isNull(i) ? .valueNotFound(type, context) : .typeMismatch(type, context)
    }

    func corrupted(at i: Int, key: (any CodingKey)?, _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: path(key), debugDescription: "\(message) at byte \(i)"))
    }
}
