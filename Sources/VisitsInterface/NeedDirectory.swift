/// A need found at the door, as `visits` shares it with other plugins (`supplies` turns it
/// into a request): what is needed and how much, not who said what (no free-text note).
public struct NeedSummary: Sendable, Equatable {
    public var id: Int
    public var household: String
    /// `food`, `medicine`, `medical`, `escort`, `heating` or `other`.
    public var category: String
    /// The thing needed as written at the door (`降压药`), if named.
    public var item: String?
    /// How many (`x2`), if said.
    public var quantity: Int?
    /// In what (`盒`), if said.
    public var unit: String?
    /// Whether the need is still open.
    public var open: Bool

    public init(id: Int, household: String, category: String, item: String?, quantity: Int?, unit: String?, open: Bool) {
        self.id = id
        self.household = household
        self.category = category
        self.item = item
        self.quantity = quantity
        self.unit = unit
        self.open = open
    }
}

/// Needs recorded on visits, read-only (offered by the `visits` plugin while it runs). Answered
/// at once from locked state.
public protocol NeedDirectory: Sendable {
    /// Need `id`, or nil if there is none.
    func need(_ id: Int) -> NeedSummary?
}
