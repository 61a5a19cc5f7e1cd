import PluginAPI
import Testing

/// Typed arguments: what a handler reads from a bound request.
@Suite struct ParameterTests {
    static let household = Arg.positional("household", summary: "household id")
    static let people = Arg.named("people", .int(min: 0, max: 50))
    static let at = Arg.named("at", .time)
    static let words = Arg.words("text", required: false)
    static let outcome = Arg.required("outcome", .choice(Outcome.self))
    static let undeclared = Arg.named("note")

    enum Outcome: String, CaseIterable, Sendable { case answered, noAnswer = "no-answer" }

    func request(_ values: [String: String], rest: [String] = []) -> Request {
        Request(command: "visits.record", values: values, rest: rest,
                caller: Caller(uid: 0, gid: 0, pid: 0, role: .operator),
                declared: [Self.household.spec, Self.people.spec, Self.at.spec, Self.words.spec, Self.outcome.spec])
    }

    @Test func valuesReadAsTheirTypes() throws {
        let r = request(["household": "3-2-501", "people": "3", "at": "2022-01-12T04:00+08:00", "outcome": "no-answer"],
                        rest: ["降压药", "x2"])
        #expect(try r[Self.household] == "3-2-501")
        #expect(try r[Self.people] == 3)
        #expect(try r[Self.at] == 1_641_931_200)
        #expect(try r[Self.outcome] == .noAnswer)
        #expect(try r[Self.words] == ["降压药", "x2"])
        #expect(r.text(Self.at) == "2022-01-12T04:00+08:00")
    }

    @Test func absentOptionalArgumentsReadAsNil() throws {
        let r = request(["household": "1-1-101", "outcome": "answered"])
        #expect(try r[Self.people] == nil)
        #expect(try r[Self.at] == nil)
        #expect(try r[Self.words] == [])
    }

    @Test func anArgumentTheCommandDoesNotDeclareIsAnErrorNotNil() {
        let r = request(["household": "1-1-101", "outcome": "answered"])
        #expect(throws: ControlError.self) { try r[Self.undeclared] }
        let missing = request([:])
        #expect(throws: ControlError.self) { try missing[Self.household] }
    }

    @Test func specsCarryTypesForHelpAndValidation() {
        #expect(Self.people.spec.type == .int(min: 0, max: 50))
        #expect(Self.outcome.spec.type == .choice(["answered", "no-answer"]))
        #expect(Self.outcome.spec.required)
        #expect(!Self.people.spec.required)
        #expect(Self.words.spec.variadic)
        #expect(ArgumentType.int(min: 0, max: 50).problem(with: "51") == "expected an integer ≤ 50, got 51")
    }
}
