import Foundation
import Testing

/// `metrics` and `[metrics] textfile` (issue 17): Prometheus' text format, checked by Debian's
/// `promtool check metrics` on the real daemon's output.
@Suite("Metrics", .serialized)
struct MetricsTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test(.enabled(if: promtool != nil, "promtool is not installed (Debian's prometheus package; scripts/install-deps.sh installs it)"))
    func metricsPassPromtoolAndCountWhatHappened() throws {
        let dir = TempDirectory()
        let daemon = try FieldUseTests.community("\n[metrics]\ntextfile = \"\(dir.file("doorstep.prom"))\"\ninterval = 1\n")
        defer { daemon.stop() }
        for _ in 0..<3 { #expect(try daemon.ctl(["ping"]).status == 0) }
        #expect(try daemon.ctl(["no.such.command"]).status == 1)
        #expect(try daemon.ctl(["visits.campaign.start", "第一轮", "deadline=2099-01-01T00:00+08:00"]).status == 0)
        #expect(try daemon.ctl(["visits.record", "3-1-101", "outcome=answered", "people=2"]).status == 0)
        let r = try daemon.ctl(["metrics"])
        #expect(r.status == 0, "\(r.err)")
        let text = r.out
        let check = try DaemonProcess.run(Self.promtool!, ["check", "metrics"], stdin: text)
        #expect(check.status == 0, "promtool: \(check.out) \(check.err)")
        #expect(Self.sample(text, "doorstep_requests_total{command=\"ping\",code=\"200\"}") == 3)
        #expect(Self.sample(text, "doorstep_requests_total{command=\"unknown\",code=\"405\"}") == 1, "an unknown name is one label")
        #expect(Self.sample(text, "doorstep_request_duration_seconds_count{command=\"visits.record\"}") == 1)
        #expect(Self.sample(text, "doorstep_roster_households") == 16)
        #expect(Self.sample(text, "doorstep_visits_campaign_visited{campaign=\"第一轮\"}") == 1)
        #expect(Self.sample(text, "doorstep_visits_coverage_percent{campaign=\"第一轮\"}") == 6.3)
        #expect((Self.sample(text, "doorstep_journal_bytes") ?? 0) > 0)
        #expect((Self.sample(text, "doorstep_journal_last_fsync_time_seconds") ?? 0) > Date().timeIntervalSince1970 - 60)
        #expect(!text.contains("王芳"), "no names in metrics")
    }

    @Test func theTextfileIsWrittenAtomicallyAndFollowsReload() throws {
        let dir = TempDirectory()
        let file = dir.file("doorstep.prom")
        let daemon = try DaemonProcess(config: "[metrics]\ntextfile = \"\(file)\"\ninterval = 1\n")
        defer { daemon.stop() }
        var text = ""
        for _ in 0..<100 where text.isEmpty {
            usleep(50_000)
            text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        }
        #expect(text.contains("doorstep_up 1"))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o644, "node_exporter reads it as another user")
        #expect(!FileManager.default.fileExists(atPath: file + ".tmp"))
        if let promtool = Self.promtool {
            let check = try DaemonProcess.run(promtool, ["check", "metrics"], stdin: text)
            #expect(check.status == 0, "\(check.out) \(check.err)")
        }
        // Reload to another file: the new one appears.
        let other = dir.file("other.prom")
        daemon.rewriteConfig("[metrics]\ntextfile = \"\(other)\"\ninterval = 1\n")
        #expect(try daemon.ctl(["reload"]).status == 0)
        var appeared = false
        for _ in 0..<100 where !appeared {
            usleep(50_000)
            appeared = FileManager.default.fileExists(atPath: other)
        }
        #expect(appeared)
    }

    /// `[ship] community` labels every series, for the district's federation (docs/district.md).
    @Test func everySeriesCarriesTheCommunityLabelWhenOneIsSet() throws {
        let daemon = try DaemonProcess(config: "[ship]\ncommunity = \"电子城街道01社区\"\ndatabase_url = \"postgres://ship@127.0.0.1/district\"\n")
        defer { daemon.stop() }
        #expect(try daemon.ctl(["ping"]).status == 0)
        let text = try daemon.ctl(["metrics"]).out
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(samples.count > 10)
        #expect(samples.allSatisfy { $0.contains("{community=\"电子城街道01社区\"") }, "\(samples.filter { !$0.contains("community=") })")
        #expect(text.contains("doorstep_up{community=\"电子城街道01社区\"} 1"))
        #expect(text.contains("doorstep_requests_total{community=\"电子城街道01社区\",command=\"ping\",code=\"200\"} 1"))
        if let promtool = Self.promtool {
            let check = try DaemonProcess.run(promtool, ["check", "metrics"], stdin: text)
            #expect(check.status == 0, "\(check.out) \(check.err)")
        }
    }

    @Test func badMetricsConfigIsRefusedWithItsLine() throws {
        for (config, expected) in [
            ("[metrics]\ntextfile = \"/tmp/x.txt\"\n", "doorstep.toml:2:1: textfile: node_exporter reads only files ending in .prom"),
            ("[metrics]\ninterval = 0\n", "doorstep.toml:2:1: interval: must be at least 1 s"),
            ("[metrics]\nintervall = 5\n", "doorstep.toml:2:1: unknown key 'metrics.intervall'"),
            ("[metric]\ntextfile = \"a.prom\"\n", "did you mean [metrics]?"),
        ] {
            let dir = TempDirectory()
            dir.write("doorstep.toml", config)
            let r = try DaemonProcess.run(Binaries.doorstepd, ["--config", dir.file("doorstep.toml"), "--check-config"])
            #expect(r.status != 0)
            #expect((r.out + r.err).contains(expected), "\(r.out) \(r.err)")
        }
    }
}
