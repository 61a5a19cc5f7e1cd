@testable import DoorstepCore
import Logging
import PluginAPI
import ProbePlugin
import Testing
import Foundation

@Suite("Config")
struct ConfigLoaderTests {
    let known = ["probe"]

    func failure(_ text: String) -> ConfigFileError? {
        do {
            _ = try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: known)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyFileGivesDefaults() throws {
        let c = try ConfigLoader.parse(text: "", file: "t.toml", knownPlugins: known)
        #expect(c.daemon == DaemonSettings())
        #expect(c.access.defaultRole == .none)
    }

    @Test func everyDaemonKey() throws {
        let c = try ConfigLoader.parse(text: """
            [daemon]
            socket = "/run/x.sock"
            socket_mode = "0600"
            socket_group = "root"
            state_dir = "/var/lib/x"
            max_connections = 10
            idle_timeout = "5m"
            max_line_bytes = 1024
            max_body_bytes = 2048
            max_connections_per_user = 5
            admin_reserved_connections = 2
            request_timeout = "2m"
            write_timeout = "90s"
            max_subscriber_backlog_bytes = 1048576
            """, file: "t.toml", knownPlugins: known)
        #expect(c.daemon.maxConnectionsPerUser == 5)
        #expect(c.daemon.adminReservedConnections == 2)
        #expect(c.daemon.requestTimeoutSeconds == 120)
        #expect(c.daemon.writeTimeoutSeconds == 90)
        #expect(c.daemon.maxSubscriberBacklogBytes == 1_048_576)
        #expect(c.daemon.maxBufferedBodyBytes == 4 * 2048, "the default is four bodies of the largest size")
        #expect(c.daemon.socket == "/run/x.sock")
        #expect(c.daemon.socketMode == 0o600)
        #expect(c.daemon.idleTimeoutSeconds == 300)
        #expect(c.daemon.maxConnections == 10)
        #expect(c.daemon.maxBodyBytes == 2048)
    }

    /// `[[hooks]]` entries go to the hooks service with each key's line (`hooks.1.run`).
    @Test func privacyRetainDaysIsReadAndBadValuesNameTheirPlace() throws {
        #expect(try ConfigLoader.parse(text: "[privacy]\nretain_days = 30\n", file: "p.toml", knownPlugins: known).privacy.retainDays == 30)
        #expect(try ConfigLoader.parse(text: "", file: "p.toml", knownPlugins: known).privacy.retainDays == 0)
        for (text, expected) in [
            ("[privacy]\nretain_days = -1\n", "p.toml:2:1: retain_days: expected an integer from 0 to 3650, got -1"),
            ("[privacy]\nretain_days = \"30d\"\n", "p.toml:2:1: retain_days: expected an integer, got a string"),
            ("[privacy]\nretain_day = 30\n", "p.toml:2:1: unknown key 'privacy.retain_day'; expected retain_days (did you mean 'retain_days'?)"),
            ("[privcy]\nretain_days = 1\n", "p.toml:1:1: unknown section or key 'privcy'"),
        ] {
            do {
                _ = try ConfigLoader.parse(text: text, file: "p.toml", knownPlugins: known)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix(expected), "\(error.description)")
            }
        }
    }

    @Test func hookEntriesKeepTheirPositions() throws {
        let text = "[plugins.hooks]\nconcurrency = 2\n\n[[hooks]]\non = \"a.b\"\n\n[[hooks]]\non = \"c.d\"\nrun = []\n"
        let c = try ConfigLoader.parse(text: text, file: "h.toml", knownPlugins: ["hooks"])
        let section = try #require(c.plugins["hooks"])
        guard case .array(let entries)? = section.values["hooks"] else { Issue.record("no hooks"); return }
        #expect(entries.count == 2)
        #expect(section.values["concurrency"] == .int(2))
        #expect(section.locations["hooks.1.run"]?.line == 9)
        #expect(section.locations["hooks.0.on"]?.line == 5)
        #expect(section.locations["hooks.1"]?.line == 7)
        #expect(throws: ConfigFileError.self) { try ConfigLoader.parse(text: text, file: "h.toml", knownPlugins: ["probe"]) }
        #expect(throws: ConfigFileError.self) { try ConfigLoader.parse(text: "hooks = 3\n", file: "h.toml", knownPlugins: ["hooks"]) }
    }

    /// Table names that aborted the process inside TOMLKit's C++ core (an assertion; fuzzing
    /// findings): config errors with their place, now that TOMLReader parses the file.
    @Test(arguments: [
        ("[降压药]\n", "t.toml:1:2: table name starting with '降'"),
        ("a = 1\n[[\u{1}x]]\n", "t.toml:2:3: table name starting with U+1"),
        ("[ \u{FFFD} on]\ntimezone = \"Asia/Shanghai\"\n", "t.toml:1:3: table name starting with '\u{FFFD}'"),
        ("\u{FEFF}[\u{1}no]\n", "t.toml:1:2: table name starting with U+1"),
        ("[plugins.hooks]\n\n[[[hooks]]\nname = \"x\"\n", "t.toml:3:3: table name starting with '['"),
        ("[\nwhen = 2025# x\n", "t.toml:1:2: a table header without a name"),
    ])
    func tableNamesTomlCannotTakeAreRefusedWithTheirPlace(text: String, expected: String) {
        do {
            _ = try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: known)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error.description)")
            #expect(error.description.contains("quoted (like [\"降压药\"])"))
        }
    }

    /// A date followed by 'T' and no time aborted the process inside toml++ (fuzzing finding);
    /// TOML dates and times are refused anyway (times are strings here), with their place.
    @Test func datesAndTimesAreRefusedWithTheirPlace() throws {
        for text in ["[plugins.probe]\nwhen = 2026-01-10T\u{D6}190:0:h\n", "[plugins.probe]\nwhen = 2026-01-10T\n",
                     "[plugins.probe]\nwhen = 2026-01-10tx\n", "[plugins.probe]\nwhen = 2026-01-10T19:00:00+08:00\n",
                     "[plugins.probe]\nwhen = 22:00\n"] {
            do {
                _ = try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: known)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix("t.toml:2:8: dates and times are not used here: write them as strings"), "\(error.description)")
            }
        }
        // The same text inside strings and comments is text.
        for text in ["[plugins.probe]\ngreeting = \"2026-01-10Tx\" # 2026-01-10T\n", "[plugins.probe]\ngreeting = '22:00'\n"] {
            #expect(throws: Never.self) { try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: known) }
        }
    }

    @Test func quotedTableNamesArraysAndMultilineStringsAreNotTableHeaders() throws {
        let text = "[plugins.supplies.aliases]\n\"降压药\" = \"硝苯地平片\"\n[plugins.probe]\nenabled = true\n"
            + "greeting = \"\"\"\n[中文 in a string]\n\"\"\"\n"
        let c = try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: known + ["supplies"])
        #expect(c.plugins["probe"]?.values["greeting"] == .string("[中文 in a string]\n"))
        #expect(c.plugins["supplies"]?.values["aliases"] == .table(["降压药": .string("硝苯地平片")]))
        let doc = try TOMLReader.parse("x = [\n  [1, 2],\n  [\"a\"],\n  [true],\n  [-1],\n]\n")
        #expect(doc.root["x"] == .array([.array([.int(1), .int(2)]), .array([.string("a")]), .array([.bool(true)]), .array([.int(-1)])]))
    }

    @Test func theShippedExampleIsValid() throws {
        let text = try FileIO.readText(#filePath.replacingOccurrences(of: "Tests/DoorstepCoreTests/ConfigLoaderTests.swift", with: "config/doorstep.toml"))
        let c = try ConfigLoader.parse(text: text, file: "doorstep.toml", knownPlugins: known + ["hooks", "roster", "visits", "supplies", "reading-promotion", "emergencies"])
        #expect(c.daemon == DaemonSettings(), "the example documents the embedded defaults")
        #expect(c.plugins["probe"]?.enabled == false)
    }

    /// A plugin's ConfigError about a key of a nested table or an array entry names that key's
    /// line (an inline entry's keys too: the parser records where each is written).
    @Test func nestedKeysOfPluginSectionsHaveTheirLines() throws {
        let text = """
            [plugins.emergencies]
            escalation = [
                { to = "mayor", after = "5m" },
            ]
            [plugins.emergencies.kinds.flood]
            zh = "内涝"
            steps = ["pump"]
            """
        let c = try ConfigLoader.parse(text: text, file: "t.toml", knownPlugins: known + ["emergencies"])
        let locations = try #require(c.plugins["emergencies"]?.locations)
        #expect(locations["kinds.flood.steps"]?.line == 7 && locations["kinds.flood"]?.line == 5)
        #expect(locations["escalation.0.to"]?.line == 3, "an inline table's key: its own line (TOMLReader places every key)")
        #expect(locations["kinds.flood.steps.0"]?.line == 7)
    }

    @Test(arguments: [
        ("[daemon]\nsocket = \"a\"\n\nmax_conections = 3\n", "t.toml:4:1: unknown key 'daemon.max_conections'"),
        ("[daemon]\nmax_connections = \"3\"\n", "t.toml:2:1: max_connections: expected an integer, got a string"),
        ("[daemon]\nmax_connections = 0\n", "expected an integer from 1 to 65536, got 0"),
        ("[daemon]\nsocket_mode = \"999\"\n", "t.toml:2:1: socket_mode: expected an octal string"),
        ("[daemon]\nsocket_group = \"no-such-group-x\"\n", "no such group 'no-such-group-x'"),
        ("[daemon]\nsocket_mode = \"0666\"\n", "t.toml:2:1: socket_mode: \"0666\" lets every local user write to the socket"),
        ("[daemon]\nfsync = \"sometimes\"\n", "t.toml:2:1: fsync: expected \"always\" or \"off\""),
        ("[daemon]\ndebug_hang = \"yes\"\n", "t.toml:2:1: debug_hang: expected true or false, got a string"),
        ("[daemon]\nsegment_bytes = 10\n", "segment_bytes: expected an integer from 4096"),
        ("[daemon]\nidle_timeout = \"soon\"\n", "idle_timeout: expected seconds or a duration"),
        ("[daemon]\nrequest_timeout = -1\n", "t.toml:2:1: request_timeout: expected seconds (integer 0 to 31536000)"),
        ("[daemon]\nrequest_timeout = \"500ms\"\n", "t.toml:2:1: request_timeout: \"500ms\" is under a second"),
        ("[daemon]\nwrite_timeout = -5\n", "t.toml:2:1: write_timeout: expected seconds (integer 0 to 31536000)"),
        ("[daemon]\nidle_timeout = 99999999999\n", "t.toml:2:1: idle_timeout: expected seconds (integer 0 to 31536000)"),
        ("[daemon]\nmax_body_bytes = 4096\nmax_buffered_body_bytes = 1024\n",
         "t.toml:3:1: max_buffered_body_bytes: 1024 is less than max_body_bytes (4096)"),
        ("[daemon]\nsocket = \"\(String(repeating: "s", count: 120))\"\n", "t.toml:2:1: socket: '"),
        ("[deamon]\nx = 1\n", "t.toml:1:1: unknown section or key 'deamon'"),
        ("[access]\ndefault_role = \"root\"\n", "t.toml:2:1: default_role: unknown role 'root'"),
        ("[access.users]\nno_such_user_x = \"admin\"\n", "t.toml:2:1: access.users: no such user 'no_such_user_x'"),
        ("[access]\nadmins = []\n", "unknown key 'access.admins'"),
        ("[plugins.visit]\nenabled = true\n", "t.toml:1:1: unknown plugin 'visit'; this doorstepd has probe"),
        ("[plugins.probe]\nenabled = \"yes\"\n", "t.toml:2:1: enabled: expected true or false, got a string"),
        ("[daemon]\nsocket = \"a\n", "t.toml:2:"),
        ("x = 1979-05-27\n", "dates and times are not used here"),
    ])
    func errorsNameFileLineAndKey(text: String, expected: String) {
        let e = failure(text)
        #expect(e?.description.contains(expected) == true, "\(e?.description ?? "no error")")
    }

    func hostError(_ text: String) throws -> String? {
        let config = try ConfigLoader.parse(text: text, file: "p.toml", knownPlugins: known)
        let host = PluginHost(registry: [ProbePlugin.self], hub: EventHub(), logger: Logger(label: "test"))
        do {
            _ = try host.create(config)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func pluginKeysAreValidatedByThePlugin() throws {
        #expect(try hostError("[plugins.probe]\nenabled = true\ngreeting = \"hi\"\n") == nil)
        #expect(try hostError("[plugins.probe]\nenabled = true\n\ngreeting = 7\n")
            == "p.toml:4:1: [plugins.probe] greeting: expected a string, got an integer")
        #expect(try hostError("[plugins.probe]\nenabled = true\ngreeting = \"\"\n")
            == "p.toml:3:1: [plugins.probe] greeting: must not be empty")
        #expect(try hostError("[plugins.probe]\nenabled = true\ngreting = \"x\"\n")
            == "p.toml:3:1: unknown key 'greting' in [plugins.probe]")
    }

    @Test func disabledPluginSectionsAreStillChecked() throws {
        #expect(try hostError("[plugins.probe]\nenabled = false\ncolour = 1\n") == "p.toml:3:1: unknown key 'colour' in [plugins.probe]")
    }
}
