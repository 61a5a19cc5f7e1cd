import DoorstepProtocol
import Testing

@Suite("Reply encoding")
struct ReplyEncoderTests {
    @Test func textReplyHasDataLinesThenFinalLine() {
        let text = ReplyEncoder.encode(.success(Reply(data: ["a": 1, "bb": "x"])), tag: nil, format: .text)
        #expect(text == "200-a:  1\n200-bb: x\n200 ok\n")
    }

    /// Rows with other, fewer or repeated keys: columns in first-seen order, "-" for a missing
    /// cell, the first of repeated keys, CJK padded by display width, control characters escaped.
    @Test func tablesFromUnevenRows() {
        let data: JSON = .array([
            .object([("name", "王秀英"), ("age", 84)]),
            .object([("age", 9), ("name", "Li\nMing"), ("note", "独居")]),
            .object([("name", "甲"), ("name", "乙"), ("age", .null)]),
        ])
        let text = ReplyEncoder.encode(.success(Reply(data: ["people": data])), tag: "t", format: .text)
        #expect(text == """
            @t 200-people:
            @t 200-  name      age  note
            @t 200-  王秀英    84   -
            @t 200-  Li\\nMing  9    独居
            @t 200-  甲        -    -
            @t 200 ok

            """)
    }

    @Test func taggedReplyPrefixesEveryLine() {
        let text = ReplyEncoder.encode(.success(Reply(data: ["k": "v"], message: "done")), tag: "t9", format: .text)
        #expect(text == "@t9 200-k: v\n@t9 200 done\n")
    }

    @Test func errorFinalLineCarriesName() {
        let text = ReplyEncoder.encode(.failure(.notFound("household 3-2-501 does not exist")), tag: nil, format: .text)
        #expect(text == "404 not_found: household 3-2-501 does not exist\n")
    }

    @Test func newlinesInsideValuesNeverSplitAReply() {
        let text = ReplyEncoder.encode(.success(Reply(data: .null, lines: ["a\nb"], message: "x\ny")), tag: nil, format: .text)
        #expect(text == "200-a\\nb\n200 x\\ny\n")
        let json = ReplyEncoder.encode(.success(Reply(data: "a\nb\u{2028}")), tag: nil, format: .json)
        #expect(json.split(separator: "\n").count == 1)
        #expect(json.contains(#""a\nb\u2028""#))
    }

    @Test func jsonShapes() {
        #expect(ReplyEncoder.encode(.success(Reply(data: ["x": [1, true, nil]])), tag: "a", format: .json)
            == #"{"tag":"a","ok":true,"code":200,"data":{"x":[1,true,null]}}"# + "\n")
        #expect(ReplyEncoder.encode(.failure(.forbidden("no")), tag: nil, format: .json)
            == #"{"tag":null,"ok":false,"code":403,"error":"forbidden","message":"no"}"# + "\n")
    }

    @Test func jsonEscapesControlCharactersAndKeepsChinese() {
        let s = JSON.string("王\"\\\u{1}\t").serialized
        #expect(s == #""王\"\\\u0001\t""#)
    }

    @Test func eventLines() {
        #expect(ReplyEncoder.event(name: "probe.x", seq: 7, time: "2022-01-12T04:00:00Z", data: ["t": "嗨"], format: .text)
            == "600 probe.x 7 {\"t\":\"嗨\"}\n")
        #expect(ReplyEncoder.event(name: "probe.x", seq: 7, time: "T", data: nil, format: .json)
            == #"{"event":"probe.x","seq":7,"time":"T","data":null}"# + "\n")
    }

    @Test func tablesAlignChineseByDisplayWidth() {
        let lines = TextRenderer.lines(for: [["name": "王芳", "n": 1], ["name": "Li", "n": 22]])
        #expect(lines == ["name  n", "王芳  1", "Li    22"])
        for line in lines {
            let firstColumn = String(line.prefix { $0 != " " })
            #expect(DisplayWidth.of(firstColumn) <= 4)
        }
    }

    @Test func displayWidth() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("王芳") == 4)
        #expect(DisplayWidth.of("ｱ") == 1)
        #expect(DisplayWidth.of("Ａ") == 2)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("😀") == 2)
        #expect(DisplayWidth.pad("王", to: 4) == "王  ")
    }
}
