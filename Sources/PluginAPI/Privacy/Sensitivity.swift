/// How sensitive a field or an argument is (docs/protocol.md, "Privacy").
///
/// Viewers get ``personal`` and ``health`` values masked by the host; ``financial`` values are
/// shown (the community's ledger is public) but declared, so audit and export tools know them.
public enum Sensitivity: String, Sendable, Hashable, CaseIterable {
    /// Names, phones, contacts, addresses, ID numbers, notes, need texts, donors.
    case personal
    /// Health tags (`needs-medicine`, `elderly-alone`, `pregnant`…), medicine, due dates.
    case health
    /// Amounts of money.
    case financial

    /// Whether a viewer sees this masked.
    public var maskedForViewers: Bool { self != .financial }
}

/// One field of a plugin's reply or event `data` that holds sensitive data, declared once in
/// ``DoorstepPlugin/sensitiveFields``.
///
/// `key` is a JSON key anywhere in the data (`phone`), or `PARENT.KEY` for a key only inside
/// the value of `PARENT` (`residents.name`: a resident's name, not a stock item's `name`;
/// arrays between them do not count).
public struct SensitiveField: Sendable, Hashable {
    /// `KEY` or `PARENT.KEY`.
    public var key: String
    public var sensitivity: Sensitivity
    /// A key beside this one whose value `true` means the person consented to be shown
    /// (`donor` shown with `consent`): then viewers see it unmasked.
    public var shownWith: String?
    /// Shown or masked by the plugin itself, record by record (a consent only it knows): the
    /// host leaves it, and lists it as declared.
    public var maskedByPlugin: Bool

    public init(_ key: String, _ sensitivity: Sensitivity, shownWith: String? = nil, maskedByPlugin: Bool = false) {
        self.key = key
        self.sensitivity = sensitivity
        self.shownWith = shownWith
        self.maskedByPlugin = maskedByPlugin
    }

    /// A personal field (masked for viewers unless `shownWith` is true beside it).
    public static func personal(_ key: String, shownWith: String? = nil) -> SensitiveField {
        SensitiveField(key, .personal, shownWith: shownWith)
    }

    /// A personal field shown to viewers only with the person's consent, which the plugin alone
    /// knows per record (a donor's `consent=yes`): the plugin masks the others itself, so the
    /// host does not mask it.
    public static func consented(_ key: String) -> SensitiveField {
        SensitiveField(key, .personal, maskedByPlugin: true)
    }

    /// A health field (masked for viewers).
    public static func health(_ key: String) -> SensitiveField { SensitiveField(key, .health) }

    /// A financial field (shown; declared for audit and export).
    public static func financial(_ key: String) -> SensitiveField { SensitiveField(key, .financial) }
}

extension Parameter {
    /// The same argument, declared as carrying data of this sensitivity (`commands` lists it;
    /// audit and export redact it).
    public func sensitive(_ sensitivity: Sensitivity) -> Parameter<Value> {
        var spec = self.spec
        spec.sensitivity = sensitivity
        return Parameter(spec: spec, read: read)
    }
}
