/// Chinese labels for the keys of this plugin's replies (`hello lang=zh-CN`); keys shared with
/// other commands (`household`, `name`, `at`…) are the core's (`Glossary.chinese`).
extension HooksPlugin {
    public static let glossaryZh: [String: String] = [
        "run": "命令", "on": "事件", "timeout": "超时", "retries": "重试", "output": "输出",
        "backoff": "退避", "next_at": "下次时间", "hook_seq": "钩子序号", "hook_outcome": "钩子结果",
        "hook_ms": "钩子毫秒", "hook_exit": "钩子退出码", "hook_event": "钩子事件",
        "hook_attempt": "钩子尝试", "gave_up": "已放弃", "concurrency": "并发", "capture": "捕获输出",
    ]
}
