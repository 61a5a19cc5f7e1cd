import Foundation
import Testing

/// `report.daily` (issue 17): a seeded day through the real daemon, in every format, the
/// figures exact; and the HTML form in a real browser (headless Chromium) at phone and desktop
/// widths, with screenshots under `.build/report-screens/` for people to look at.
@Suite("The nightly report", .serialized)
struct ReportTests {
    /// 16 households (buildings 3 and 4), a campaign from 2026-01-10 08:00 to 2026-01-12 20:00
    /// (+08:00), two visits on the 10th and five on the 11th.
    static func seededCommunity() throws -> DaemonProcess {
        let daemon = try FieldUseTests.community()
        let steps: [[String]] = [
            ["visits.campaign.start", "第一轮排查", "deadline=2026-01-12T20:00+08:00", "started=2026-01-10T08:00+08:00"],
            ["visits.record", "3-1-101", "outcome=answered", "people=2", "at=2026-01-10T09:00+08:00"],
            ["visits.record", "3-1-102", "outcome=answered", "people=3", "at=2026-01-10T09:30+08:00"],
            ["visits.record", "3-1-201", "outcome=answered", "people=1", "needs=medicine:降压药x2盒", "at=2026-01-11T09:00+08:00"],
            ["visits.record", "3-1-202", "outcome=refused", "at=2026-01-11T09:10+08:00"],
            ["visits.record", "3-2-101", "outcome=vacant", "at=2026-01-11T09:20+08:00"],
            ["visits.record", "3-2-102", "outcome=no-answer", "at=2026-01-11T09:30+08:00"],
            ["visits.record", "4-1-101", "outcome=answered", "people=4", "at=2026-01-11T23:59+08:00"],
            ["visits.record", "4-1-102", "outcome=answered", "people=2", "at=2026-01-12T00:00+08:00"],
            ["emergencies.open", "3-2-201", "kind=labour", "at=2026-01-11T04:00+08:00"],
            ["emergencies.step", "1", "call-120", "at=2026-01-11T04:03+08:00"],
            ["emergencies.ack", "1", "by=刘敏", "at=2026-01-11T04:05+08:00"],
            ["emergencies.close", "1", "outcome=transported", "force=yes", "at=2026-01-11T05:00+08:00"],
            ["supplies.donation.add", "donor=爱心企业", "amount=500"],
            ["supplies.stock.receive", "降压药", "qty=3", "unit=盒", "source=donation", "category=medicine"],
            ["supplies.stock.threshold", "降压药", "low=5"],
        ]
        for step in steps {
            let r = try daemon.ctl(step)
            #expect(r.status == 0, "\(step): \(r.out) \(r.err)")
        }
        return daemon
    }

    static func report(_ daemon: DaemonProcess, _ args: [String]) throws -> [String: Any] {
        try FieldUseTests.object(daemon, ["report.daily"] + args)
    }

    static func section(_ report: [String: Any], _ plugin: String) throws -> [String: Any] {
        let sections = try #require(report["sections"] as? [[String: Any]])
        return try #require(sections.first { $0["plugin"] as? String == plugin }, "no \(plugin) section")
    }

    static func figures(_ report: [String: Any], _ plugin: String) throws -> [String: Any] {
        try #require(try section(report, plugin)["figures"] as? [String: Any])
    }

    @Test func aSeededDayInEveryFormatWithItsFiguresExact() throws {
        let daemon = try Self.seededCommunity()
        defer { daemon.stop() }
        let day = try Self.report(daemon, ["date=2026-01-11", "format=json"])
        #expect(day["date"] as? String == "2026-01-11")
        #expect(day["offset"] as? String == "+08:00")
        let visits = try Self.figures(day, "visits")
        #expect(visits["households_visited"] as? Int == 3, "3-1-201 answered, 3-2-101 vacant, 4-1-101 at 23:59: \(visits)")
        #expect(visits["people_counted"] as? Int == 5)
        #expect(visits["households_refused"] as? Int == 1)
        #expect(visits["needs_opened"] as? Int == 1)
        #expect(visits["needs_open"] as? Int == 1)
        let emergencies = try Self.figures(day, "emergencies")
        #expect(emergencies["incidents"] as? Int == 1)
        #expect(emergencies["ack_median_min"] as? Double == 5.0)
        #expect(emergencies["ambulance_median_min"] as? Double == 3.0)
        #expect(emergencies["close_median_min"] as? Double == 60.0)
        #expect(try Self.section(day, "reading-promotion")["figures"] != nil, "every running plugin has its section")
        let roster = try Self.figures(day, "roster")
        #expect(roster["households"] as? Int == 16)
        #expect(roster["buildings"] as? Int == 2)
        // Coverage as of the day's end: 3-1-101, 3-1-102, 3-1-201, 3-2-101 in building 3; 4-1-101 in 4.
        let charts = try #require(try Self.section(day, "visits")["charts"] as? [[String: Any]])
        let coverage = try #require(charts.first { $0["kind"] as? String == "bars" })
        let bars = try #require(coverage["points"] as? [[String: Any]])
        #expect(bars.map { $0["label"] as? String } == ["3", "4"])
        #expect(bars.map { $0["value"] as? Double } == [4, 1])
        #expect(bars.map { $0["total"] as? Double } == [8, 8])
        let burndown = try #require(charts.first { $0["kind"] as? String == "line" })
        let line = try #require(burndown["points"] as? [[String: Any]])
        #expect(line.map { $0["label"] as? String } == ["2026-01-10", "2026-01-11"])
        #expect(line.map { $0["value"] as? Double } == [14, 11])
        // The plan: 16 households over the 60 hours to the deadline; 16 h gone by the 10th's
        // end, 40 h by the 11th's.
        #expect(line.map { $0["reference"] as? Double } == [11.7, 5.3])

        // Today: the donation and the stock; the need's request, opened by the reaction.
        let today = try Self.report(daemon, ["format=json"])
        let supplies = try Self.figures(today, "supplies")
        #expect(supplies["cash_in"] as? String == "¥500.00")
        #expect(supplies["balance"] as? String == "¥500.00")
        #expect(supplies["stock_low"] as? Int == 1)
        #expect(try Self.figures(today, "visits")["households_visited"] as? Int == 0)

        // Text: 80 columns, English headers; zh-CN: Chinese headers, the same figures.
        let text = try daemon.ctl(["report.daily", "date=2026-01-11"])
        #expect(text.status == 0)
        let lines = text.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "Daily report 2026-01-11")
        #expect(lines.contains("== Visits, needs and testing =="))
        #expect(lines.contains { $0.hasPrefix("households visited") && $0.hasSuffix(" 3") }, "\(text.out)")
        let widest = lines.map(Self.displayWidth).max() ?? 0
        #expect(widest <= 80, "a text line is \(widest) columns wide")
        let zh = try daemon.ctl(["report.daily", "date=2026-01-11", "lang=zh-CN"])
        #expect(zh.out.hasPrefix("社区每日报告 2026-01-11\n"))
        #expect(zh.out.contains("== 入户走访、需求与检测 =="))
        #expect(zh.out.split(separator: "\n").contains { $0.hasPrefix("入户走访户数") && $0.hasSuffix(" 3") })
        // hello lang=zh-CN makes it the connection's language.
        let client = try daemon.client()
        let hello = try client.request("hello lang=zh-CN")
        #expect(hello.last?.hasPrefix("200 ") == true, "\(hello)")
        let viaHello = try client.request("report.daily date=2026-01-11")
        #expect(viaHello.first == "200-社区每日报告 2026-01-11", "\(viaHello.prefix(2))")

        // Markdown.
        let md = try daemon.ctl(["report.daily", "date=2026-01-11", "format=markdown"])
        #expect(md.out.hasPrefix("# Daily report 2026\\-01\\-11\n") || md.out.hasPrefix("# Daily report 2026-01-11\n"), "\(md.out.prefix(80))")
        #expect(md.out.contains("| households visited | 3 |"))

        // CSV for Excel: the file exactly (BOM, CRLF) in data.csv; its lines through doorstepctl.
        let csv = try #require(try Self.report(daemon, ["date=2026-01-11", "format=csv"])["csv"] as? String)
        // (JSONSerialization drops a leading byte-order mark from strings: look at the reply itself.)
        let raw = try daemon.ctl(["--json", "report.daily", "date=2026-01-11", "format=csv"]).out
        #expect(raw.contains(#""csv":"\#u{FEFF}Daily report 2026-01-11\r\n"#), "the byte-order mark Excel needs")
        #expect(csv.contains("Daily report 2026-01-11\r\n"))
        #expect(csv.contains("households_visited,households visited,3\r\n"))
        #expect(!csv.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "LF without CR in the CSV")
        let csvLines = try client.request("report.daily date=2026-01-11 format=csv lang=en")
        #expect(csvLines.first == "200-\u{FEFF}Daily report 2026-01-11", "\(csvLines.prefix(1))")
    }

    @Test func badArgumentsAreRefusedNamingThem() throws {
        let daemon = try FieldUseTests.community()
        defer { daemon.stop() }
        let date = try daemon.ctl(["report.daily", "date=2026-13-01"])
        #expect(date.status == 1)
        #expect(date.err.contains("422 invalid_argument: argument 'date': expected YYYY-MM-DD"), "\(date.err)")
        let format = try daemon.ctl(["report.daily", "format=pdf"])
        #expect(format.err.contains("422 invalid_argument"), "\(format.err)")
        #expect(format.err.contains("html"), "the error lists the formats: \(format.err)")
        let unknown = try daemon.ctl(["report"])
        #expect(unknown.err.contains("did you mean 'report.daily'"), "\(unknown.err)")
    }

    /// Columns a line takes in a terminal (CJK two).
    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { w, c in
            let v = c.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v)
            return w + (v < 0x20 ? 0 : wide ? 2 : 1)
        }
    }
}

/// The HTML report in a real browser: Debian's `chromium`, headless.
@Suite("The nightly report in a browser", .serialized)
struct ReportBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// `.build/report-screens/` beside the package, for people to look at.
    static let screens: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/report-screens").path
    }()

    /// Renders `file` at `width` (headless, no network). Headless Chromium lays a window out at
    /// least 500 px wide, so the report is shown in a frame `width` px wide (as a phone's
    /// viewport) inside a harness page whose script records what the test asserts on: the
    /// frame's overflow and the figures as the browser laid them out.
    static func render(_ file: String, width: Int, screenshot: String) throws -> String {
        let browser = try #require(chromium, "chromium is not installed (scripts/install-deps.sh installs it)")
        let html = try String(contentsOfFile: file, encoding: .utf8)
        let quoted = html.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
        let harness = """
            <!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
            <iframe id="report" style="width:\(width)px;height:2400px;border:0;display:block" srcdoc="\(quoted)"></iframe>
            <script>
            window.addEventListener('load', () => {
              const d = document.getElementById('report').contentDocument, w = d.defaultView;
              document.body.setAttribute('data-scroll-width', String(d.documentElement.scrollWidth));
              document.body.setAttribute('data-inner-width', String(w.innerWidth));
              for (const f of d.querySelectorAll('.figure')) {
                if (f.getBoundingClientRect().right > w.innerWidth + 1) document.body.setAttribute('data-figure-overflow', f.dataset.key);
              }
              const out = document.createElement('pre');
              out.id = 'laid-out';
              out.textContent = d.body.innerHTML;
              document.body.appendChild(out);
            });
            </script></body></html>
            """
        let page = file.replacingOccurrences(of: ".html", with: "-\(width).html")
        try harness.write(toFile: page, atomically: true, encoding: .utf8)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                     "--user-data-dir=" + screens + "/profile", "--window-size=\(max(width, 500)),2400", "--virtual-time-budget=5000"]
        let shot = try DaemonProcess.run(browser, flags + ["--screenshot=" + screenshot, "file://" + page])
        #expect(shot.status == 0, "screenshot: \(shot.err.suffix(400))")
        #expect(FileManager.default.fileExists(atPath: screenshot))
        let dom = try DaemonProcess.run(browser, flags + ["--dump-dom", "file://" + page])
        #expect(dom.status == 0, "dump-dom: \(dom.err.suffix(400))")
        // The laid-out report was copied into a <pre> as text: undo its escaping.
        return dom.out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func attribute(_ name: String, in dom: String) -> String? {
        guard let range = dom.range(of: " \(name)=\"") else { return nil }
        return String(dom[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed: the browser test is skipped (scripts/install-deps.sh installs it)"))
    func theHTMLReportReadsOnAPhoneAndADesktop() throws {
        let daemon = try ReportTests.seededCommunity()
        defer { daemon.stop() }
        try FileManager.default.createDirectory(atPath: Self.screens, withIntermediateDirectories: true)
        for lang in ["en", "zh-CN"] {
            let html = try #require(try ReportTests.report(daemon, ["date=2026-01-11", "format=html", "lang=\(lang)"])["html"] as? String)
            // Self-contained: no script, no link or source outside the file.
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(!html.contains("<script"))
            #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
            #expect(!html.contains("https://") && !html.contains("src=") && !html.contains("<link"))
            let file = Self.screens + "/report-\(lang).html"
            try html.write(toFile: file, atomically: true, encoding: .utf8)
            for width in [390, 1280] {
                let dom = try Self.render(file, width: width, screenshot: Self.screens + "/report-\(lang)-\(width).png")
                let scroll = Int(Self.attribute("data-scroll-width", in: dom) ?? "") ?? -1
                let inner = Int(Self.attribute("data-inner-width", in: dom) ?? "") ?? -1
                #expect(inner == width, "the page was laid out \(inner) wide")
                #expect(scroll <= inner, "\(lang) at \(width): the page is \(scroll) px wide, wider than the screen")
                #expect(Self.attribute("data-figure-overflow", in: dom) == nil, "a figure leaves the screen at \(width)")
                // The figures as the browser has them.
                #expect(dom.contains("data-key=\"households_visited\"><dt>\(lang == "en" ? "households visited" : "入户走访户数")</dt><dd>3</dd>"))
                #expect(dom.contains("data-key=\"households\"><dt>\(lang == "en" ? "households" : "户数")</dt><dd>16</dd>"))
                #expect(dom.contains("data-kind=\"bars\""), "coverage by building")
                #expect(dom.contains("data-kind=\"line\""), "burn-down")
                #expect(dom.contains("data-kind=\"funnel\""), "needs funnel")
                #expect(dom.contains("class=\"reference\""), "the plan line of the burn-down")
            }
        }
    }
}
