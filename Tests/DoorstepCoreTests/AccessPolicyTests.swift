@testable import DoorstepCore
import PluginAPI
import Testing

@Suite("Access control")
struct AccessPolicyTests {
    let policy = AccessPolicy(
        userRoles: [1000: .viewer, 1001: .admin], groupRoles: [50: .operator, 60: .viewer], defaultRole: .none,
        daemonUID: 999)

    @Test func rootAndTheDaemonUserAreAdmin() {
        #expect(policy.role(uid: 0, groups: []) == .admin)
        #expect(policy.role(uid: 999, groups: []) == .admin)
    }

    @Test func userEntry() {
        #expect(policy.role(uid: 1001, groups: []) == .admin)
        #expect(policy.role(uid: 1000, groups: [7]) == .viewer)
    }

    @Test func highestOfUserAndGroupsWins() {
        #expect(policy.role(uid: 1000, groups: [50]) == .operator)
        #expect(policy.role(uid: 2000, groups: [60, 50]) == .operator)
        #expect(policy.role(uid: 1001, groups: [60]) == .admin)
    }

    @Test func unmatchedGetsTheDefault() {
        #expect(policy.role(uid: 2000, groups: [7]) == .none)
        let open = AccessPolicy(userRoles: [:], groupRoles: [:], defaultRole: .viewer, daemonUID: 999)
        #expect(open.role(uid: 2000, groups: []) == .viewer)
    }

    @Test func namesFromConfigAreResolved() {
        var config = AccessConfig()
        config.users = ["nobody": .operator]
        config.groups = ["0": .viewer]
        let resolved = AccessPolicy(config: config, daemonUID: 999)
        #expect(resolved.role(uid: 65534, groups: []) == .operator)
        #expect(resolved.role(uid: 4242, groups: [0]) == .viewer)
    }

    @Test func rolesAreOrdered() {
        #expect(Role.none < .viewer && Role.viewer < .operator && Role.operator < .admin)
        #expect(Role(name: "operator") == .operator)
        #expect(Role(name: "root") == nil)
    }
}
