/// `help` in Chinese (`hello lang=zh-CN`).
extension HooksPlugin {
    public static let summariesZh: [String: String] = [
        "hooks.list": "已配置的钩子及其运行情况",
        "hooks.runs": "最近的执行，最新的在前（failed：只看失败；pending：待执行）",
    ]
}
