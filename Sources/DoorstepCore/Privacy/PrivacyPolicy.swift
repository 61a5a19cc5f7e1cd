import PluginAPI

/// The host's one masking policy (docs/protocol.md, "Privacy"): each plugin's declared
/// ``SensitiveField``s, applied to what a viewer receives from it — replies and events.
struct PrivacyPolicy: EventMasking {
    private let byPlugin: [String: PrivacyMask]
    private let byNamespace: [String: PrivacyMask]

    init(registry: [any DoorstepPlugin.Type]) {
        var byPlugin: [String: PrivacyMask] = [:]
        var byNamespace: [String: PrivacyMask] = [:]
        for type in registry {
            let mask = PrivacyMask(type.sensitiveFields)
            byPlugin[type.id] = mask
            byNamespace[type.namespace] = mask
        }
        self.byPlugin = byPlugin
        self.byNamespace = byNamespace
    }

    /// A plugin's reply as a viewer sees it: `data` masked, and the same texts masked in the
    /// hand-made lines and message.
    func viewerReply(_ reply: Reply, plugin: String) -> Reply {
        guard let mask = byPlugin[plugin], !mask.isEmpty else { return reply }
        let (data, texts) = mask.mask(reply.data)
        var out = reply
        out.data = data
        if !texts.isEmpty {
            out.lines = reply.lines?.map { PrivacyMask.apply(texts, to: $0) }
            out.message = PrivacyMask.apply(texts, to: reply.message)
            out.messageZh = reply.messageZh.map { PrivacyMask.apply(texts, to: $0) }
        }
        return out
    }

    /// An event as a viewer (or a hook without `personal = true`) sees it: masked by the
    /// declarations of the plugin whose namespace starts its name.
    func viewerEvent(_ event: Event) -> Event {
        guard let dot = event.name.firstIndex(of: "."), let mask = byNamespace[String(event.name[..<dot])], !mask.isEmpty else {
            return event
        }
        var out = event
        out.data = mask.mask(event.data).data
        return out
    }

    func masked(name: String, data: JSON) -> JSON {
        viewerEvent(Event(name: name, seq: 0, time: 0, data: data)).data
    }
}
