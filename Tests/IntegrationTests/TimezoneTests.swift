import Foundation
import Testing

/// `[daemon] timezone` through the real daemon: times read without an offset are the
/// community's, shown with the offset in text and in JSON; a bad zone or the removed
/// `utc_offset_hours` is a config error with its line.
@Suite("Time zone", .serialized)
struct TimezoneTests {
    func daemon(_ zone: String) throws -> DaemonProcess {
        try DaemonProcess(config: "[daemon]\ntimezone = \"\(zone)\"\n" + DaemonProcess.probeConfig)
    }

    @Test func timesAreReadAndShownInTheCommunitysZone() throws {
        let shanghai = try daemon("Asia/Shanghai")
        defer { shanghai.stop() }
        #expect(try shanghai.client().request("probe.alarm a at=2022-01-10T19:00").final == "200 alarm a at 2022-01-10 19:00 +08:00")
        let newYork = try daemon("America/New_York")
        defer { newYork.stop() }
        #expect(try newYork.client().request("probe.alarm a at=2022-01-10T19:00").final == "200 alarm a at 2022-01-10 19:00 -05:00")
        #expect(try newYork.client().request("probe.alarm b at=2022-01-10T19:00+08:00").final == "200 alarm b at 2022-01-10 06:00 -05:00",
                "a time with its offset is that instant, shown in the community's zone")
        // JSON keeps RFC 3339 with the offset: an event's time, replayed from the journal.
        let c = try shanghai.client()
        _ = try c.requestJSON("hello format=json")
        _ = try c.requestJSON("probe.publish page text=x")
        _ = try c.requestJSON("subscribe probe.* from=1")
        let line = try #require(try c.readLine(), "no event replayed")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let time = try #require(event["time"] as? String, "\(line)")
        #expect(time.hasSuffix("+08:00") && time.count == 25, "\(time)")
    }

    @Test func aBadZoneAndTheRemovedOffsetKeyAreConfigErrorsWithTheirLine() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        dir.write("zone.toml", "[daemon]\ntimezone = \"Asia/Shanghia\"\n")
        let zone = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("zone.toml")])
        #expect(zone.status == 1)
        #expect(zone.err.contains("zone.toml:2:1: timezone: unknown time zone \"Asia/Shanghia\""), "\(zone.err)")
        #expect(zone.err.contains("did you mean \"Asia/Shanghai\"?"), "\(zone.err)")
        dir.write("offset.toml", "[plugins.visits]\nutc_offset_hours = 8\n")
        let offset = try DaemonProcess.run(Binaries.doorstepd, ["--check-config", "--config", dir.file("offset.toml")])
        #expect(offset.status == 1)
        #expect(offset.err.contains("offset.toml:2:1: [plugins.visits] utc_offset_hours: was removed"), "\(offset.err)")
        #expect(offset.err.contains("[daemon] timezone"), "\(offset.err)")
    }
}
