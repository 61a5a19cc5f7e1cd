/// RFC 4180 CSV: comma-separated, `"` quotes with `""` inside, quoted fields may hold commas
/// and newlines; `\r\n` or `\n` line ends; a UTF-8 byte-order mark is skipped.
public enum CSV {
    /// One parsed record and the line it starts on (1-based).
    public struct Row: Sendable {
        public var line: Int
        public var fields: [String]
    }

    public struct Failure: Error {
        public var line: Int
        public var message: String
    }

    /// The records of `text`; empty lines are skipped. `separator` is `,` (CSV) or, for
    /// tab-separated text (Excel's "Unicode text"), a tab.
    public static func parse(_ text: String, separator: Unicode.Scalar = ",") throws(Failure) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false
        var line = 1
        var rowStart = 1
        var scalars = text.unicodeScalars[...]
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        var iterator = scalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        func endRow() {
            fields.append(field)
            field = ""
            // Blank lines and rows of empty fields (`,,,` from spreadsheets) are not records.
            if fields.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                rows.append(Row(line: rowStart, fields: fields))
            }
            fields = []
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; afterQuote = true; pending = n }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case separator:
                fields.append(field)
                field = ""
                afterQuote = false
            case "\r":
                continue
            case "\n":
                endRow()
                afterQuote = false
                line += 1
                rowStart = line
            case "\"":
                guard field.isEmpty, !afterQuote else {
                    throw Failure(line: line, message: "a quote inside an unquoted field; quote the whole field and double inner quotes")
                }
                inQuotes = true
            default:
                if afterQuote {
                    throw Failure(line: line, message: "text after a closing quote; quote the whole field")
                }
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw Failure(line: rowStart, message: "a quoted field is not closed before the end of the body") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }

    /// One field written for CSV: quoted when it holds a comma, quote, tab or line break, or
    /// begins or ends with a space. Looked at by scalar, as `parse` reads: a quote followed by
    /// a combining mark is one `Character` but still a quote (fuzzing finding, csv target).
    public static func field(_ value: String) -> String {
        let scalars = value.unicodeScalars
        let special = scalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard special || scalars.first == " " || scalars.last == " " else { return value }
        var out = String.UnicodeScalarView()
        out.append("\"")
        for c in scalars {
            if c == "\"" { out.append("\"") }
            out.append(c)
        }
        out.append("\"")
        return String(out)
    }
}

import Foundation
