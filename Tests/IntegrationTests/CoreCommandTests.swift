import Foundation
import Testing

@Suite("Core commands over the socket", .serialized)
final class CoreCommandTests {
    let daemon: DaemonProcess

    init() throws { daemon = try DaemonProcess() }
    deinit { daemon.stop() }

    @Test func helloInTextAndJSON() throws {
        let c = try daemon.client()
        let text = try c.request("hello proto=1 client=test")
        #expect(text.final == "200 hello")
        #expect(text.contains("200-proto:        1"))
        #expect(text.contains { $0.hasPrefix("200-role:") && $0.hasSuffix("admin") })
        #expect(text.contains { $0.hasPrefix("200-plugins:") && $0.contains("probe") })
        let json = try c.requestJSON("hello format=json")
        #expect(json["ok"] as? Bool == true)
        #expect(json["code"] as? Int == 200)
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["proto"] as? Int == 1)
        #expect(data["version"] as? String == "0.1.0")
        #expect((data["capabilities"] as? [String])?.contains("pipelining") == true)
        #expect(data["role"] as? String == "admin")
        let back = try c.request("hello format=text")
        #expect(back.final == "200 hello")
    }

    @Test func helloRejectsAnotherProtocolVersion() throws {
        let reply = try daemon.client().request("hello proto=2")
        #expect(reply.final.hasPrefix("422 invalid_argument: argument 'proto'"))
    }

    @Test func helpListsCommandsAndDescribesOne() throws {
        let c = try daemon.client()
        let all = try c.request("help")
        #expect(all.contains { $0.contains("probe.echo") })
        #expect(all.contains { $0.hasPrefix("200-reload") && $0.contains("admin") })
        let one = try c.request("help probe sleep")
        #expect(one.first == "200-usage: probe.sleep ms=N")
        #expect(one.final == "200 probe.sleep")
        let unknown = try c.request("help probe.slep")
        #expect(unknown.final.hasPrefix("405 unknown_command: unknown command 'probe.slep'; did you mean 'probe.sleep'?"))
    }

    @Test func commandsIsMachineReadable() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        let reply = try c.requestJSON("commands")
        let list = try #require(reply["data"] as? [[String: Any]])
        let names = list.compactMap { $0["name"] as? String }
        for core in ["hello", "ping", "help", "commands", "status", "plugins", "reload", "subscribe", "unsubscribe", "quit"] {
            #expect(names.contains(core), "missing \(core)")
        }
        let sleep = try #require(list.first { $0["name"] as? String == "probe.sleep" })
        #expect(sleep["plugin"] as? String == "probe")
        #expect(sleep["role"] as? String == "viewer")
        let args = try #require(sleep["args"] as? [[String: Any]])
        #expect(args.first?["name"] as? String == "ms")
        #expect(args.first?["type"] as? String == "int")
        #expect(args.first?["required"] as? Bool == true)
        #expect(args.first?["max"] as? Int == 60_000)
        let reload = try #require(list.first { $0["name"] as? String == "reload" })
        #expect(reload["role"] as? String == "admin")
        let body = try #require(list.first { $0["name"] as? String == "probe.body" })
        #expect(body["body"] as? String == "required")
    }

    @Test func statusReportsTheDaemon() throws {
        let c = try daemon.client()
        let text = try c.request("status")
        #expect(text.final == "200 ok")
        #expect(text.contains { $0.hasPrefix("200-version:") })
        _ = try c.requestJSON("hello format=json")
        let data = try #require(try c.requestJSON("status")["data"] as? [String: Any])
        #expect(data["pid"] as? Int == Int(daemon.pid))
        #expect((data["uptime_seconds"] as? Int ?? -1) >= 0)
        #expect(data["config"] as? String == daemon.configPath)
        let plugins = try #require(data["plugins"] as? [[String: Any]])
        #expect(plugins.contains { $0["id"] as? String == "probe" && $0["state"] as? String == "running" })
        let connections = try #require(data["connections"] as? [String: Any])
        #expect((connections["open"] as? Int ?? 0) >= 1)
        #expect(connections["max"] as? Int == 256)
        let state = try #require(data["state"] as? [String: Any])
        #expect(state["dir"] as? String == daemon.dir.file("state"))
        #expect(FileManager.default.fileExists(atPath: daemon.dir.file("state")))
    }

    @Test func everyCoreCommandAnswersInJSON() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        let calls = ["hello", "ping", "help", "help ping", "commands", "status", "plugins", "reload", "subscribe probe.*",
                     "unsubscribe", "quit"]
        for (i, call) in calls.enumerated() {
            try c.send("@j\(i) \(call)\n")
            let reply = try c.readJSON()
            #expect(reply["tag"] as? String == "j\(i)", "\(call)")
            #expect(reply["ok"] as? Bool == true, "\(call): \(reply)")
            #expect(reply["code"] as? Int == 200, "\(call)")
            #expect(reply.keys.contains("data"), "\(call)")
        }
        #expect(c.isClosed(), "quit closes the connection")
    }

    @Test func errorsInJSON() throws {
        let c = try daemon.client()
        _ = try c.requestJSON("hello format=json")
        let e = try c.requestJSON("@e1 probe.sleep")
        #expect(e["tag"] as? String == "e1")
        #expect(e["ok"] as? Bool == false)
        #expect(e["code"] as? Int == 420)
        #expect(e["error"] as? String == "missing_argument")
        #expect((e["message"] as? String)?.contains("ms") == true)
    }

    @Test func pluginsListsStates() throws {
        let reply = try daemon.client().request("plugins")
        #expect(reply.contains { $0.contains("probe") && $0.contains("running") })
        #expect(reply.final.hasPrefix("200 ") && reply.final.hasSuffix(" plugins"))
    }

    @Test func pluginVerbFormAndChineseTable() throws {
        let c = try daemon.client()
        #expect(try c.request("probe echo 你好 世界") == ["200-你好 世界", "200 ok"])
        let table = try c.request("probe.table")
        #expect(table[0] == "200-household  name      people")
        #expect(table[2] == "200-12-1-1102  欧阳建国  1")
        #expect(table[3] == "200-7-3-201    Li Na     4")
    }

    @Test func quitClosesAfterItsReply() throws {
        let c = try daemon.client()
        #expect(try c.request("quit") == ["200 bye"])
        #expect(c.isClosed())
    }
}
