import PluginSupport
@testable import RosterPlugin

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz invariant: \(message())") }
}

/// A `roster.import format=csv` body through the importer's byte decoding (`ImportBody`: BOMs,
/// UTF-16, GB18030 through iconv, workbook refusals), `CSV.parse` and the roster importer.
/// Bytes the decoder refuses are still read as UTF-8 with replacement characters, so the CSV
/// and importer paths see every input.
///
/// Invariants: no trap; rows are in line order; writing the parsed rows back with
/// `CSV.field` parses to the same fields; the residents the importer accepts, exported with
/// `RosterImport.export` and imported again, come back identical with no problems.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = (try? ImportBody.decode(bytes))?.text ?? String(decoding: bytes, as: UTF8.self)
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
    guard let parsed = try? RosterImport.parse(text) else { return 0 }
    let (residents, problems, vacant) = (parsed.residents, parsed.problems, parsed.vacant)
    for problem in problems { check(problem.line >= 1 && problem.column >= 1, "problem position \(problem.text)") }
    // Export round trip of what was accepted.
    let ids = vacant.compactMap { HouseholdID($0) }
    check(ids.count == vacant.count, "vacant household that is not an id: \(vacant)")
    // The file as Excel gets it (BOM, CRLF), in both header languages.
    for headers in [RosterImport.Headers.en, .zh] {
        roundTrip(RosterImport.file(RosterImport.export(residents.map(\.resident), vacant: ids, headers: headers)),
                  residents: residents.map(\.resident), vacant: vacant)
    }
    return 0
}

func roundTrip(_ exported: String, residents: [Resident], vacant: [String]) {
    do {
        let again = try RosterImport.parse(exported)
        check(again.problems.isEmpty, "export round trip problems: \(again.problems.map(\.text)) in \(exported.debugDescription)")
        check(again.residents.map(\.resident) == residents,
              "export round trip: \(residents) came back \(again.residents.map(\.resident))")
        check(again.vacant == vacant, "export round trip vacant: \(vacant) came back \(again.vacant)")
    } catch {
        fatalError("fuzz invariant: export round trip fails: \(error) for \(exported.debugDescription)")
    }
}
