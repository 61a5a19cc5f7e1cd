import PluginSupport
@testable import RosterPlugin

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}

/// A `roster.import format=csv` body through `CSV.parse` and the roster importer. The body
/// reaches them as a String (the frame decoder has checked UTF-8); other bytes (GBK from a
/// spreadsheet) are decoded with replacement characters here, as a client converting would.
///
/// Invariants: no trap; rows are in line order; writing the parsed rows back with
/// `CSV.field` parses to the same fields; the residents the importer accepts, exported with
/// `RosterImport.export` and imported again, come back identical with no problems.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let rows = try? CSV.parse(text) else {
        _ = try? RosterImport.parse(text)
        return 0
    }
    var lastLine = 0
    for row in rows {
        check(row.line > lastLine, "row lines not increasing: \(row.line) after \(lastLine)")
        lastLine = row.line
        check(!row.fields.isEmpty, "row without fields")
    }
    // CSV round trip (a first field starting with U+FEFF would be read as a byte-order mark).
    if rows.first?.fields.first?.unicodeScalars.first != "\u{FEFF}" {
        let written = rows.map { $0.fields.map(CSV.field).joined(separator: ",") }.joined(separator: "\r\n")
        do {
            let back = try CSV.parse(written)
            check(back.map(\.fields) == rows.map(\.fields),
                  "CSV round trip: \(rows.map(\.fields)) written as \(written.debugDescription) reads \(back.map(\.fields))")
        } catch {
            fatalError("fuzz invariant: CSV round trip: \(written.debugDescription) fails: line \(error.line) \(error.message)")
        }
    }
    guard let (residents, problems, vacant) = try? RosterImport.parse(text) else { return 0 }
    for problem in problems { check(problem.line >= 1 && problem.column >= 1, "problem position \(problem.text)") }
    // Export round trip of what was accepted.
    let ids = vacant.compactMap { HouseholdID($0) }
    check(ids.count == vacant.count, "vacant household that is not an id: \(vacant)")
    let exported = RosterImport.export(residents.map(\.resident), vacant: ids)
    do {
        let again = try RosterImport.parse(exported)
        check(again.problems.isEmpty, "export round trip problems: \(again.problems.map(\.text)) in \(exported.debugDescription)")
        check(again.residents.map(\.resident) == residents.map(\.resident),
              "export round trip: \(residents.map(\.resident)) came back \(again.residents.map(\.resident))")
        check(again.vacant == vacant, "export round trip vacant: \(vacant) came back \(again.vacant)")
    } catch {
        fatalError("fuzz invariant: export round trip fails: \(error) for \(exported.debugDescription)")
    }
    return 0
}
