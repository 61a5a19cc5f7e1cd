import Foundation
import Glibc
import PluginTesting
import Testing

/// Files as Excel and WPS save them, sent with `doorstepctl --data` to the real daemon.
enum SpreadsheetFile {
    /// `text` in GB18030 (Chinese Excel's and WPS's "CSV"), through glibc's iconv.
    static func gb18030(_ text: String) -> Data { Data(SavedText.gb18030(text)) }

    /// `text` in UTF-16LE with its BOM (Excel's "Unicode text").
    static func utf16LE(_ text: String) -> Data { Data(SavedText.utf16(text)) }

    /// ASCII digits and `-` as full-width characters (`６-１-１０１` typed in a Chinese IME).
    static func fullWidth(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { c in
            if ("0"..."9").contains(c) { return Unicode.Scalar(c.value - 0x30 + 0xFF10)! }
            if c == "-" { return "\u{FF0D}" }
            return c
        }))
    }

    /// The community fixture's register as a WPS sheet: WPS header words, merged building
    /// cells (empty under the first row of a building), full-width units, rooms and phones,
    /// birth months, empty trailing columns, CRLF.
    static func wpsTwin(of clean: String) -> String {
        var out = "楼号,单元号,房号,姓名,联系电话,出生年月,性别,标签,备注,,\r\n"
        var lastBuilding = ""
        for line in clean.split(separator: "\n").dropFirst() {
            // The note (last field) may be quoted and hold a comma.
            let f = line.split(separator: ",", maxSplits: 8, omittingEmptySubsequences: false).map(String.init)
            let building = f[0] == lastBuilding ? "" : f[0]
            lastBuilding = f[0]
            let birth = "\(f[5])年\(Int(f[5])! % 12 + 1)月"
            out += [building, fullWidth(f[1]), fullWidth(f[2]) + "室", f[3], fullWidth(f[4]), birth, f[6], f[7], f[8], "", ""]
                .joined(separator: ",") + "\r\n"
        }
        return out
    }
}

@Suite("Roster spreadsheets", .serialized)
struct RosterSpreadsheetTests {
    func write(_ daemon: DaemonProcess, _ name: String, _ data: Data) -> String {
        FileManager.default.createFile(atPath: daemon.dir.file(name), contents: data)
        return daemon.dir.file(name)
    }

    func json(_ daemon: DaemonProcess, _ args: [String]) throws -> [String: Any] {
        let r = try daemon.ctl(["--json"] + args)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        return try #require(object, "\(args): \(r.out) \(r.err)")
    }

    @Test func gb18030AndUTF16FilesImportAndTheReplySaysTheyWereConverted() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let gbk = write(daemon, "名册.csv", SpreadsheetFile.gb18030("楼栋,单元,房号,姓名,电话\r\n3,2,501,王芳,13812345678\r\n3,2,502,欧阳秀英,\r\n"))
        let r = try daemon.ctl(["--data", gbk, "roster.import", "format=csv"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.hasPrefix("converted from: GB18030\nrows: 2\nadded: 2\n"), "\(r.out)")
        let reply = try json(daemon, ["--data", gbk, "roster.import", "format=csv"])
        #expect((reply["data"] as? [String: Any])?["converted_from"] as? String == "GB18030")
        #expect(try daemon.client().request("roster.import format=csv <<E\n楼栋,单元,房号,姓名\nE").final == "200 imported 0 residents",
                "UTF-8 is not converted")
        let unicodeText = write(daemon, "名册.txt", SpreadsheetFile.utf16LE("楼栋\t单元\t房号\t姓名\r\n3\t2\t503\t张伟\r\n"))
        let u = try daemon.ctl(["--data", unicodeText, "roster.import", "format=csv"])
        #expect(u.status == 0 && u.out.hasPrefix("converted from: UTF-16LE\n"), "\(u.out) \(u.err)")
        let names = try json(daemon, ["roster.households", "building=3"])
        #expect((names["data"] as? [[String: Any]])?.compactMap { $0["household"] as? String } == ["3-2-501", "3-2-502", "3-2-503"])
    }

    @Test func workbooksAndUndecodableFilesAreRefusedWithTheRemedyAndOtherBodiesStillMustBeUTF8() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let xlsx = write(daemon, "名册.xlsx", Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0xFF, 0xFE]))
        let r = try daemon.ctl(["--data", xlsx, "roster.import", "format=csv"])
        #expect(r.status == 1)
        #expect(r.err.contains("415 invalid_utf8: the body is an Excel workbook (.xlsx) or another zip file, not CSV text"), "\(r.err)")
        #expect(r.err.contains("另存为") && r.err.contains("CSV UTF-8 (逗号分隔)(*.csv)"))
        #expect(!r.err.contains("unknown column"))
        let xls = write(daemon, "名册.xls", Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0x00, 0x00, 0x3E, 0x00]))
        #expect(try daemon.ctl(["--data", xls, "roster.import", "format=csv"]).err.contains("(.xls/.et), not CSV text"))
        let mixed = write(daemon, "mixed.csv", Data("楼栋,单元,房号,姓名\n1,1,101,".utf8) + Data([0x80, 0x0A]))
        let m = try daemon.ctl(["--data", mixed, "roster.import", "format=csv"])
        #expect(m.err.contains("neither UTF-8 nor GB18030 (GBK) (line 2, byte 37 of the body)"), "\(m.err)")
        // Commands that take text keep their 415 before any plugin sees the body.
        let gbk = write(daemon, "gbk.txt", SpreadsheetFile.gb18030("楼栋\n"))
        let probe = try daemon.ctl(["--data", gbk, "probe.body"])
        #expect(probe.err.contains("415 invalid_utf8: body line 1 is not valid UTF-8 (byte 3 of the body)"), "\(probe.err)")
        let list = try json(daemon, ["commands"])
        let importSpec = (list["data"] as? [[String: Any]])?.first { $0["name"] as? String == "roster.import" }
        #expect(importSpec?["body_encoding"] as? String == "bytes")
    }

    @Test func wpsHeaderWordsFullWidthDigitsIDNumbersAndMergedCells() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let sheet = """
            户号,姓名,手机号,出生年月,身份证号,备注,,
            ６-１-１０１,王芳,１３８１２３４５６７８,1948年3月,61010319480312002X,独居,,
            6栋1单元101,李建华,13900001111,1975/6/1,,,,
            6-1-102,,,,,,,

            """
        let file = write(daemon, "wps.csv", SpreadsheetFile.gb18030(sheet))
        let imported = try json(daemon, ["--data", file, "roster.import", "format=csv"])
        let data = try #require(imported["data"] as? [String: Any])
        #expect(data["added"] as? Int == 2 && data["rows"] as? Int == 3 && data["vacant"] as? Int == 1, "\(data)")
        let household = try json(daemon, ["roster.household", "6-1-101"])
        let residents = try #require((household["data"] as? [String: Any])?["residents"] as? [[String: Any]])
        #expect(residents.count == 2, "６-１-１０１ and 6栋1单元101 are household 6-1-101")
        let wang = try #require(residents.first { $0["name"] as? String == "王芳" })
        #expect(wang["phone"] as? String == "13812345678")
        #expect(wang["id_number"] as? String == "**************002X")
        #expect(wang["birth_year"] as? Int == 1948)
        let state = daemon.dir.file("state")
        let stored = (FileManager.default.enumerator(atPath: state)?.allObjects as? [String] ?? [])
            .compactMap { FileManager.default.contents(atPath: state + "/" + $0) }
        #expect(!stored.isEmpty && !stored.contains { $0.range(of: Data("6101031948".utf8)) != nil }, "the whole ID number is never written")
        let unknown = try daemon.ctl(["--data", "-", "roster.import", "format=csv"], stdin: "楼号,单元号,房间,姓名,年龄,籍贯,,\n1,1,101,x,3,陕西,,\n")
        #expect(unknown.err.contains("column 3: unknown column '房间'; column 5: unknown column '年龄'; column 6: unknown column '籍贯'"),
                "\(unknown.err)")
        let merged = "楼栋,单元,房号,姓名\n7,1,101,赵敏\n,1,102,孙丽\n,2,101,周杰\n"
        let refused = try daemon.ctl(["--data", "-", "roster.import", "format=csv"], stdin: merged)
        #expect(refused.status == 1 && refused.err.contains("import with fill_down=yes"), "\(refused.err)")
        let filled = try daemon.ctl(["--data", "-", "roster.import", "format=csv", "fill_down=yes"], stdin: merged)
        #expect(filled.status == 0 && filled.out.contains("filled down: 2 cells"), "\(filled.out) \(filled.err)")
        let seven = try json(daemon, ["roster.households", "building=7"])
        #expect((seven["data"] as? [[String: Any]])?.count == 3)
    }

    @Test func takingAnotherLeadersBuildingNeedsReplaceAndIsSaid() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let c = try daemon.client()
        #expect(try c.request("roster.leader.assign 王芳 buildings=3 phone=13700001234").final == "200 王芳 leads buildings 3")
        let refused = try c.request("roster.leader.assign 刘敏 buildings=3,4").final
        #expect(refused == "409 conflict: building already led: 3 by 王芳; add replace=yes to take building 3 from 王芳 "
            + "(王芳 now leads no building)", "\(refused)")
        #expect(try c.request("roster.leader.assign 刘敏 buildings=3,4 replace=yes").final
            == "200 刘敏 leads buildings 3, 4; took building 3 from 王芳 (王芳 now leads no building)")
        let stats = try #require(try json(daemon, ["roster.stats"])["data"] as? [String: Any])
        #expect(stats["leaders"] as? Int == 1, "王芳 leads nothing and is not counted")
        #expect(try c.request("roster.leaders").final == "200 1 leaders; leading no building: 王芳")
    }

    @Test func theExportIsWhatExcelOpens() throws {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        #expect(try daemon.ctl(["--data", "-", "roster.import", "format=csv"],
                               stdin: "楼栋,单元,房号,姓名,性别\n3,2,501,王芳,女\n3,2,502,,\n").status == 0)
        // The file as `data.csv` of the JSON reply: BOM, CRLF (escaped in the JSON line).
        let reply = try daemon.ctl(["--json", "roster.export", "format=csv"]).out
        #expect(reply.contains(#""csv":"\#u{FEFF}楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注\r\n3,2,502,,,,,,\r\n3,2,501,王芳,,,女,,\r\n""#),
                "\(reply)")
        #expect(try daemon.ctl(["--json", "roster.export", "format=csv", "headers=en"]).out
            .contains(#""csv":"\#u{FEFF}building,unit,room,name,phone,birth_year,sex,tags,note\r\n"#))
        // Redirected text lines: the BOM on the first, so that file opens as UTF-8 too.
        let file = daemon.dir.file("export.csv")
        let shell = try DaemonProcess.run("/bin/sh", ["-c", "\"$0\" --socket \"$1\" roster.export format=csv > \"$2\"",
                                                      Binaries.doorstepctl, daemon.socket, file])
        #expect(shell.status == 0, "\(shell.err)")
        #expect(FileManager.default.contents(atPath: file) == Data("\u{FEFF}楼栋,单元,房号,姓名,电话,出生年份,性别,标签,备注\n3,2,502,,,,,,\n3,2,501,王芳,,,女,,\n".utf8))
    }

    /// Issue 14's acceptance test: the 2,300-household register saved by WPS (GB18030, WPS
    /// headers, merged building cells, full-width digits, CRLF) and its clean UTF-8 twin import
    /// to the same roster.
    @Test func aWPSRegisterOf2300HouseholdsImportsToTheSameRosterAsItsCleanTwin() throws {
        let clean = CommunityFixture.csv()
        #expect(clean.households == 2300)
        let wps = SpreadsheetFile.gb18030(SpreadsheetFile.wpsTwin(of: clean.text.replacingOccurrences(of: "\u{FEFF}", with: "")))
        #expect(String(data: wps, encoding: .utf8) == nil, "the twin is not UTF-8")

        let a = try DaemonProcess()
        defer { a.stop() }
        a.dir.write("clean.csv", clean.text)
        #expect(try a.ctl(["--data", a.dir.file("clean.csv"), "roster.import", "format=csv"]).status == 0)

        let b = try DaemonProcess()
        defer { b.stop() }
        let file = write(b, "wps.csv", wps)
        let refused = try b.ctl(["--data", file, "roster.import", "format=csv"])
        #expect(refused.status == 1 && refused.err.contains("fill_down=yes"), "merged building cells are named: \(refused.err.prefix(300))")
        let imported = try json(b, ["--data", file, "roster.import", "format=csv", "fill_down=yes"])
        let summary = try #require(imported["data"] as? [String: Any])
        #expect(summary["converted_from"] as? String == "GB18030" && summary["added"] as? Int == 6900 && summary["filled_down"] as? Int == 6877,
                "\(summary)")

        let statsA = try #require(try json(a, ["roster.stats"])["data"] as? [String: Any])
        let statsB = try #require(try json(b, ["roster.stats"])["data"] as? [String: Any])
        #expect(statsB["households"] as? Int == 2300 && statsB["residents"] as? Int == 6900)
        #expect(NSDictionary(dictionary: statsA).isEqual(to: statsB))
        let exportA = try a.ctl(["roster.export", "format=csv"]).out
        let exportB = try b.ctl(["roster.export", "format=csv"]).out
        #expect(exportA.split(separator: "\n").count == 6901)
        #expect(exportA == exportB, "the same roster, row for row")
    }
}
