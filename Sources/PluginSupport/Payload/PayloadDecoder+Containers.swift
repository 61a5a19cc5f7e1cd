public import DoorstepValues

/// The members of one JSON object: where each key is and where its value starts, found in one pass.
///
/// Look-ups try the member after the last one found first, so fields read in the order they
/// were written (a dictionary's keys, a struct's fields) cost one comparison each; large objects
/// read out of order get a name index.
final class ObjectMembers {
    struct Member {
        var keyStart: Int
        var keyEnd: Int
        var escaped: Bool
        var value: Int
    }

    let input: JSONBytes
    private(set) var members: [Member] = []
    /// One past the closing brace: the whole object has been checked.
    private(set) var end = 0
    private var next = 0
    private var byName: [String: Int]?

    init(_ input: JSONBytes, _ start: Int) throws(PayloadSyntaxError) {
        self.input = input
        members.reserveCapacity(8)
        var i = input.skipSpace(start + 1)
        if input[i] == UInt8(ascii: "}") {
            end = i + 1
            return
        }
        while true {
            guard input[i] == UInt8(ascii: "\"") else {
                throw PayloadSyntaxError(offset: i, "expected a member name, found \(input.describe(i))")
            }
            let keyStart = i
            let (end, escaped) = try input.stringEnd(i)
            // Names are checked here once, so `allKeys` never has to drop one.
            if escaped || !input.isASCII(i + 1, end) { _ = try input.string(i) }
            i = input.skipSpace(end + 1)
            guard input[i] == UInt8(ascii: ":") else {
                throw PayloadSyntaxError(offset: i, "expected ':' after a member name, found \(input.describe(i))")
            }
            let value = input.skipSpace(i + 1)
            members.append(Member(keyStart: keyStart, keyEnd: end, escaped: escaped, value: value))
            i = input.skipSpace(try input.skipValue(value))
            switch input[i] {
            case UInt8(ascii: ","): i = input.skipSpace(i + 1)
            case UInt8(ascii: "}"):
                self.end = i + 1
                return
            default: throw PayloadSyntaxError(offset: i, "expected ',' or '}' in an object, found \(input.describe(i))")
            }
        }
    }

    func name(_ m: Member) throws(PayloadSyntaxError) -> String { try input.string(m.keyStart).0 }

    /// The offset of the value named `key`, or nil when the object has no such member.
    func find(_ key: String) throws(PayloadSyntaxError) -> Int? {
        if next < members.count, try matches(members[next], key) {
            next += 1
            return members[next - 1].value
        }
        if members.count > 16 {
            if byName == nil {
                var index: [String: Int] = [:]
                index.reserveCapacity(members.count)
                for (k, m) in members.enumerated() where index[try name(m)] == nil { index[try name(m)] = k }
                byName = index
            }
            guard let k = byName![key] else { return nil }
            next = k + 1
            return members[k].value
        }
        for k in members.indices where try matches(members[k], key) {
            next = k + 1
            return members[k].value
        }
        return nil
    }

    private func matches(_ m: Member, _ key: String) throws(PayloadSyntaxError) -> Bool {
        m.escaped ? try name(m) == key : input.equals(m.keyStart + 1, m.keyEnd, key)
    }
}

/// A keyed container over one object.
struct ObjectReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    let members: ObjectMembers

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        members.members.compactMap { m in (try? members.name(m)).flatMap { Key(stringValue: $0) } }
    }

    func contains(_ key: Key) -> Bool { (try? members.find(key.stringValue)) != nil }

    /// The offset of `key`'s value; `keyNotFound` when it is absent.
    private func value(_ key: Key) throws -> Int {
        guard let i = try decoder.syntax({ () throws(PayloadSyntaxError) in try members.find(key.stringValue) }) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription:
                "no value for key '\(key.stringValue)'"))
        }
        return i
    }

    /// The offset of `key`'s value, or nil when it is absent or null.
    private func present(_ key: Key) throws -> Int? {
        guard let i = try decoder.syntax({ () throws(PayloadSyntaxError) in try members.find(key.stringValue) }),
            !decoder.input.isNull(i)
        else { return nil }
        return i
    }

    func decodeNil(forKey key: Key) throws -> Bool { decoder.input.isNull(try value(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder.bool(at: value(key), key: key).0 }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder.string(at: value(key), key: key).0 }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoder.float(type, at: value(key), key: key).0 }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoder.float(type, at: value(key), key: key).0 }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder.integer(type, at: value(key), key: key).0 }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decodeValue(type, at: value(key), key: key)
    }

    // One look-up for optional fields instead of the default's three (contains, decodeNil, decode).
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try present(key).map { try decoder.bool(at: $0, key: key).0 }
    }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try present(key).map { try decoder.string(at: $0, key: key).0 }
    }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try present(key).map { try decoder.float(type, at: $0, key: key).0 }
    }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try present(key).map { try decoder.integer(type, at: $0, key: key).0 }
    }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        try present(key).map { try decoder.integer(type, at: $0, key: key).0 }
    }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try present(key).map { try decoder.integer(type, at: $0, key: key).0 }
    }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try present(key).map { try decoder.integer(type, at: $0, key: key).0 }
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try present(key).map { try decoder.decodeValue(type, at: $0, key: key) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try decoder.child(at: value(key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(at: value(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try superDecoder(named: SuperKey()) }

    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder(named: key) }

    private func superDecoder(named key: some CodingKey) throws -> any Decoder {
        // Foundation hands out a decoder for null when the key is absent.
        guard let i = try decoder.syntax({ () throws(PayloadSyntaxError) in try members.find(key.stringValue) }) else {
            return ValueDecoder(NullValue.input, at: 0, parent: decoder, key: key, depth: decoder.depth + 1)
        }
        return try decoder.child(at: i, key: key)
    }
}

/// A sequential container over one array.
struct ArrayReader: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    /// The offset of the next element, or of the closing bracket.
    private var position: Int
    private(set) var currentIndex = 0
    private(set) var isAtEnd = false

    init(decoder: ValueDecoder) throws {
        self.decoder = decoder
        position = decoder.input.skipSpace(decoder.start + 1)
        isAtEnd = decoder.input[position] == UInt8(ascii: "]")
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { nil }

    private var key: IndexKey { IndexKey(intValue: currentIndex) }

    /// The next element's offset; `valueNotFound` past the end.
    private func element(_ type: Any.Type) throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: decoder.path(key), debugDescription: "the array has no more elements"))
        }
        return position
    }

    /// Moves past the element that ends at `end` (one past its last byte).
    private mutating func advance(to end: Int) throws {
        let input = decoder.input
        let i = input.skipSpace(end)
        switch input[i] {
        case UInt8(ascii: ","):
            position = input.skipSpace(i + 1)
            guard input[position] != UInt8(ascii: "]") else { throw decoder.corrupted(at: position, key: key, "trailing comma in an array") }
        case UInt8(ascii: "]"):
            position = i
            isAtEnd = true
        default: throw decoder.corrupted(at: i, key: key, "expected ',' or ']' in an array, found \(input.describe(i))")
        }
        currentIndex += 1
    }

    private mutating func next<T>(_ parse: (ValueDecoder, Int, IndexKey) throws -> (T, Int)) throws -> T {
        let (value, end) = try parse(decoder, try element(T.self), key)
        try advance(to: end)
        return value
    }

    mutating func decodeNil() throws -> Bool {
        let i = try element(Never.self)
        guard decoder.input.isNull(i) else { return false }
        try advance(to: i + 4)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next { try $0.bool(at: $1, key: $2) } }
    mutating func decode(_ type: String.Type) throws -> String { try next { try $0.string(at: $1, key: $2) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try next { try $0.float(type, at: $1, key: $2) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try next { try $0.float(type, at: $1, key: $2) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next { try $0.integer(type, at: $1, key: $2) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next { decoder, i, key in
            let (value, checked) = try decoder.decodeValueAndEnd(type, at: i, key: key)
            if let checked { return (value, checked) }
            return (value, try decoder.syntax { () throws(PayloadSyntaxError) in try decoder.input.skipValue(i) })
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next { decoder, i, key in
            let container = try decoder.child(at: i, key: key).container(keyedBy: type)
            return (container, try decoder.syntax { () throws(PayloadSyntaxError) in try decoder.input.skipValue(i) })
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next { decoder, i, key in
            let container = try decoder.child(at: i, key: key).unkeyedContainer()
            return (container, try decoder.syntax { () throws(PayloadSyntaxError) in try decoder.input.skipValue(i) })
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        try next { decoder, i, key in
            (try decoder.child(at: i, key: key) as any Decoder, try decoder.syntax { () throws(PayloadSyntaxError) in try decoder.input.skipValue(i) })
        }
    }
}

/// An array position in a coding path.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// The key `super`, as `superDecoder()` uses it.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

/// A document that is just `null`, for a super decoder whose key is absent.
enum NullValue {
    private static let text: StaticString = "null"
    static var input: JSONBytes { JSONBytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
}
