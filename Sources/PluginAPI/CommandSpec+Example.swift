/// One example per command for `help`: written by the command's author (``CommandSpec/example``),
/// or made from its usage with the kind of value a community office types.
extension CommandSpec {
    /// Sample values by argument name: what people type there.
    static let samples: [String: String] = [
        "household": "3-2-501", "households": "3-2-501,3-2-502", "building": "3", "buildings": "3,4", "name": "王芳",
        "campaign": "第三轮排查", "visitor": "李伟", "item": "大米", "items": "大米:1;降压药:2", "phone": "13800001234",
        "id": "1", "ids": "1,2", "by": "李伟", "note": "夜间电话联系", "text": "夜间电话联系", "category": "medicine",
        "donor": "爱心企业", "amount": "500.00", "reason": "录入错误", "command": "visits.record", "pattern": "visits.*",
        "date": "2022-01-12", "title": "居家防疫小技巧", "channel": "weibo", "gate": "东门", "role": "cadre",
        "from": "2022-01-12T08:00", "to": "2022-01-12T20:00", "deadline": "2022-01-15T20:00", "dir": "/var/backups/doorstep",
    ]

    /// The same command with its Chinese summary, for `help` on a `lang=zh-CN` connection.
    public func zh(_ summary: String) -> CommandSpec {
        var copy = self
        copy.summaryZh = summary
        return copy
    }

    /// The same command with a hand-written example for `help`.
    public func example(_ line: String) -> CommandSpec {
        var copy = self
        copy.example = line
        return copy
    }

    /// A request that runs the command: its required arguments filled in.
    public var exampleLine: String {
        if let example { return example }
        var parts = [name]
        for arg in arguments where arg.required {
            let value = Self.samples[arg.name] ?? arg.type.sample
            parts.append(arg.kind == .positional ? value : arg.name + "=" + value)
        }
        if body == .required { parts.append("<<END") }
        return parts.joined(separator: " ")
    }
}

extension ArgumentType {
    /// A value of this type, for a generated example.
    var sample: String {
        switch self {
        case .string: return "…"
        case .int(let min, _): return String(Swift.max(min ?? 1, 1))
        case .bool: return "yes"
        case .choice(let values): return values.first ?? ""
        case .duration: return "30m"
        case .time: return "2022-01-12T04:00"
        case .pastTime: return "now"
        case .pattern: return "visits.*"
        }
    }
}
