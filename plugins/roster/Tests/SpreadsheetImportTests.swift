import Foundation
import Glibc
import PluginAPI
import PluginTesting
@testable import RosterPlugin
import Testing

/// Text as a spreadsheet saves it: GB18030 (Chinese Excel's and WPS's "CSV"), UTF-16 with a BOM
/// (Excel's "Unicode text").
enum Saved {
    static func gb18030(_ text: String) -> [UInt8] { SavedText.gb18030(text) }
    static func utf16(_ text: String, bigEndian: Bool = false) -> [UInt8] { SavedText.utf16(text, bigEndian: bigEndian) }
}

/// WPS headers, full-width digits, a 户号 column, ID numbers, birth months, merged cells.
enum WPSSheet {
    static let csv = """
        户号,姓名,联系电话,出生年月,性别,身份证号,备注,,
        ３-２-５０１,王芳,１３８１２３４５６７８,1948年3月,女,61010319480312002X,独居,,
        3栋2单元501,李建华,13900001111,1975-06,男,610103197506120011,,,
        3号楼2单元502室,,,,,,,,
        12-1-101,赵敏,,2019/5/1,女,,,,

        """
}

@Suite struct SpreadsheetImportTests {
    // MARK: encodings

    /// Suffixes (栋, 号楼, 单元, 室) are stripped until none is left: an export of what was
    /// imported imports the same (`3栋栋` used to lose one 栋 per import: fuzzing finding).
    @Test func strippingSuffixesIsTheSameOnTheSecondImport() throws {
        let parsed = try RosterImport.parse("building,unit,room,name\n3栋栋,2 单元,501室室,王芳\n")
        let first = parsed.residents.map(\.resident)
        #expect(first.map(\.household) == ["3-2-501"])
        let again = try RosterImport.parse(RosterImport.file(RosterImport.export(first)))
        #expect(again.residents.map(\.resident) == first)
    }

    @Test func aGB18030CSVIsConvertedAndTheReplySaysSo() async throws {
        let harness = try await PluginHarness([RosterPlugin.self])
        defer { harness.remove() }
        let bytes = Saved.gb18030(Community.csv.replacingOccurrences(of: "\u{FEFF}", with: ""))
        #expect(String(validating: bytes, as: UTF8.self) == nil, "the test body is not UTF-8")
        let reply = try await harness.ok("roster.import format=csv", bytes: bytes, as: .operator)
        #expect(reply.message == "imported 7 residents (converted from GB18030)")
        #expect(reply["converted_from"] == "GB18030")
        #expect(reply.lines?.first == "converted from: GB18030")
        let wang = try await harness.ok("roster.household 3-2-501", as: .operator)["residents"]?.array
        #expect(wang?.compactMap { $0["name"]?.string }.sorted() == ["李建华", "王芳"])
        #expect(wang?.first { $0["name"] == "王芳" }?["note"] == "独居 每周送药")
        await harness.stop()
    }

    @Test func utf16WithABOMIsConvertedCommaOrTabSeparated() async throws {
        let harness = try await PluginHarness([RosterPlugin.self])
        defer { harness.remove() }
        // Excel's "Unicode text": UTF-16LE, tabs, CRLF; a client adds a last LF byte.
        let tabbed = "楼栋\t单元\t房号\t姓名\r\n3\t2\t501\t王芳\r\n3\t2\t502\t𠀀明\r\n"
        let le = try await harness.ok("roster.import format=csv", bytes: Saved.utf16(tabbed) + [0x0A], as: .operator)
        #expect(le.message == "imported 2 residents (converted from UTF-16LE)")
        #expect(try await harness.ok("roster.household 3-2-502", as: .operator)["residents"]?.array.first?["name"] == "𠀀明",
                "a character outside the BMP survives")
        let be = try await harness.ok("roster.import format=csv", bytes: Saved.utf16("楼栋,单元,房号,姓名\n5,1,101,赵敏\n", bigEndian: true),
                                      as: .operator)
        #expect(be.message == "imported 1 residents (converted from UTF-16BE)")
        let broken = try await harness.error("roster.import format=csv", bytes: [0xFF, 0xFE, 0x3D, 0xD8, 0x41, 0x00], as: .operator)
        #expect(broken.code == 415 && broken.message.contains("broken character on line 1"), "\(broken.message)")
        await harness.stop()
    }

    @Test func workbooksAndUnreadableBytesAreRefusedWithTheRemedy() async throws {
        let harness = try await PluginHarness([RosterPlugin.self])
        defer { harness.remove() }
        let xlsx = try await harness.error("roster.import format=csv", bytes: [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0xFF], as: .operator)
        #expect(xlsx.code == 415)
        #expect(xlsx.message.contains("Excel workbook (.xlsx)") && xlsx.message.contains("CSV UTF-8 (逗号分隔)"), "\(xlsx.message)")
        // A zip whose first bytes happen to be valid UTF-8 is still a workbook, not CSV text.
        let asciiZip = try await harness.error("roster.import format=csv", bytes: Array("PK\u{3}\u{4}junk,1\n".utf8), as: .operator)
        #expect(asciiZip.code == 415 && asciiZip.message.contains("Excel workbook (.xlsx)"), "\(asciiZip.message)")
        let xls = try await harness.error("roster.import format=csv", bytes: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0x00, 0xFF],
                                          as: .operator)
        #expect(xls.code == 415 && xls.message.contains("(.xls/.et)") && xls.message.contains("另存为"), "\(xls.message)")
        // 0x80 is no GB18030 lead byte and no UTF-8 byte: line 2, byte 31.
        let garbage = try await harness.error("roster.import format=csv", bytes: Array("楼栋,单元,房号,姓名\n1,".utf8) + [0x80, 0x0A], as: .operator)
        #expect(garbage.code == 415)
        #expect(garbage.message.contains("neither UTF-8 nor GB18030 (GBK) (line 2, byte 31 of the body)"), "\(garbage.message)")
        #expect(garbage.message.contains("CSV UTF-8 (逗号分隔)"))
        let bare16 = try await harness.error("roster.import format=csv",
                                             bytes: Array(Saved.utf16("building,unit,room,name\n1,1,101,x\n").dropFirst(2)), as: .operator)
        #expect(bare16.code == 415 && bare16.message.contains("UTF-16 text without a byte-order mark"), "\(bare16.message)")
        #expect(try await harness.recorded(plugin: "roster").isEmpty)
        await harness.stop()
    }

    // MARK: WPS and Excel header words, full-width digits, ID numbers

    @Test func wpsHeaderWordsFullWidthDigitsAndMaskedIDNumbers() async throws {
        let harness = try await PluginHarness([RosterPlugin.self])
        defer { harness.remove() }
        let reply = try await harness.ok("roster.import format=csv", bytes: Saved.gb18030(WPSSheet.csv), as: .operator)
        #expect(reply["added"]?.int == 3)
        #expect(reply["rows"]?.int == 4, "the vacant flat counts as a row")
        #expect(reply["vacant"]?.int == 1)
        let households = try await harness.ok("roster.households").data.array.compactMap { $0["household"]?.string }
        #expect(households == ["3-2-501", "3-2-502", "12-1-101"], "３-２-５０１ and 3栋2单元501 are one household: \(households)")
        let flat = try await harness.ok("roster.household 3-2-501", as: .operator)["residents"]?.array ?? []
        let wang = try #require(flat.first { $0["name"] == "王芳" })
        #expect(wang["phone"] == "13812345678", "full-width digits are stored as ASCII")
        #expect(wang["birth_year"]?.int == 1948)
        #expect(wang["id_number"] == "**************002X", "only the last 4 characters are stored")
        let records = try await harness.recorded(plugin: "roster")
        let stored = try records[0].decode(ResidentsPut.self).residents
        #expect(!stored.contains { $0.idNumber?.contains("6101") == true }, "the journal holds no whole ID number")
        // Viewers see names masked too: the same place in the list is 王芳.
        let viewer = try await harness.ok("roster.household 3-2-501", as: .viewer)["residents"]?.array ?? []
        let at = try #require(flat.firstIndex { $0["name"] == "王芳" })
        #expect(viewer[at]["name"] == "***" && viewer[at]["id_number"] == "**************002X")
        #expect(viewer[at]["phone"] == "138****5678")
        // Re-importing the same file (the same numbers, masked again) changes nothing.
        #expect(try await harness.ok("roster.import format=csv", bytes: Saved.gb18030(WPSSheet.csv), as: .operator)["unchanged"]?.int == 3)
        // A household typed full-width on a command line is the same household.
        #expect(try await harness.ok("roster.household ３-２-５０１", as: .operator)["household"] == "3-2-501")
        await harness.stop()
    }

    @Test func keepIDNumbersKeepsThemForOperatorsAndMasksThemForViewers() async throws {
        let harness = try await PluginHarness([RosterPlugin.self], config: "[plugins.roster]\nkeep_id_numbers = true\n")
        defer { harness.remove() }
        try await harness.ok("roster.import format=csv", body: WPSSheet.csv, as: .operator)
        let full = try await harness.ok("roster.household 3-2-501", as: .operator)["residents"]?.array ?? []
        #expect(full.first { $0["name"] == "王芳" }?["id_number"] == "61010319480312002X")
        let viewer = try await harness.ok("roster.household 3-2-501", as: .viewer)["residents"]?.array ?? []
        let at = try #require(full.firstIndex { $0["name"] == "王芳" })
        #expect(viewer[at]["id_number"] == "**************002X")
        try await harness.ok("roster.resident.update 3-2-501 李建华 id_number=１１０１０５１９７５０６１２００１Ｘ", as: .operator)
        #expect(try await harness.ok("roster.household 3-2-501", as: .operator)["residents"]?.array
            .first { $0["name"] == "李建华" }?["id_number"] == "11010519750612001X")
        let bad = try await harness.error("roster.resident.update 3-2-501 李建华 id_number=1234", as: .operator)
        #expect(bad.message.contains("'id_number'"), "\(bad.message)")
        await harness.stop()
    }

    @Test func aConfigKeyTheRosterDoesNotKnowOrOfTheWrongTypeIsRefused() async throws {
        await #expect(throws: (any Error).self) {
            let harness = try await PluginHarness([RosterPlugin.self], config: "[plugins.roster]\nkeep_id_number = true\n")
            harness.remove()
        }
        await #expect(throws: (any Error).self) {
            let harness = try await PluginHarness([RosterPlugin.self], config: "[plugins.roster]\nkeep_id_numbers = \"yes\"\n")
            harness.remove()
        }
    }

    @Test func birthMonthsAndDatesAreReadAsTheirYear() {
        for (text, year) in [("1985", 1985), ("1985-03", 1985), ("1985年3月", 1985), ("1985/3/1", 1985), ("１９８５年３月", 1985),
                             ("198503", 1985), ("19850301", 1985), ("1985.3", 1985), ("3/1/1985", 1985), ("1985年3月1日", 1985), ("", nil)] as [(String, Int?)] {
            guard case .success(let y) = Fields.birth(text) else { Issue.record("\(text) refused"); continue }
            #expect(y == year, "\(text)")
        }
        for text in ["1985-13", "85年3月", "一九八五", "1850", "abc", "1985-03-01-02"] {
            guard case .failure = Fields.birth(text) else { Issue.record("\(text) accepted"); continue }
        }
    }

    @Test func householdCellsInTheWaysSpreadsheetsWriteThem() throws {
        for text in ["3-2-501", "３-２-５０１", "3－2－501", "3栋2单元501", "3号楼2单元501室", "3幢2单元501号", " 3-2-501 "] {
            guard case .success(let id) = HouseholdID.parse(spreadsheet: text) else { Issue.record("\(text) refused"); continue }
            #expect(id.description == "3-2-501", "\(text)")
        }
        for text in ["3-2", "3栋501", "3 2 501", "楼2单元501"] {
            guard case .failure = HouseholdID.parse(spreadsheet: text) else { Issue.record("\(text) accepted"); continue }
        }
    }

    @Test func everyUnknownColumnIsNamedAtOnceAndEmptyTrailingColumnsAreIgnored() throws {
        let unknown = #expect(throws: ControlError.self) { try RosterImport.parse("楼栋,单元,房间,姓名,年龄,,\n1,1,101,x,3,,\n") }
        #expect(unknown?.message.contains("column 3: unknown column '房间'; column 5: unknown column '年龄'; the columns are") == true,
                "\(String(describing: unknown))")
        #expect(unknown?.message.contains("column 6") == false, "empty trailing header cells are not columns")
        let parsed = try RosterImport.parse("楼号,单元号,房号,姓名,手机号,,\n1,1,101,x,13800001111,,\n1,1,102,y,,\n")
        #expect(parsed.problems.isEmpty, "\(parsed.problems.map(\.text))")
        #expect(parsed.residents.map(\.resident.phone) == ["13800001111", nil])
        let middle = #expect(throws: ControlError.self) { try RosterImport.parse("楼栋,,房号,姓名\n1,1,101,x\n") }
        #expect(middle?.message.contains("column 2 has no header") == true)
    }

    // MARK: merged cells

    @Test func mergedBuildingCellsNeedFillDownAndTheErrorSaysSo() async throws {
        let harness = try await PluginHarness([RosterPlugin.self])
        defer { harness.remove() }
        let merged = """
            楼栋,单元,房号,姓名
            3,1,101,王芳
            ,,102,李建华
            ,2,101,张伟
            4,,101,赵敏

            """
        let refused = try await harness.error("roster.import format=csv", body: merged, as: .operator)
        #expect(refused.message.contains("line 3, column 1 (building): building is empty; if the cell was merged with the one above ('3'), "
            + "import with fill_down=yes"), "\(refused.message)")
        #expect(refused.message.contains("line 5, column 2 (unit): unit '' is empty") || refused.message.contains("line 5, column 2"),
                "a new building's empty unit is not filled from another building: \(refused.message)")
        let filled = try await harness.ok("roster.import format=csv fill_down=yes mode=partial", body: merged, as: .operator)
        #expect(filled["added"]?.int == 3)
        #expect(filled["filled_down"]?.int == 3)
        #expect(filled["rejected"]?.int == 1, "4,,101: nothing above in building 4")
        let ids = try await harness.ok("roster.households").data.array.compactMap { $0["household"]?.string }
        #expect(ids == ["3-1-101", "3-1-102", "3-2-101"])
        await harness.stop()
    }

    // MARK: export

    @Test func theExportIsWhatExcelOpensAndRoundTripsWithIDNumbersAndVacantFlats() async throws {
        let first = try await PluginHarness([RosterPlugin.self])
        defer { first.remove() }
        try await first.ok("roster.import format=csv", bytes: Saved.gb18030(WPSSheet.csv), as: .operator)
        let zh = try #require(try await first.ok("roster.export format=csv", as: .operator)["csv"]?.string)
        #expect(zh.hasPrefix("\u{FEFF}楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注,身份证号\r\n"))
        #expect(zh.contains("\r\n3,2,502,,,,,,,\r\n"), "a vacant flat: 3 cells and 7 empty ones")
        #expect(zh.contains("3,2,501,王芳,13812345678,1948,女,,独居,**************002X\r\n"))
        #expect(!zh.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF everywhere")
        let reply = try await first.ok("roster.export format=csv headers=en", as: .operator)
        let en = try #require(reply["csv"]?.string)
        #expect(en.hasPrefix("\u{FEFF}building,unit,room,name,phone,birth_year,sex,tags,note,id_number\r\n"))
        #expect(reply.lines?.first == "\u{FEFF}building,unit,room,name,phone,birth_year,sex,tags,note,id_number")
        await first.stop()

        for file in [zh, en] {
            let second = try await PluginHarness([RosterPlugin.self])
            defer { second.remove() }
            let again = try await second.ok("roster.import format=csv", bytes: Array(file.utf8), as: .operator)
            #expect(again["rows"]?.int == 4 && again["vacant"]?.int == 1 && again["added"]?.int == 3)
            #expect(try await second.ok("roster.export format=csv", as: .operator)["csv"]?.string == zh)
            await second.stop()
        }
    }

    // MARK: leaders

    @Test func takingAnotherLeadersBuildingNeedsReplaceAndIsSaid() async throws {
        let harness = try await PluginHarness([RosterPlugin.self])
        defer { harness.remove() }
        try await harness.ok("roster.leader.assign 王芳 buildings=3 phone=13700001234", as: .operator)
        let refused = try await harness.error("roster.leader.assign 刘敏 buildings=3,4", as: .operator)
        #expect(refused.name == "conflict")
        #expect(refused.message == "building already led: 3 by 王芳; add replace=yes to take building 3 from 王芳 (王芳 now leads no building)",
                "\(refused.message)")
        let moved = try await harness.ok("roster.leader.assign 刘敏 buildings=3,4 replace=yes", as: .operator)
        #expect(moved.message == "刘敏 leads buildings 3, 4; took building 3 from 王芳 (王芳 now leads no building)")
        #expect(moved["took"]?.array.first?["from"] == "王芳")
        #expect(moved["took"]?.array.first?["from_leads_nothing"]?.bool == true)
        #expect(try await harness.ok("roster.stats")["leaders"]?.int == 1, "王芳 leads nothing and is not counted")
        let leaders = try await harness.ok("roster.leaders", as: .operator)
        #expect(leaders.message == "1 leaders; leading no building: 王芳")
        await harness.stop()
    }
}
