@testable import DoorstepCore
import ShipCore
import Testing

/// `[ship]` (doorstep-ship, docs/district.md): checked by the daemon's loader too, every error
/// with its file, line and column.
@Suite("Config: [ship]")
struct ShipConfigTests {
    @Test func everyShipKey() throws {
        let c = try ConfigLoader.parse(text: """
            [daemon]
            timezone = "Asia/Shanghai"

            [ship]
            database_url = "postgres://doorstep_ship@district-db:5432/district?sslmode=require"
            password_file = "/run/credentials/doorstep-ship.service/pgpassword"
            community = "电子城街道01社区"
            batch_size = 200
            events = ["visits.*", "supplies.*"]
            personal = false
            socket = "/run/doorstep.sock"
            """, file: "t.toml", knownPlugins: ["probe"])
        let ship = try #require(c.ship)
        #expect(ship.databaseURL?.host == "district-db" && ship.databaseURL?.tls == .require)
        #expect(ship.community == "电子城街道01社区" && ship.batchSize == 200 && ship.events == ["visits.*", "supplies.*"])
        #expect(ship.passwordFile.hasSuffix("pgpassword") && ship.socket == "/run/doorstep.sock" && !ship.personal)
        let defaults = try #require(try ConfigLoader.parse(text: "[ship]\n", file: "t.toml", knownPlugins: []).ship)
        #expect(defaults.batchSize == 500 && defaults.events == ["*"] && defaults.databaseURL == nil)
        #expect(try ConfigLoader.parse(text: "", file: "t.toml", knownPlugins: []).ship == nil)
    }

    @Test func badShipKeysNameTheirLine() {
        let cases: [(String, String)] = [
            ("[ship]\ndatabase_url = \"mysql://x@y/z\"\n", "t.toml:2:1: database_url: expected postgres://"),
            ("[ship]\ncommunity = \"\"\n", "t.toml:2:1: community: expected the community's name"),
            ("[ship]\ncommunity = \" 01\"\n", "t.toml:2:1: community:"),
            ("[ship]\nbatch_size = 0\n", "t.toml:2:1: batch_size: expected an integer from 1 to 10000"),
            ("[ship]\nevents = []\n", "t.toml:2:1: events: empty"),
            ("[ship]\nevents = [\"visits.*\", \"a b\"]\n", "t.toml:2:1: events: pattern 'a b'"),
            ("[ship]\npersonal = \"no\"\n", "t.toml:2:1: personal: expected true or false"),
            ("[ship]\npassword_file = \"pw.txt\"\n", "t.toml:2:1: password_file: expected an absolute path"),
            ("[ship]\ndatabase = \"x\"\n", "t.toml:2:1: unknown key 'ship.database'"),
            ("[shipping]\n", "t.toml:1:1: unknown section or key 'shipping'"),
        ]
        for (text, expected) in cases {
            do {
                _ = try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: [])
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(text): \(error.description)")
            }
        }
    }

    /// doorstep-ship reads the daemon's file without knowing its plugins: their sections are
    /// left to the daemon.
    @Test func theShipperReadsAnyPluginSections() throws {
        let c = try ConfigLoader.parse(text: "[plugins.emergencies]\nwhatever = 1\n\n[[hooks]]\non = \"a\"\n\n[ship]\ncommunity = \"c1\"\n",
                                       file: "t.toml", knownPlugins: nil)
        #expect(c.ship?.community == "c1")
    }
}
