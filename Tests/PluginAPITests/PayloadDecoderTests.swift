import Foundation
import PluginAPI
import Testing
import PluginSupport

/// `PayloadDecoder` must read back whatever `JSONEncoder` writes exactly as `JSONDecoder` does,
/// and turn every kind of bad input into a `DecodingError` that says where.
struct PayloadDecoderTests {
    enum Kind: String, Codable, Equatable { case answered, noAnswer = "no_answer", vacant }

    enum Outcome: Codable, Equatable {
        case visited(people: Int, note: String?)
        case skipped(String)
        case unknown
    }

    struct Resident: Codable, Equatable {
        var name: String
        var birthYear: Int?
        var tags: [String]
    }

    struct Sample: Codable, Equatable {
        var household: String
        var residents: [Resident]
        var kind: Kind
        var outcome: Outcome
        var skipped: Outcome
        var none: Outcome
        var count: Int
        var small: Int8
        var big: Int64
        var huge: UInt64
        var by: UInt32?
        var absent: String?
        var ratio: Double
        var tiny: Float
        var done: Bool
        var at: Date
        var blob: Data
        var link: URL
        var byName: [String: Int]
        var byNumber: [Int: String]
        var grid: [[Int]]
        var names: Set<String>
        var nested: [String: [Resident]]
        var money: Decimal
    }

    static let sample = Sample(
        household: "3-2-0501",
        residents: [
            Resident(name: "王秀英", birthYear: 1938, tags: ["elderly_alone", "独居"]),
            Resident(name: "李 \"小\" 明\\n", birthYear: nil, tags: []),
            Resident(name: "Zoë 🏠\u{1}\t\n/", birthYear: -12, tags: ["a/b", "\u{7f}"]),
        ],
        kind: .noAnswer, outcome: .visited(people: 3, note: "门口放了菜"), skipped: .skipped("隔离"), none: .unknown,
        count: Int.max, small: -128, big: Int64.min, huge: UInt64.max, by: 7, absent: nil,
        ratio: 0.1, tiny: 1.5e-3, done: true, at: Date(timeIntervalSince1970: 1_641_790_800.25),
        blob: Data([0, 1, 2, 250, 255]), link: URL(string: "https://example.org/a?b=1&c=中")!,
        byName: ["一号楼": 1, "2号楼": 2, "": 0], byNumber: [1: "one", -5: "minus five"],
        grid: [[], [1], [1, 2, 3]], names: ["甲", "乙"],
        nested: ["3": [Resident(name: "张三", birthYear: 1980, tags: ["disabled"])]],
        money: Decimal(string: "12.75")!)

    @Test(arguments: [false, true])
    func readsWhatJSONEncoderWritesAsJSONDecoderDoes(sorted: Bool) throws {
        let encoder = JSONEncoder()
        if sorted { encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes] }
        let bytes = Array(try encoder.encode(Self.sample))
        let ours = try PayloadDecoder.decode(Sample.self, from: bytes)
        let foundation = try JSONDecoder().decode(Sample.self, from: Data(bytes))
        #expect(ours == foundation)
        #expect(ours == Self.sample)
    }

    @Test func readsEscapesSurrogatesAndWhitespace() throws {
        let text = #" { "name" : "\u738b\u79c0\u82f1 \ud83c\udfe0 \"q\" \\ \/ \b\f\n\r\t" ,"birthYear":null, "tags" : [ "x" , "y" ] } "#
        let r = try PayloadDecoder.decode(Resident.self, from: Array(text.utf8))
        #expect(r.name == "王秀英 🏠 \"q\" \\ / \u{8}\u{c}\n\r\t")
        #expect(r.birthYear == nil)
        #expect(r.tags == ["x", "y"])
    }

    @Test func readsLargeObjectsInAnyOrder() throws {
        struct Wide: Codable, Equatable {
            var z, y, x, w, v, u, t, s, r, q, p, o, n, m, l, k, j, i, h, g: Int
        }
        let wide = Wide(z: 1, y: 2, x: 3, w: 4, v: 5, u: 6, t: 7, s: 8, r: 9, q: 10, p: 11, o: 12, n: 13, m: 14, l: 15,
                        k: 16, j: 17, i: 18, h: 19, g: 20)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try PayloadDecoder.decode(Wide.self, from: Array(try encoder.encode(wide))) == wide)
        let many = Dictionary(uniqueKeysWithValues: (0..<5_000).map { ("户\($0)", $0) })
        #expect(try PayloadDecoder.decode([String: Int].self, from: Array(try encoder.encode(many))) == many)
    }

    @Test func acceptsExactFractionsForIntegers() throws {
        #expect(try PayloadDecoder.decode([Int].self, from: Array("[3.0, 1e3, -0]".utf8)) == [3, 1000, 0])
    }

    // MARK: bad input

    /// The error thrown for `text`, which must be a `DecodingError`.
    func failure<T: Decodable>(_ type: T.Type, _ text: String) -> DecodingError? {
        do {
            _ = try PayloadDecoder.decode(type, from: Array(text.utf8))
            Issue.record("decoded \(text) without an error")
            return nil
        } catch let error as DecodingError {
            return error
        } catch {
            Issue.record("not a DecodingError: \(error)")
            return nil
        }
    }

    func path(_ error: DecodingError?) -> String {
        let context: DecodingError.Context
        switch error {
        case .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): context = c
        default: return "?"
        }
        return context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    func message(_ error: DecodingError?) -> String {
        switch error {
        case .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return c.debugDescription
        default: return ""
        }
    }

    struct Outer: Decodable { var residents: [Resident] }

    @Test func missingKeyNamesTheKey() {
        let error = failure(Resident.self, #"{"birthYear": 1950, "tags": []}"#)
        guard case .keyNotFound(let key, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(key.stringValue == "name")
    }

    @Test func wrongTypeSaysWhereAndWhat() {
        let error = failure(Outer.self, #"{"residents": [{"name": "甲", "tags": []}, {"name": 5, "tags": []}]}"#)
        guard case .typeMismatch = error else { Issue.record("\(String(describing: error))"); return }
        #expect(path(error) == "residents.1.name")
        #expect(message(error).contains("expected String but found a number at byte"))
    }

    @Test func nullForARequiredValueIsValueNotFound() {
        guard case .valueNotFound = failure(Resident.self, #"{"name": null, "tags": []}"#) else {
            Issue.record("expected valueNotFound"); return
        }
    }

    @Test(arguments: [
        (#"{"name": "甲", "tags": ["#, "found the end of the input"),
        (#"{"name": "甲"#, "unterminated string"),
        (#"{"name": "甲", "tags": []} x"#, "after the JSON value"),
        (#"{"name": "甲", "tags": [],}"#, "expected a member name"),
        (#"{"name": "甲", "tags": ["a",]}"#, "trailing comma"),
        (#"{"name": "甲" "tags": []}"#, "expected ',' or '}'"),
        (#"{"name" "甲", "tags": []}"#, "expected ':'"),
        (#"{"name": "\q", "tags": []}"#, "unknown escape"),
        (#"{"name": "\ud800", "tags": []}"#, "surrogate"),
        (#"{"name": "\u12", "tags": []}"#, "\\u escape"),
        ("{\"name\": \"a\u{1}b\", \"tags\": []}", "control character"),
        (#"{"name": "甲", "tags": [], "birthYear": 1e999}"#, "does not fit"),
        (#"{"name": "甲", "tags": [], "birthYear": 1.5}"#, "does not fit in Int"),
        (#"{"name": "甲", "tags": [], "birthYear": 99999999999999999999}"#, "does not fit in Int"),
        (#"{"name": "甲", "tags": [], "birthYear": tru}"#, "expected"),
        (#"{"name": "甲", "tags": [], "birthYear": 01}"#, "expected ',' or '}'"),
        (#"{"name": "甲", "tags": [], "birthYear": 1-2}"#, "expected ',' or '}'"),
        (#"{"name": "甲", "tags": [], "birthYear": 1.}"#, "no digit after '.'"),
        (#"{"name": "甲", "tags": [], "birthYear": -.5}"#, "invalid number"),
        (#"{"name": "甲", "tags": [], "birthYear": -}"#, "invalid number"),
        (#"{"name": "甲", "tags": [], "birthYear": 1e}"#, "exponent"),
        // Members nobody reads are checked too.
        (#"{"name": "甲", "tags": [], "extra": [1,,2]}"#, "expected a value"),
        (#"{"name": "甲", "tags": [], "extra": [1}]}"#, "expected ',' or ']'"),
        (#"{"name": "甲", "tags": [], "extra": {"a" 1}}"#, "expected ':'"),
        (#"{"name": "甲", "tags": [], "extra": {"a": 1,}}"#, "trailing comma before '}'"),
        (#"{"name": "甲", "tags": [], "extra": [[[[]]]}"#, "expected ',' or ']'"),
        (#"{"name": "\u0041\u"}"#, "\\u escape"),
        ("", "the input is empty"),
        ("   ", "the input is empty"),
    ])
    func syntaxErrorsAreDataCorrupted(text: String, expected: String) {
        let error = failure(Resident.self, text)
        #expect(message(error).contains(expected), "\(text): \(message(error))")
        #expect(message(error).contains("byte"), "\(text): \(message(error))")
    }

    @Test func invalidUTF8IsRefused() {
        var bytes = Array(#"{"name": "甲"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#"", "tags": []}"#.utf8)
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode(Resident.self, from: bytes) }
    }

    @Test func smallIntegerOverflowIsRefused() {
        struct Small: Decodable { var v: Int8 }
        #expect(message(failure(Small.self, #"{"v": 300}"#)).contains("does not fit in Int8"))
        struct Unsigned: Decodable { var v: UInt32 }
        #expect(message(failure(Unsigned.self, #"{"v": -1}"#)).contains("does not fit in UInt32"))
    }

    /// A corrupt file of nested brackets must fail, not exhaust the stack.
    @Test func deepNestingIsRefused() {
        indirect enum Tree: Decodable {
            case node([Tree])
            init(from decoder: any Decoder) throws {
                var c = try decoder.unkeyedContainer()
                var children: [Tree] = []
                while !c.isAtEnd { children.append(try c.decode(Tree.self)) }
                self = .node(children)
            }
        }
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(message(failure(Tree.self, text)).contains("nested deeper than"))
    }

    @Test func invalidUTF8InAnEscapedStringOrAKeyIsRefused() {
        // A dictionary key that is not UTF-8 must not be dropped silently.
        var key = Array(#"{"ok": 1, ""#.utf8)
        key += [0xFF]
        key += Array(#"": 2}"#.utf8)
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode([String: Int].self, from: key) }
        var escaped = Array(#"{"name": "\n"#.utf8)
        escaped += [0xC3]
        escaped += Array(#"", "tags": []}"#.utf8)
        #expect(throws: DecodingError.self) { try PayloadDecoder.decode(Resident.self, from: escaped) }
    }

    @Test func specialTypesRefuseWhatTheyCannotBe() {
        struct Blob: Decodable { var data: Data }
        #expect(message(failure(Blob.self, #"{"data": "%%%not base64"}"#)).contains("invalid base64"))
        struct Big: Decodable { var f: Float }
        #expect(message(failure(Big.self, #"{"f": 1e39}"#)).contains("does not fit in Float"))
        struct Money: Decodable { var m: Decimal }
        guard case .typeMismatch = failure(Money.self, #"{"m": "12"}"#) else { Issue.record("expected typeMismatch"); return }
    }

    @Test func superDecodersReadTheNamedMemberOrNull() throws {
        class Base: Decodable {
            var id: Int
            enum K: String, CodingKey { case id }
            required init(from decoder: any Decoder) throws { id = try decoder.container(keyedBy: K.self).decode(Int.self, forKey: .id) }
        }
        final class Derived: Base {
            var name: String
            var absentIsNull: Bool
            enum K: String, CodingKey { case name, base, missing }
            required init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: K.self)
                name = try c.decode(String.self, forKey: .name)
                absentIsNull = try c.superDecoder(forKey: .missing).singleValueContainer().decodeNil()
                try super.init(from: c.superDecoder(forKey: .base))
            }
        }
        let d = try PayloadDecoder.decode(Derived.self, from: Array(#"{"name": "楼长", "base": {"id": 7}}"#.utf8))
        #expect(d.id == 7)
        #expect(d.name == "楼长")
        #expect(d.absentIsNull)
    }
}
