import Foundation
import PluginAPI
import PluginSupport

/// The `needs=` grammar of `visits.record` (plugins/visits/README.md):
///
///     needs      = need *( ";" need )              ("；" too)
///     need       = category [ ":" text ]           ("：" too)
///     text       = item [ times quantity [ unit ] ]
///     times      = "x" / "X" / "×" / "*" / "＊"
///     quantity   = 1*digit                         (full-width digits too), 1 to 10000
///     unit       = 1 to 4 characters, no digits    (盒, kg, 袋, 瓶)
///
/// `medicine:降压药x2盒` is two 盒 of 降压药; `food:大米` is 大米 in a quantity the stock
/// decides; `heating` names no item. The text is kept as written.
enum NeedGrammar {
    static let categories = NeedCategory.allCases.map(\.rawValue).joined(separator: ", ")

    static func parse(_ text: String?) throws(ControlError) -> [NeedInput] {
        guard let text, !text.isEmpty else { return [] }
        var out: [NeedInput] = []
        for part in text.split(whereSeparator: { $0 == ";" || $0 == "；" }) {
            let pieces = part.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "：" })
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard let category = NeedCategory(rawValue: pieces[0]) else {
                throw .invalidArgument("argument 'needs': unknown category '\(ValueParser.shown(pieces[0]))' in '\(ValueParser.shown(String(part)))'; "
                    + "expected \(categories), as CATEGORY[:ITEM[xQUANTITY[UNIT]]] such as medicine:降压药x2盒")
            }
            var need = NeedInput(category: category, text: nil)
            if pieces.count > 1, !pieces[1].isEmpty {
                need.text = pieces[1]
                let (item, quantity, unit) = try amount(pieces[1], in: String(part))
                (need.item, need.quantity, need.unit) = (item, quantity, unit)
            }
            out.append(need)
        }
        return out
    }

    /// `降压药x2盒` → (降压药, 2, 盒); `降压药` → (降压药, nil, nil).
    static func amount(_ text: String, in part: String) throws(ControlError) -> (String, Int?, String?) {
        let chars = Array(text)
        for m in chars.indices.reversed() where "xX×*＊".contains(chars[m]) {
            var i = m + 1
            while i < chars.count, chars[i] == " " { i += 1 }
            var quantity = 0, digits = 0
            while i < chars.count, let d = digit(chars[i]) {
                quantity = min(quantity * 10 + d, 1_000_000)
                digits += 1
                i += 1
            }
            guard digits > 0 else { continue }
            let unit = String(chars[i...]).trimmingCharacters(in: .whitespaces)
            guard unit.count <= 4, !unit.contains(where: { digit($0) != nil }) else {
                throw .invalidArgument("argument 'needs': the unit '\(ValueParser.shown(unit))' in '\(ValueParser.shown(part))' is not "
                    + "1 to 4 characters without digits; write CATEGORY:ITEMxQUANTITY[UNIT] such as medicine:降压药x2盒")
            }
            let item = String(chars[..<m]).trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else {
                throw .invalidArgument("argument 'needs': '\(ValueParser.shown(part))' gives a quantity but no item; write CATEGORY:ITEMxQUANTITY such as medicine:降压药x2盒")
            }
            guard (1...10_000).contains(quantity) else {
                throw .invalidArgument("argument 'needs': quantity \(quantity) in '\(ValueParser.shown(part))' is not 1 to 10000")
            }
            return (item, quantity, unit.isEmpty ? nil : unit)
        }
        return (text, nil, nil)
    }

    /// An ASCII or full-width digit's value.
    private static func digit(_ c: Character) -> Int? {
        guard c.unicodeScalars.count == 1, let v = c.unicodeScalars.first?.value else { return nil }
        if (0x30...0x39).contains(v) { return Int(v - 0x30) }
        if (0xFF10...0xFF19).contains(v) { return Int(v - 0xFF10) }
        return nil
    }
}
